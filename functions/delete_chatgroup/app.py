"""DELETE /api/v1/chatgroup/delete: the creator dismisses the group, kicks a member out, or bans a user."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from chatgroup.api import EXAMPLE_CHATGROUP_ID, create_app, lambda_handler_for, responses
from chatgroup.callers import caller_id
from chatgroup.groups import dismiss_chatgroup
from chatgroup.membership import ban, kick_out
from chatgroup.observability import tracer
from chatgroup.schemas import BanRequest, DeleteRequest, DismissRequest, ResultResponse

app = create_app()


@app.delete(
    "/api/v1/chatgroup/delete",
    operation_id="deleteChatgroup",
    summary="Dismiss a chatgroup, kick a member out, or ban a user",
    tags=["chatgroup"],
    responses=responses(
        ok=ResultResponse,
        example={"result": "OK"},
        when={
            HTTPStatus.FORBIDDEN: "creator_id is not the caller, or the caller is not the creator.",
            HTTPStatus.NOT_FOUND: "No such chatgroup, or the user to kick out is not a member.",
            HTTPStatus.CONFLICT: "The creator cannot be kicked out or banned, or the group changed meanwhile (retry).",
        },
        takes_body=True,
    ),
)
@tracer.capture_method
def delete(
    request: Annotated[
        DeleteRequest,
        Body(
            openapi_examples={
                "dismiss": {
                    "summary": "alice dismisses her group",
                    "value": {"type": "dismiss", "chatgroup_id": EXAMPLE_CHATGROUP_ID, "creator_id": "alice"},
                },
                "kickout": {
                    "summary": "alice kicks carol out",
                    "value": {
                        "type": "kickout",
                        "chatgroup_id": EXAMPLE_CHATGROUP_ID,
                        "creator_id": "alice",
                        "who_to_kick_out": "carol",
                    },
                },
            }
        ),
    ],
) -> ResultResponse:
    caller = caller_id(app.current_event)
    if isinstance(request, DismissRequest):
        dismiss_chatgroup(caller, request.chatgroup_id, request.creator_id)
    elif isinstance(request, BanRequest):
        ban(caller, request)
    else:
        kick_out(caller, request)
    return ResultResponse()


lambda_handler = lambda_handler_for(app)
