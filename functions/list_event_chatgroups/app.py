"""GET /api/v1/chatgroup/list?eventid=...: an event's groups, newest first."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from chatgroup.api import caller_id, create_app, lambda_handler_for, responses
from chatgroup.discovery import event_chatgroups
from chatgroup.observability import tracer
from chatgroup.schemas import ChatgroupPage, ResourceId

app = create_app()


@app.get(
    "/api/v1/chatgroup/list",
    summary="List an event's chatgroups",
    tags=["discovery"],
    responses=responses(),
)
@tracer.capture_method
def list_for_event(
    eventid: Annotated[ResourceId, Query()],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> ChatgroupPage:
    caller_id(app.current_event)
    return event_chatgroups(eventid, limit, next_token)


lambda_handler = lambda_handler_for(app)
