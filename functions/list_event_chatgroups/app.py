"""GET /api/v1/chatgroup/list?eventid=...: an event's groups, newest first."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from chatgroup.api import (
    EXAMPLE_CHATGROUP_PAGE,
    NextTokenQuery,
    PageLimitQuery,
    create_app,
    lambda_handler_for,
    responses,
)
from chatgroup.callers import caller_id
from chatgroup.discovery import event_chatgroups
from chatgroup.observability import tracer
from chatgroup.schemas import ChatgroupPage, ResourceId

app = create_app()


@app.get(
    "/api/v1/chatgroup/list",
    operation_id="listEventChatgroups",
    summary="List an event's chatgroups",
    tags=["discovery"],
    responses=responses(ok=ChatgroupPage, example=EXAMPLE_CHATGROUP_PAGE),
)
@tracer.capture_method
def list_for_event(
    eventid: Annotated[ResourceId, Query(openapi_examples={"event": {"value": "jazz-2026"}})],
    limit: PageLimitQuery = 20,
    next_token: NextTokenQuery = None,
) -> ChatgroupPage:
    caller_id(app.current_event)
    return event_chatgroups(eventid, limit, next_token)


lambda_handler = lambda_handler_for(app)
