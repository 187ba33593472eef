"""POST /api/v1/chatgroup/create: the caller creates a group and becomes its first member.

With an `Idempotency-Key` header the call is retry-safe: the same key and body return the
first response and create one group and one queue.
"""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header

from chatgroup.api import caller_id, create_app, lambda_handler_for, responses
from chatgroup.groups import create_chatgroup
from chatgroup.observability import tracer
from chatgroup.schemas import CreateChatgroupRequest, CreateChatgroupResponse, IdempotencyKey

app = create_app()


@app.post(
    "/api/v1/chatgroup/create",
    summary="Create a chatgroup",
    tags=["chatgroup"],
    responses=responses(HTTPStatus.CONFLICT, HTTPStatus.TOO_MANY_REQUESTS),
)
@tracer.capture_method
def create(
    request: CreateChatgroupRequest,
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
) -> CreateChatgroupResponse:
    caller = caller_id(app.current_event)
    if idempotency_key is not None:
        # Imported on first use: Powertools idempotency brings boto3 and a client, ~50 ms of cold start.
        from chatgroup.idempotency import create_chatgroup_once

        return create_chatgroup_once(caller, idempotency_key, request, app.lambda_context)
    group = create_chatgroup(caller, request)
    return CreateChatgroupResponse(chatgroup_id=group.chatgroup_id, sqs=group.queue_arn)


lambda_handler = lambda_handler_for(app)
