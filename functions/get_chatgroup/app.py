"""GET /api/v1/chatgroup/get/{chatgroup_id}: any signed-in user reads a group."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path

from chatgroup.api import caller_id, create_app, lambda_handler_for, responses
from chatgroup.groups import get_chatgroup
from chatgroup.observability import tracer
from chatgroup.schemas import ChatgroupView, ResourceId

app = create_app()


@app.get(
    "/api/v1/chatgroup/get/<chatgroup_id>",
    summary="Read a chatgroup",
    tags=["chatgroup"],
    responses=responses(HTTPStatus.NOT_FOUND),
)
@tracer.capture_method
def get(chatgroup_id: Annotated[ResourceId, Path()]) -> ChatgroupView:
    caller_id(app.current_event)
    return get_chatgroup(chatgroup_id)


lambda_handler = lambda_handler_for(app)
