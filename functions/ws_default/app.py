"""$default of the chat WebSocket API: `{"action": "ping"}` answers `{"type": "pong"}` (keeps a socket from idling out).

Clients send nothing else over the socket: messages go through the REST API, which checks and
stores them. Anything else is answered `{"type": "error", "reason": ...}`.
"""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from chatgroup.jsontext import compact_json
from chatgroup.observability import logger
from chatgroup.rules import parse_json


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        action = parse_json(event.get("body") or "").get("action")
    except (ValueError, AttributeError):
        action = None
    if action == "ping":
        return {"statusCode": 200, "body": compact_json({"type": "pong"})}
    reason = 'Send {"action": "ping"}; messages are sent with POST /api/v1/chatgroup/{chatgroup_id}/messages.'
    return {"statusCode": 400, "body": compact_json({"type": "error", "reason": reason})}
