"""DELETE /api/v1/inbox/delete: withdraw one's application, or revoke an invitation (its inviter or the creator)."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from chatgroup.api import EXAMPLE_CHATGROUP_ID, create_app, lambda_handler_for, responses
from chatgroup.callers import caller_id
from chatgroup.inbox import revoke_invitation, withdraw_application
from chatgroup.observability import tracer
from chatgroup.schemas import InboxDeleteRequest, ResultResponse, WithdrawApplicationRequest

app = create_app()


@app.delete(
    "/api/v1/inbox/delete",
    operation_id="deleteInboxMessage",
    summary="Withdraw your pending application, or revoke a pending invitation",
    tags=["inbox"],
    responses=responses(
        ok=ResultResponse,
        example={"result": "OK"},
        when={
            HTTPStatus.FORBIDDEN: "An invitation is revoked only by its inviter or the group's creator.",
            HTTPStatus.NOT_FOUND: "No such pending application of yours, or no pending invitation of that user.",
            HTTPStatus.CONFLICT: "The message changed meanwhile (retry).",
        },
        takes_body=True,
    ),
)
@tracer.capture_method
def delete(
    request: Annotated[
        InboxDeleteRequest,
        Body(
            openapi_examples={
                "withdraw": {
                    "summary": "dave withdraws his application",
                    "value": {"type": "application", "chatgroup_id": EXAMPLE_CHATGROUP_ID},
                },
                "revoke": {
                    "summary": "bob revokes his invitation of carol",
                    "value": {"type": "invitation", "chatgroup_id": EXAMPLE_CHATGROUP_ID, "who_to_invite": "carol"},
                },
            }
        ),
    ],
) -> ResultResponse:
    caller = caller_id(app.current_event)
    if isinstance(request, WithdrawApplicationRequest):
        withdraw_application(caller, request)
    else:
        revoke_invitation(caller, request)
    return ResultResponse()


lambda_handler = lambda_handler_for(app)
