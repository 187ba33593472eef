"""GET /api/v1/inbox/sent: the caller's pending applications and invitations, newest first."""

from chatgroup.api import (
    EXAMPLE_CHATGROUP_ID,
    NextTokenQuery,
    PageLimitQuery,
    create_app,
    lambda_handler_for,
    responses,
)
from chatgroup.callers import caller_id
from chatgroup.inbox import list_sent
from chatgroup.observability import tracer
from chatgroup.schemas import SentPage

app = create_app()


@app.get(
    "/api/v1/inbox/sent",
    operation_id="listSentInbox",
    summary="List the applications and invitations you sent that await a decision",
    tags=["inbox"],
    responses=responses(
        ok=SentPage,
        example={
            "messages": [
                {
                    "inbox_message_id": "4d2a6f0c8b1e4e7f9c3a5b7d9e1f2a3c",
                    "type": "invitation",
                    "chatgroup_id": EXAMPLE_CHATGROUP_ID,
                    "to": "carol",
                    "message": "Join us",
                    "timestamp": "2026-11-24T19:31:00.000Z",
                }
            ],
            "next_token": None,
        },
    ),
)
@tracer.capture_method
def get(limit: PageLimitQuery = 20, next_token: NextTokenQuery = None) -> SentPage:
    return list_sent(caller_id(app.current_event), limit, next_token)


lambda_handler = lambda_handler_for(app)
