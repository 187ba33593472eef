"""DELETE /api/v1/chatgroup/delete: the creator dismisses the group, kicks a member out, or bans a user."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from chatgroup.api import caller_id, create_app, lambda_handler_for, responses
from chatgroup.groups import dismiss_chatgroup
from chatgroup.membership import ban, kick_out
from chatgroup.observability import tracer
from chatgroup.schemas import BanRequest, DeleteRequest, DismissRequest, ResultResponse

app = create_app()


@app.delete(
    "/api/v1/chatgroup/delete",
    summary="Dismiss a chatgroup, kick a member out, or ban a user",
    tags=["chatgroup"],
    responses=responses(HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND, HTTPStatus.CONFLICT),
)
@tracer.capture_method
def delete(request: Annotated[DeleteRequest, Body()]) -> ResultResponse:
    caller = caller_id(app.current_event)
    if isinstance(request, DismissRequest):
        dismiss_chatgroup(caller, request.chatgroup_id, request.creator_id)
    elif isinstance(request, BanRequest):
        ban(caller, request)
    else:
        kick_out(caller, request)
    return ResultResponse()


lambda_handler = lambda_handler_for(app)
