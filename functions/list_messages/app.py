"""GET /api/v1/chatgroup/{chatgroup_id}/messages: a member reads the group's timeline, a page at a time."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from chatgroup.api import EXAMPLE_CHATGROUP_ID, PageLimitQuery, create_app, lambda_handler_for, responses
from chatgroup.callers import caller_id
from chatgroup.observability import tracer
from chatgroup.schemas import MessagesPage, NeverNull, ResourceId, Seq
from chatgroup.timeline import list_messages

app = create_app()


@app.get(
    "/api/v1/chatgroup/<chatgroup_id>/messages",
    operation_id="listMessages",
    summary="Read a chatgroup's messages and notices",
    description="Give after_seq or before_seq, not both (else 400): a rule across two parameters.",
    tags=["chat"],
    responses=responses(
        ok=MessagesPage,
        example={
            "messages": [
                {
                    "type": "notice",
                    "seq": 1,
                    "message_id": "0b6f3c1d2e4a4f5b8c9d0e1f2a3b4c5d",
                    "chatgroup_id": EXAMPLE_CHATGROUP_ID,
                    "notice": "joined",
                    "user": "bob",
                    "by": "alice",
                    "created_at": "2026-11-24T19:32:00.000Z",
                },
                {
                    "type": "message",
                    "seq": 2,
                    "message_id": "7e8f9a0b1c2d4e3f8a9b0c1d2e3f4a5b",
                    "chatgroup_id": EXAMPLE_CHATGROUP_ID,
                    "sender": "bob",
                    "text": "Hi all",
                    "created_at": "2026-11-24T19:33:00.000Z",
                },
            ],
            "has_more": False,
        },
        when={
            HTTPStatus.FORBIDDEN: "Only members read the messages.",
            HTTPStatus.NOT_FOUND: "No such chatgroup, or an id with characters a path cannot route.",
        },
    ),
)
@tracer.capture_method
def read(
    chatgroup_id: Annotated[ResourceId, Path(openapi_examples={"group": {"value": EXAMPLE_CHATGROUP_ID}})],
    after_seq: Annotated[
        Seq | None, Query(description="the oldest items after this seq (catch-up)"), NeverNull()
    ] = None,
    before_seq: Annotated[
        Seq | None, Query(description="the newest items before this seq (scroll back)"), NeverNull()
    ] = None,
    limit: PageLimitQuery = 50,
) -> MessagesPage:
    return list_messages(caller_id(app.current_event), chatgroup_id, after_seq, before_seq, limit)


lambda_handler = lambda_handler_for(app)
