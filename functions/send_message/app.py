"""POST /api/v1/chatgroup/{chatgroup_id}/messages: a member sends a message to the group's timeline.

The sender is the token's user. With `client_msg_id` the send is retry-safe: the same id and
text from the same sender to the same group return the first answer and store one message.
"""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from chatgroup.api import caller_id, create_app, lambda_handler_for, responses
from chatgroup.observability import tracer
from chatgroup.schemas import ResourceId, SendMessageRequest, SentMessage
from chatgroup.timeline import send_message

app = create_app()


@app.post(
    "/api/v1/chatgroup/<chatgroup_id>/messages",
    summary="Send a message to a chatgroup",
    tags=["chat"],
    responses=responses(HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND, HTTPStatus.CONFLICT, HTTPStatus.TOO_MANY_REQUESTS),
)
@tracer.capture_method
def send(chatgroup_id: Annotated[ResourceId, Path()], request: Annotated[SendMessageRequest, Body()]) -> SentMessage:
    caller = caller_id(app.current_event)
    if request.client_msg_id is not None:
        # Imported on first use: Powertools idempotency brings boto3 and a client, ~50 ms of cold start.
        from chatgroup.idempotency import send_message_once

        return send_message_once(caller, chatgroup_id, request.client_msg_id, request.text, app.lambda_context)
    return send_message(caller, chatgroup_id, request.text)


lambda_handler = lambda_handler_for(app)
