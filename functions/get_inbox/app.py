"""GET /api/v1/inbox/get: the caller's pending messages, newest first."""

from chatgroup.api import (
    EXAMPLE_CHATGROUP_ID,
    NextTokenQuery,
    PageLimitQuery,
    create_app,
    lambda_handler_for,
    responses,
)
from chatgroup.callers import caller_id
from chatgroup.inbox import list_inbox
from chatgroup.observability import tracer
from chatgroup.schemas import InboxPage

app = create_app()


@app.get(
    "/api/v1/inbox/get",
    operation_id="getInbox",
    summary="List the caller's inbox",
    tags=["inbox"],
    responses=responses(
        ok=InboxPage,
        example={
            "messages": [
                {
                    "inbox_message_id": "4d2a6f0c8b1e4e7f9c3a5b7d9e1f2a3c",
                    "type": "application",
                    "chatgroup_id": EXAMPLE_CHATGROUP_ID,
                    "from": "dave",
                    "message": "Let me in",
                    "timestamp": "2026-11-24T19:31:00.000Z",
                }
            ],
            "next_token": None,
        },
    ),
)
@tracer.capture_method
def get(limit: PageLimitQuery = 20, next_token: NextTokenQuery = None) -> InboxPage:
    return list_inbox(caller_id(app.current_event), limit, next_token)


lambda_handler = lambda_handler_for(app)
