"""GET /api/v1/chatgroup/{chatgroup_id}/bans: the creator lists who is banned from the group, a page at a time."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path

from chatgroup.api import (
    EXAMPLE_CHATGROUP_ID,
    NextTokenQuery,
    PageLimitQuery,
    create_app,
    lambda_handler_for,
    responses,
)
from chatgroup.callers import caller_id
from chatgroup.moderation import list_bans
from chatgroup.observability import tracer
from chatgroup.schemas import BansPage, ResourceId

app = create_app()


@app.get(
    "/api/v1/chatgroup/<chatgroup_id>/bans",
    operation_id="listBans",
    summary="List the users banned from a chatgroup (its creator only)",
    tags=["chatgroup"],
    responses=responses(
        ok=BansPage,
        example={"bans": [{"user": "mallory", "by": "alice", "at": "2026-11-24T19:40:00.000Z"}], "next_token": None},
        when={
            HTTPStatus.FORBIDDEN: "Only the creator lists the bans.",
            HTTPStatus.NOT_FOUND: "No such chatgroup, or an id with characters a path cannot route.",
        },
    ),
)
@tracer.capture_method
def bans(
    chatgroup_id: Annotated[ResourceId, Path(openapi_examples={"group": {"value": EXAMPLE_CHATGROUP_ID}})],
    limit: PageLimitQuery = 20,
    next_token: NextTokenQuery = None,
) -> BansPage:
    return list_bans(caller_id(app.current_event), chatgroup_id, limit, next_token)


lambda_handler = lambda_handler_for(app)
