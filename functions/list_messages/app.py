"""GET /api/v1/chatgroup/{chatgroup_id}/messages: a member reads the group's timeline, a page at a time."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from chatgroup.api import caller_id, create_app, lambda_handler_for, responses
from chatgroup.observability import tracer
from chatgroup.schemas import MessagesPage, PageLimit, ResourceId, Seq
from chatgroup.timeline import list_messages

app = create_app()


@app.get(
    "/api/v1/chatgroup/<chatgroup_id>/messages",
    summary="Read a chatgroup's messages and notices",
    tags=["chat"],
    responses=responses(HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND),
)
@tracer.capture_method
def read(
    chatgroup_id: Annotated[ResourceId, Path()],
    after_seq: Annotated[Seq | None, Query(description="the oldest items after this seq (catch-up)")] = None,
    before_seq: Annotated[Seq | None, Query(description="the newest items before this seq (scroll back)")] = None,
    limit: Annotated[PageLimit, Query()] = 50,
) -> MessagesPage:
    return list_messages(caller_id(app.current_event), chatgroup_id, after_seq, before_seq, limit)


lambda_handler = lambda_handler_for(app)
