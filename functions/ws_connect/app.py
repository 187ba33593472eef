"""$connect of the chat WebSocket API: remember the authorized user's new connection, within their limit."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from chatgroup.callers import websocket_caller
from chatgroup.clock import now_ms
from chatgroup.connections import connect
from chatgroup.errors import ChatgroupError
from chatgroup.observability import logger


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = event["requestContext"]
    try:
        connect(websocket_caller(event), request["connectionId"], int(request.get("connectedAt") or now_ms()))
    except ChatgroupError as refused:
        logger.info("Connection refused", extra={"reason": str(refused)})
        return {"statusCode": int(refused.status), "body": str(refused)}
    return {"statusCode": 200}
