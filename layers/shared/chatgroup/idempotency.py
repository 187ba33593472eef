"""Retry-safe create and send: the same key and body get the first response back.

Powertools idempotency keeps one record per (caller, key) in the idempotency table, with a
hash of the body: a replay returns the stored response without creating a second group or
queue, or storing a second message; the same key with another body is refused.
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
from chatgroup.schemas import CreateChatgroupRequest, CreateChatgroupResponse, SentMessage
from chatgroup.settings import get_settings
from chatgroup.timeline import send_message

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


_send_config = IdempotencyConfig(
    event_key_jmespath="[caller, chatgroup_id, client_msg_id]",
    payload_validation_jmespath="text",
    expires_after_seconds=24 * 3600,
)


# A store per config: Powertools configures a persistence layer with the config of the function it guards.
_send_store = DynamoDBPersistenceLayer(
    table_name=get_settings().idempotency_table or "", boto3_client=dynamodb_client()
)


@idempotent_function(data_keyword_argument="call", persistence_store=_send_store, config=_send_config)
def _send_once(call: dict[str, str]) -> dict[str, Any]:
    return send_message(call["caller"], call["chatgroup_id"], call["text"]).model_dump()


def send_message_once(
    caller: str, chatgroup_id: str, client_msg_id: str, text: str, context: LambdaContext
) -> SentMessage:
    """Store a message at most once per sender, group and client_msg_id, for 24 hours."""
    _send_config.register_lambda_context(context)
    call = {"caller": caller, "chatgroup_id": chatgroup_id, "client_msg_id": client_msg_id, "text": text}
    try:
        return SentMessage.model_validate(_send_once(call=call))
    except IdempotencyValidationError:
        raise Conflict("This client_msg_id was already used with a different text.") from None
    except IdempotencyAlreadyInProgressError:
        raise Conflict("A message with this client_msg_id is still being sent; retry in a moment.") from None
