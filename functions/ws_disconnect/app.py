"""$disconnect of the chat WebSocket API: forget the connection that closed, and only it."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from chatgroup.callers import websocket_caller
from chatgroup.connections import disconnect
from chatgroup.observability import logger


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    disconnect(websocket_caller(event), event["requestContext"]["connectionId"])
    return {"statusCode": 200}
