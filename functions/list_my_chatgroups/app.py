"""GET /api/v1/chatgroup/mine: the caller's groups, most recently joined first."""

from chatgroup.api import (
    EXAMPLE_CHATGROUP_PAGE,
    NextTokenQuery,
    PageLimitQuery,
    create_app,
    lambda_handler_for,
    responses,
)
from chatgroup.callers import caller_id
from chatgroup.discovery import my_chatgroups
from chatgroup.observability import tracer
from chatgroup.schemas import ChatgroupPage

app = create_app()


@app.get(
    "/api/v1/chatgroup/mine",
    operation_id="listMyChatgroups",
    summary="List the caller's chatgroups",
    tags=["discovery"],
    responses=responses(ok=ChatgroupPage, example=EXAMPLE_CHATGROUP_PAGE),
)
@tracer.capture_method
def mine(limit: PageLimitQuery = 20, next_token: NextTokenQuery = None) -> ChatgroupPage:
    return my_chatgroups(caller_id(app.current_event), limit, next_token)


lambda_handler = lambda_handler_for(app)
