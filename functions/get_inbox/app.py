"""GET /api/v1/inbox/get: the caller's pending messages, newest first."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from chatgroup.api import caller_id, create_app, lambda_handler_for, responses
from chatgroup.inbox import list_inbox
from chatgroup.observability import tracer
from chatgroup.schemas import InboxPage, PageLimit, PageToken

app = create_app()


@app.get(
    "/api/v1/inbox/get",
    summary="List the caller's inbox",
    tags=["inbox"],
    responses=responses(),
)
@tracer.capture_method
def get(
    limit: Annotated[PageLimit, Query()] = 20,
    next_token: Annotated[PageToken | None, Query()] = None,
) -> InboxPage:
    return list_inbox(caller_id(app.current_event), limit, next_token)


lambda_handler = lambda_handler_for(app)
