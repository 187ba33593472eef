"""Retry-safe create: the same key and body get the first response back.

Powertools idempotency keeps one record per (caller, key) in the idempotency table, with a
hash of the body: a replay returns the stored response without creating a second group or
queue; the same key with another body is refused. A create spans DynamoDB and SQS, which no
one transaction holds. (A message's client_msg_id needs no such record: its claim is written
in the message's own transaction, `timeline.send_message`.)
"""

from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from chatgroup.clients import dynamodb_client
from chatgroup.errors import Conflict
from chatgroup.groups import create_chatgroup
from chatgroup.schemas import CreateChatgroupRequest, CreateChatgroupResponse
from chatgroup.settings import get_settings

_config = IdempotencyConfig(
    event_key_jmespath="[caller, key]",
    payload_validation_jmespath="request",
    expires_after_seconds=24 * 3600,
)
_store = DynamoDBPersistenceLayer(get_settings().idempotency_table or "", boto3_client=dynamodb_client())


@idempotent_function(data_keyword_argument="call", persistence_store=_store, config=_config)
def _create_once(call: dict[str, Any]) -> dict[str, str]:
    group = create_chatgroup(call["caller"], CreateChatgroupRequest.model_validate(call["request"]))
    return CreateChatgroupResponse(chatgroup_id=group.chatgroup_id, sqs=group.queue_arn).model_dump()


def create_chatgroup_once(
    caller: str, key: str, request: CreateChatgroupRequest, context: LambdaContext
) -> CreateChatgroupResponse:
    """Create a group at most once per caller and key, for 24 hours."""
    _config.register_lambda_context(context)
    call = {"caller": caller, "key": key, "request": request.model_dump(mode="json")}
    try:
        return CreateChatgroupResponse.model_validate(_create_once(call=call))
    except IdempotencyValidationError:
        raise Conflict("This Idempotency-Key was already used with a different request body.") from None
    except IdempotencyAlreadyInProgressError:
        raise Conflict("A request with this Idempotency-Key is still in progress; retry in a moment.") from None
