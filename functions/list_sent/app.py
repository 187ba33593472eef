"""GET /api/v1/inbox/sent: the caller's pending applications and invitations, newest first."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from chatgroup.api import caller_id, create_app, lambda_handler_for, responses
from chatgroup.inbox import list_sent
from chatgroup.observability import tracer
from chatgroup.schemas import PageLimit, PageToken, SentPage

app = create_app()


@app.get(
    "/api/v1/inbox/sent",
    summary="List the applications and invitations you sent that await a decision",
    tags=["inbox"],
    responses=responses(),
)
@tracer.capture_method
def get(
    limit: Annotated[PageLimit, Query()] = 20,
    next_token: Annotated[PageToken | None, Query()] = None,
) -> SentPage:
    return list_sent(caller_id(app.current_event), limit, next_token)


lambda_handler = lambda_handler_for(app)
