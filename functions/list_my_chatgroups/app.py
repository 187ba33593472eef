"""GET /api/v1/chatgroup/mine: the caller's groups, most recently joined first."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from chatgroup.api import caller_id, create_app, lambda_handler_for, responses
from chatgroup.discovery import my_chatgroups
from chatgroup.observability import tracer
from chatgroup.schemas import ChatgroupPage

app = create_app()


@app.get(
    "/api/v1/chatgroup/mine",
    summary="List the caller's chatgroups",
    tags=["discovery"],
    responses=responses(),
)
@tracer.capture_method
def mine(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> ChatgroupPage:
    return my_chatgroups(caller_id(app.current_event), limit, next_token)


lambda_handler = lambda_handler_for(app)
