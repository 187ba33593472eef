"""POST /api/v1/inbox/create: apply to a group, or invite someone into one."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from chatgroup.api import EXAMPLE_CHATGROUP_ID, create_app, lambda_handler_for, responses
from chatgroup.callers import caller_id
from chatgroup.inbox import send_application, send_invitation
from chatgroup.observability import tracer
from chatgroup.schemas import ApplicationMessageRequest, InboxCreateRequest, InboxCreateResponse

app = create_app()


@app.post(
    "/api/v1/inbox/create",
    operation_id="createInboxMessage",
    summary="Apply to a chatgroup or invite someone into one",
    tags=["inbox"],
    responses=responses(
        ok=InboxCreateResponse,
        example={"inbox_message_id": "4d2a6f0c8b1e4e7f9c3a5b7d9e1f2a3c"},
        when={
            HTTPStatus.FORBIDDEN: "Only members invite.",
            HTTPStatus.NOT_FOUND: "No such chatgroup (or it was dismissed).",
            HTTPStatus.CONFLICT: "The group is full, the user is already a member, or a pending application or "
            "invitation of theirs to this group exists.",
            HTTPStatus.TOO_MANY_REQUESTS: "The caller's pending applications and invitations are at the quota; "
            "Retry-After says when the oldest expires.",
        },
        takes_body=True,
    ),
)
@tracer.capture_method
def create(
    request: Annotated[
        InboxCreateRequest,
        Body(
            openapi_examples={
                "application": {
                    "summary": "dave applies",
                    "value": {"type": "application", "chatgroup_id": EXAMPLE_CHATGROUP_ID, "message": "Let me in"},
                },
                "invitation": {
                    "summary": "A member invites dave",
                    "value": {"type": "invitation", "chatgroup_id": EXAMPLE_CHATGROUP_ID, "who_to_invite": "dave"},
                },
            }
        ),
    ],
) -> InboxCreateResponse:
    caller = caller_id(app.current_event)
    if isinstance(request, ApplicationMessageRequest):
        return InboxCreateResponse(inbox_message_id=send_application(caller, request))
    return InboxCreateResponse(inbox_message_id=send_invitation(caller, request))


lambda_handler = lambda_handler_for(app)
