"""PUT /api/v1/chatgroup/put: decide an application or invitation, leave, update, unban, or transfer a group."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from chatgroup.api import EXAMPLE_CHATGROUP_ID, EXAMPLE_QUEUE_ARN, create_app, lambda_handler_for, responses
from chatgroup.callers import caller_id
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
    operation_id="putChatgroup",
    summary="Decide an application or invitation, leave, update, unban a user, or transfer a chatgroup",
    description=(
        "An accepted application or invitation answers the group's queue (`sqs`); a denial, a leave, an "
        "update, an unban or a transfer answers `result: OK`."
    ),
    tags=["chatgroup"],
    responses=responses(
        ok=SqsResponse | ResultResponse,
        example={"sqs": EXAMPLE_QUEUE_ARN},
        when={
            HTTPStatus.FORBIDDEN: "Only the creator decides an application, updates, unbans or transfers the "
            "group; who_leave must be the caller; a banned user cannot accept an invitation.",
            HTTPStatus.NOT_FOUND: "No such chatgroup, no such pending (or an expired) application or invitation, "
            "the caller is not a member, the user to unban is not banned, or the new creator is not a member.",
            HTTPStatus.CONFLICT: "The group is full, the user is already a member, the creator cannot leave, a "
            "capacity below the members, the inviter is no longer a member, a transfer to yourself or to a user "
            "at their group limit, or the group changed meanwhile (retry).",
        },
        takes_body=True,
    ),
)
@tracer.capture_method
def put(
    request: Annotated[
        PutRequest,
        Body(
            openapi_examples={
                "accept": {
                    "summary": "The creator accepts bob's application",
                    "value": {
                        "type": "application",
                        "choice": "accept",
                        "chatgroup_id": EXAMPLE_CHATGROUP_ID,
                        "who_apply": "bob",
                    },
                },
                "leave": {
                    "summary": "bob leaves",
                    "value": {"type": "leave", "chatgroup_id": EXAMPLE_CHATGROUP_ID, "who_leave": "bob"},
                },
                "update": {
                    "summary": "The creator renames the group; attrs may also be a JSON string (the seed's form)",
                    "value": {"type": "update", "chatgroup_id": EXAMPLE_CHATGROUP_ID, "attrs": '{"name": "Jazz"}'},
                },
            }
        ),
    ],
) -> SqsResponse | ResultResponse:
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
