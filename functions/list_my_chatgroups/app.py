"""GET /api/v1/chatgroup/mine: the caller's groups, most recently joined first."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from chatgroup.api import EXAMPLE_CHATGROUP_PAGE, create_app, lambda_handler_for, responses
from chatgroup.callers import caller_id
from chatgroup.discovery import my_chatgroups
from chatgroup.observability import tracer
from chatgroup.schemas import ChatgroupPage, NeverNull, PageLimit, PageToken

app = create_app()


@app.get(
    "/api/v1/chatgroup/mine",
    operation_id="listMyChatgroups",
    summary="List the caller's chatgroups",
    tags=["discovery"],
    responses=responses(ok=ChatgroupPage, example=EXAMPLE_CHATGROUP_PAGE),
)
@tracer.capture_method
def mine(
    limit: Annotated[PageLimit, Query()] = 20,
    next_token: Annotated[PageToken | None, Query(), NeverNull()] = None,
) -> ChatgroupPage:
    return my_chatgroups(caller_id(app.current_event), limit, next_token)


lambda_handler = lambda_handler_for(app)
