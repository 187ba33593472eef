"""PUT /api/v1/chatgroup/put: decide an application or invitation, leave, update, unban, or transfer a group."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from chatgroup.api import caller_id, create_app, lambda_handler_for, responses
from chatgroup.groups import update_chatgroup
from chatgroup.membership import decide, leave
from chatgroup.moderation import transfer, unban
from chatgroup.observability import tracer
from chatgroup.schemas import (
    LeaveRequest,
    PutRequest,
    ResultResponse,
    SqsResponse,
    TransferRequest,
    UnbanRequest,
    UpdateRequest,
)

app = create_app()


@app.put(
    "/api/v1/chatgroup/put",
    summary="Decide an application or invitation, leave, update, unban a user, or transfer a chatgroup",
    tags=["chatgroup"],
    responses=responses(HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND, HTTPStatus.CONFLICT),
)
@tracer.capture_method
def put(request: Annotated[PutRequest, Body()]) -> SqsResponse | ResultResponse:
    caller = caller_id(app.current_event)
    if isinstance(request, LeaveRequest):
        leave(caller, request)
        return ResultResponse()
    if isinstance(request, UpdateRequest):
        update_chatgroup(caller, request.chatgroup_id, request.attrs)
        return ResultResponse()
    if isinstance(request, UnbanRequest):
        unban(caller, request)
        return ResultResponse()
    if isinstance(request, TransferRequest):
        transfer(caller, request)
        return ResultResponse()
    queue_arn = decide(caller, request)
    return ResultResponse() if queue_arn is None else SqsResponse(sqs=queue_arn)


lambda_handler = lambda_handler_for(app)
