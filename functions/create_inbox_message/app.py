"""POST /api/v1/inbox/create: apply to a group, or invite someone into one."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from chatgroup.api import caller_id, create_app, lambda_handler_for, responses
from chatgroup.inbox import send_application, send_invitation
from chatgroup.observability import tracer
from chatgroup.schemas import ApplicationMessageRequest, InboxCreateRequest, InboxCreateResponse

app = create_app()


@app.post(
    "/api/v1/inbox/create",
    summary="Apply to a chatgroup or invite someone into one",
    tags=["inbox"],
    responses=responses(HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND, HTTPStatus.CONFLICT, HTTPStatus.TOO_MANY_REQUESTS),
)
@tracer.capture_method
def create(request: Annotated[InboxCreateRequest, Body()]) -> InboxCreateResponse:
    caller = caller_id(app.current_event)
    if isinstance(request, ApplicationMessageRequest):
        return InboxCreateResponse(inbox_message_id=send_application(caller, request))
    return InboxCreateResponse(inbox_message_id=send_invitation(caller, request))


lambda_handler = lambda_handler_for(app)
