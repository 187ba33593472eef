"""GET /api/v1/chatgroup/{chatgroup_id}/bans: the creator lists who is banned from the group, a page at a time."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from chatgroup.api import caller_id, create_app, lambda_handler_for, responses
from chatgroup.moderation import list_bans
from chatgroup.observability import tracer
from chatgroup.schemas import BansPage, PageLimit, PageToken, ResourceId

app = create_app()


@app.get(
    "/api/v1/chatgroup/<chatgroup_id>/bans",
    summary="List the users banned from a chatgroup (its creator only)",
    tags=["chatgroup"],
    responses=responses(HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND),
)
@tracer.capture_method
def bans(
    chatgroup_id: Annotated[ResourceId, Path()],
    limit: Annotated[PageLimit, Query()] = 20,
    next_token: Annotated[PageToken | None, Query()] = None,
) -> BansPage:
    return list_bans(caller_id(app.current_event), chatgroup_id, limit, next_token)


lambda_handler = lambda_handler_for(app)
