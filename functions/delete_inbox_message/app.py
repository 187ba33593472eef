"""DELETE /api/v1/inbox/delete: withdraw one's application, or revoke an invitation (its inviter or the creator)."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from chatgroup.api import caller_id, create_app, lambda_handler_for, responses
from chatgroup.inbox import revoke_invitation, withdraw_application
from chatgroup.observability import tracer
from chatgroup.schemas import InboxDeleteRequest, ResultResponse, WithdrawApplicationRequest

app = create_app()


@app.delete(
    "/api/v1/inbox/delete",
    summary="Withdraw your pending application, or revoke a pending invitation",
    tags=["inbox"],
    responses=responses(HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND, HTTPStatus.CONFLICT),
)
@tracer.capture_method
def delete(request: Annotated[InboxDeleteRequest, Body()]) -> ResultResponse:
    caller = caller_id(app.current_event)
    if isinstance(request, WithdrawApplicationRequest):
        withdraw_application(caller, request)
    else:
        revoke_invitation(caller, request)
    return ResultResponse()


lambda_handler = lambda_handler_for(app)
