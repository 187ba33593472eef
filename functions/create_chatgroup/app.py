"""POST /api/v1/chatgroup/create: the caller creates a group and becomes its first member.

With an `Idempotency-Key` header the call is retry-safe: the same key and body return the
first response and create one group and one queue.
"""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Header

from chatgroup.api import EXAMPLE_CHATGROUP_ID, EXAMPLE_QUEUE_ARN, create_app, lambda_handler_for, responses
from chatgroup.callers import caller_id
from chatgroup.groups import create_chatgroup
from chatgroup.observability import tracer
from chatgroup.schemas import CreateChatgroupRequest, CreateChatgroupResponse, IdempotencyKey

app = create_app()

NEW_GROUP = "$response.body#/chatgroup_id"
"""Where the routes that take a chatgroup_id find the new group's (OpenAPI links, for clients and test tools)."""


@app.post(
    "/api/v1/chatgroup/create",
    operation_id="createChatgroup",
    summary="Create a chatgroup",
    description=(
        "The caller creates a group and becomes its first member. The caller and the distinct members of "
        "`memberlist` together may not outnumber `capacity` (else 400): a rule across two fields, which the "
        "schema cannot state."
    ),
    tags=["chatgroup"],
    responses=responses(
        ok=CreateChatgroupResponse,
        example={"chatgroup_id": EXAMPLE_CHATGROUP_ID, "sqs": EXAMPLE_QUEUE_ARN},
        when={
            HTTPStatus.CONFLICT: "The Idempotency-Key was used with another body, or its first request is still "
            "being handled; or the group changed while it was created (retry).",
            HTTPStatus.TOO_MANY_REQUESTS: "The caller leads as many live chatgroups as the quota allows: "
            "dismissing one makes room.",
        },
        takes_body=True,
        links={
            "GetChatgroup": {"operationId": "getChatgroup", "parameters": {"path.chatgroup_id": NEW_GROUP}},
            "SendMessage": {"operationId": "sendMessage", "parameters": {"path.chatgroup_id": NEW_GROUP}},
            "ListMessages": {"operationId": "listMessages", "parameters": {"path.chatgroup_id": NEW_GROUP}},
            "ApplyOrInvite": {"operationId": "createInboxMessage", "requestBody": {"chatgroup_id": NEW_GROUP}},
            "DecideLeaveOrUpdate": {"operationId": "putChatgroup", "requestBody": {"chatgroup_id": NEW_GROUP}},
            "DismissOrKickOut": {"operationId": "deleteChatgroup", "requestBody": {"chatgroup_id": NEW_GROUP}},
            "ListBans": {"operationId": "listBans", "parameters": {"path.chatgroup_id": NEW_GROUP}},
            "WithdrawOrRevoke": {"operationId": "deleteInboxMessage", "requestBody": {"chatgroup_id": NEW_GROUP}},
        },
    ),
)
@tracer.capture_method
def create(
    request: Annotated[
        CreateChatgroupRequest,
        Body(
            openapi_examples={
                "seed": {
                    "summary": "The seed's forms: members joined by ';', capacity as a string",
                    "value": {
                        "name": "Friday crew",
                        "capacity": "8",
                        "memberlist": "bob;carol",
                        "eventid": "jazz-2026",
                    },
                },
                "json": {
                    "summary": "Members as a list, capacity as a number, a photo",
                    "value": {
                        "name": "Crew",
                        "capacity": 8,
                        "memberlist": ["bob"],
                        "photo": "https://example.com/c.png",
                    },
                },
            }
        ),
    ],
    idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
) -> CreateChatgroupResponse:
    caller = caller_id(app.current_event)
    if idempotency_key is not None:
        # Imported on first use: Powertools idempotency brings boto3 and a client, ~50 ms of cold start.
        from chatgroup.idempotency import create_chatgroup_once

        return create_chatgroup_once(caller, idempotency_key, request, app.lambda_context)
    group = create_chatgroup(caller, request)
    return CreateChatgroupResponse(chatgroup_id=group.chatgroup_id, sqs=group.queue_arn)


lambda_handler = lambda_handler_for(app)
