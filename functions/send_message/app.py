"""POST /api/v1/chatgroup/{chatgroup_id}/messages: a member sends a message to the group's timeline.

The sender is the token's user. With `client_msg_id` the send is retry-safe: the same id and
text from the same sender to the same group return the first answer and store one message.
"""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from chatgroup.api import EXAMPLE_CHATGROUP_ID, create_app, lambda_handler_for, responses
from chatgroup.callers import caller_id
from chatgroup.observability import tracer
from chatgroup.schemas import ResourceId, SendMessageRequest, SentMessage
from chatgroup.timeline import send_message

app = create_app()


@app.post(
    "/api/v1/chatgroup/<chatgroup_id>/messages",
    operation_id="sendMessage",
    summary="Send a message to a chatgroup",
    tags=["chat"],
    responses=responses(
        ok=SentMessage,
        example={"message_id": "7e8f9a0b1c2d4e3f8a9b0c1d2e3f4a5b", "seq": 2, "created_at": "2026-11-24T19:33:00.000Z"},
        when={
            HTTPStatus.FORBIDDEN: "Only members send messages.",
            HTTPStatus.NOT_FOUND: "No such chatgroup, or an id with characters a path cannot route.",
            HTTPStatus.CONFLICT: "The client_msg_id was used with another text, or the group was too busy (retry).",
            HTTPStatus.TOO_MANY_REQUESTS: "The caller sends faster than the rate allows; Retry-After says when "
            "to send again.",
        },
        takes_body=True,
    ),
)
@tracer.capture_method
def send(
    chatgroup_id: Annotated[ResourceId, Path(openapi_examples={"group": {"value": EXAMPLE_CHATGROUP_ID}})],
    request: Annotated[
        SendMessageRequest,
        Body(openapi_examples={"hello": {"value": {"text": "Hi all", "client_msg_id": "phone-1-0001"}}}),
    ],
) -> SentMessage:
    return send_message(caller_id(app.current_event), chatgroup_id, request.text, request.client_msg_id)


lambda_handler = lambda_handler_for(app)
