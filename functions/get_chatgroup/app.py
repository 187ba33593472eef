"""GET /api/v1/chatgroup/get/{chatgroup_id}: any signed-in user reads a group."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path

from chatgroup.api import EXAMPLE_CHATGROUP_ID, EXAMPLE_QUEUE_ARN, create_app, lambda_handler_for, responses
from chatgroup.callers import caller_id
from chatgroup.groups import get_chatgroup
from chatgroup.observability import tracer
from chatgroup.schemas import ChatgroupView, ResourceId

app = create_app()


@app.get(
    "/api/v1/chatgroup/get/<chatgroup_id>",
    operation_id="getChatgroup",
    summary="Read a chatgroup",
    tags=["chatgroup"],
    responses=responses(
        ok=ChatgroupView,
        example={
            "ChatgroupID": EXAMPLE_CHATGROUP_ID,
            "EventID": "jazz-2026",
            "Name": "Friday crew",
            "CreatorID": "alice",
            "MemberList": "alice;bob;carol",
            "Capacity": 8,
            "PhotoID": None,
            "SQS": EXAMPLE_QUEUE_ARN,
            "Timestamp": "2026-11-24T19:30:00.000Z",
            "LastSeq": 2,
        },
        when={
            HTTPStatus.NOT_FOUND: "No such chatgroup (or it was dismissed), or an id with characters no path routes."
        },
    ),
)
@tracer.capture_method
def get(
    chatgroup_id: Annotated[ResourceId, Path(openapi_examples={"group": {"value": EXAMPLE_CHATGROUP_ID}})],
) -> ChatgroupView:
    caller_id(app.current_event)
    return get_chatgroup(chatgroup_id)


lambda_handler = lambda_handler_for(app)
