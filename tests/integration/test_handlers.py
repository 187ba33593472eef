"""Every endpoint through its Lambda handler: each success and each refusal, with the status it maps to."""

import base64
import json
import logging
import time
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError, EndpointConnectionError, ParamValidationError, ReadTimeoutError

from chatgroup.models import INBOX_RETENTION_SECONDS, InboxMessage, pending_key
from chatgroup.observability import logger
from devstack.lambda_runtime import Handler, LambdaContext
from tests.conftest import TABLES
from tests.integration.conftest import EVENTS, Invoke, Reply


def create(invoke: Invoke, creator: str = "alice", **body: Any) -> str:
    reply = invoke("CreateChatgroupFunction", "create_chatgroup", creator, body)
    assert reply.status == 200, reply.body
    return str(reply.body["chatgroup_id"])


def get(invoke: Invoke, chatgroup_id: str, user: str = "carol") -> Reply:
    return invoke("GetChatgroupFunction", "get_chatgroup", user, path_parameters={"chatgroup_id": chatgroup_id})


def members(invoke: Invoke, chatgroup_id: str) -> list[str]:
    return str(get(invoke, chatgroup_id).body["MemberList"]).split(";")


def apply(invoke: Invoke, chatgroup_id: str, applicant: str = "dave") -> Reply:
    return invoke("CreateInboxMessageFunction", "inbox_create_application", applicant, {"chatgroup_id": chatgroup_id})


def invite(invoke: Invoke, chatgroup_id: str, inviter: str = "bob", invitee: str = "dave") -> Reply:
    body = {"chatgroup_id": chatgroup_id, "who_to_invite": invitee}
    return invoke("CreateInboxMessageFunction", "inbox_create_invitation", inviter, body)


def put(invoke: Invoke, event: str, user: str, **body: Any) -> Reply:
    return invoke("PutChatgroupFunction", event, user, body)


def delete(invoke: Invoke, event: str, user: str, **body: Any) -> Reply:
    return invoke("DeleteChatgroupFunction", event, user, body)


def assert_failed(reply: Reply, status: int) -> None:
    assert reply.status == status, reply.body
    assert reply.body["result"] == "fail"
    assert reply.body["reason"]


# create


def test_create_returns_the_group_id_and_its_queue_arn(invoke: Invoke) -> None:
    reply = invoke("CreateChatgroupFunction", "create_chatgroup", "alice")
    assert reply.status == 200
    assert reply.body["sqs"].endswith(f"chatgroup-dev-{reply.body['chatgroup_id']}.fifo")
    assert members(invoke, reply.body["chatgroup_id"]) == ["alice", "bob", "carol"]


def test_create_answers_a_browser_with_cors_headers(invoke: Invoke) -> None:
    origin = "https://app.example.com"
    reply = invoke("CreateChatgroupFunction", "create_chatgroup", "alice", headers={"Origin": origin})
    assert reply.headers["Access-Control-Allow-Origin"] == "*"


def test_refusals_also_carry_cors_headers(invoke: Invoke) -> None:
    origin = "https://app.example.com"
    reply = invoke("CreateChatgroupFunction", "create_chatgroup", "alice", "{", headers={"Origin": origin})
    assert reply.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("{not json", "not valid JSON"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": "lots"}, "capacity"),
        ({"name": ""}, "name"),
        ({"photo": "ftp://example.com/x.png"}, "photo"),
        ({"capacity": 2, "memberlist": "bob;carol"}, "capacity"),
        ({"memberlist": {"bob": True}}, "memberlist"),
    ],
)
def test_create_with_bad_input_is_400_and_creates_nothing(invoke: Invoke, body: Any, reason: str) -> None:
    reply = invoke("CreateChatgroupFunction", "create_chatgroup", "alice", body)
    assert_failed(reply, 400)
    assert reason in reply.body["reason"]
    assert boto3.client("sqs").list_queues().get("QueueUrls", []) == []


def test_create_without_a_signed_in_user_is_401(invoke: Invoke) -> None:
    assert_failed(invoke("CreateChatgroupFunction", "create_chatgroup", None), 401)


# get


def test_get_returns_the_seed_keys_and_the_newest_seq(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    reply = get(invoke, chatgroup_id)
    assert reply.status == 200
    assert set(reply.body) == {
        "LastSeq",
        "ChatgroupID",
        "EventID",
        "Name",
        "CreatorID",
        "MemberList",
        "Capacity",
        "PhotoID",
        "SQS",
        "Timestamp",
    }
    assert (reply.body["EventID"], reply.body["Capacity"], reply.body["CreatorID"]) == ("concert-2026", 8, "alice")


def test_get_of_an_unknown_group_is_404(invoke: Invoke) -> None:
    assert_failed(get(invoke, "0" * 32), 404)


# put: application


def test_creator_accepts_an_application(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    assert apply(invoke, chatgroup_id).status == 200
    reply = put(invoke, "put_application_accept", "alice", chatgroup_id=chatgroup_id)
    assert reply.status == 200
    assert set(reply.body) == {"sqs"}
    assert "dave" in members(invoke, chatgroup_id)


def test_creator_denies_an_application(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    apply(invoke, chatgroup_id)
    reply = put(invoke, "put_application_deny", "alice", chatgroup_id=chatgroup_id)
    assert (reply.status, reply.body) == (200, {"result": "OK"})
    assert "dave" not in members(invoke, chatgroup_id)


def test_a_member_deciding_an_application_is_403(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    apply(invoke, chatgroup_id)
    assert_failed(put(invoke, "put_application_accept", "bob", chatgroup_id=chatgroup_id), 403)
    assert "dave" not in members(invoke, chatgroup_id)


def test_accepting_a_missing_application_is_404(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    assert_failed(put(invoke, "put_application_accept", "alice", chatgroup_id=chatgroup_id), 404)


def test_accepting_into_a_full_group_is_409(invoke: Invoke) -> None:
    chatgroup_id = create(invoke, capacity=4)
    apply(invoke, chatgroup_id)
    apply(invoke, chatgroup_id, "erin")
    put(invoke, "put_application_accept", "alice", chatgroup_id=chatgroup_id)
    reply = put(invoke, "put_application_accept", "alice", chatgroup_id=chatgroup_id, who_apply="erin")
    assert_failed(reply, 409)
    assert "full" in reply.body["reason"]


def test_unknown_choice_is_400(invoke: Invoke) -> None:
    assert_failed(put(invoke, "put_application_accept", "alice", choice="maybe"), 400)


# put: invitation


def test_invitee_accepts_an_invitation(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    assert invite(invoke, chatgroup_id).status == 200
    reply = put(invoke, "put_invitation_accept", "dave", chatgroup_id=chatgroup_id)
    assert reply.status == 200
    assert reply.body["sqs"] == get(invoke, chatgroup_id).body["SQS"]
    assert "dave" in members(invoke, chatgroup_id)


def test_invitee_denies_an_invitation(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    invite(invoke, chatgroup_id)
    reply = put(invoke, "put_invitation_deny", "dave", chatgroup_id=chatgroup_id)
    assert (reply.status, reply.body) == (200, {"result": "OK"})
    assert "dave" not in members(invoke, chatgroup_id)


def test_accepting_someone_elses_invitation_is_404(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    invite(invoke, chatgroup_id)
    assert_failed(put(invoke, "put_invitation_accept", "erin", chatgroup_id=chatgroup_id), 404)
    assert "erin" not in members(invoke, chatgroup_id)


# put: leave and update


def test_member_leaves(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    reply = put(invoke, "put_leave", "bob", chatgroup_id=chatgroup_id)
    assert (reply.status, reply.body) == (200, {"result": "OK"})
    assert members(invoke, chatgroup_id) == ["alice", "carol"]


def test_leaving_for_someone_else_is_403(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    assert_failed(put(invoke, "put_leave", "carol", chatgroup_id=chatgroup_id), 403)
    assert "bob" in members(invoke, chatgroup_id)


def test_creator_leaving_is_409(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    assert_failed(put(invoke, "put_leave", "alice", chatgroup_id=chatgroup_id, who_leave="alice"), 409)


def test_non_member_leaving_is_404(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    assert_failed(put(invoke, "put_leave", "erin", chatgroup_id=chatgroup_id, who_leave="erin"), 404)


def test_creator_updates_the_group(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    reply = put(invoke, "put_update", "alice", chatgroup_id=chatgroup_id)
    assert (reply.status, reply.body) == (200, {"result": "OK"})
    assert (get(invoke, chatgroup_id).body["Name"], get(invoke, chatgroup_id).body["Capacity"]) == ("Back row crew", 10)


def test_member_updating_is_403(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    assert_failed(put(invoke, "put_update", "bob", chatgroup_id=chatgroup_id), 403)
    assert get(invoke, chatgroup_id).body["Name"] == "Front row crew"


def test_update_of_the_creator_is_400(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    assert_failed(put(invoke, "put_update", "alice", chatgroup_id=chatgroup_id, attrs='{"creator_id": "bob"}'), 400)
    assert get(invoke, chatgroup_id).body["CreatorID"] == "alice"


def test_capacity_below_the_members_is_409(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    assert_failed(put(invoke, "put_update", "alice", chatgroup_id=chatgroup_id, attrs={"capacity": 2}), 409)


def test_unknown_put_type_is_400(invoke: Invoke) -> None:
    reply = put(invoke, "put_leave", "bob", type="promote")
    assert_failed(reply, 400)
    assert "type must be one of" in reply.body["reason"]


# delete


def test_creator_dismisses_the_group_and_its_queue(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    reply = delete(invoke, "delete_dismiss", "alice", chatgroup_id=chatgroup_id)
    assert (reply.status, reply.body) == (200, {"result": "OK"})
    assert_failed(get(invoke, chatgroup_id), 404)
    assert boto3.client("sqs").list_queues().get("QueueUrls", []) == []


def test_member_dismissing_is_403(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    assert_failed(delete(invoke, "delete_dismiss", "bob", chatgroup_id=chatgroup_id), 403)
    assert get(invoke, chatgroup_id).status == 200


def test_dismissing_an_unknown_group_is_404(invoke: Invoke) -> None:
    assert_failed(delete(invoke, "delete_dismiss", "alice", chatgroup_id="0" * 32), 404)


def test_creator_kicks_a_member_out(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    reply = delete(invoke, "delete_kickout", "alice", chatgroup_id=chatgroup_id)
    assert (reply.status, reply.body) == (200, {"result": "OK"})
    assert members(invoke, chatgroup_id) == ["alice", "bob"]


def test_member_kicking_out_is_403(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    assert_failed(delete(invoke, "delete_kickout", "bob", chatgroup_id=chatgroup_id, creator_id="bob"), 403)
    assert "carol" in members(invoke, chatgroup_id)


def test_kicking_out_a_non_member_is_404(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    assert_failed(delete(invoke, "delete_kickout", "alice", chatgroup_id=chatgroup_id, who_to_kick_out="erin"), 404)


def test_kickout_without_a_target_is_400(invoke: Invoke) -> None:
    assert_failed(invoke("DeleteChatgroupFunction", "delete_kickout", "alice", '{"type": "kickout"}'), 400)


# inbox


def test_applying_returns_the_inbox_message_id(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    reply = apply(invoke, chatgroup_id)
    assert reply.status == 200
    inbox = invoke("GetInboxFunction", "inbox_get", "alice")
    assert [message["inbox_message_id"] for message in inbox.body["messages"]] == [reply.body["inbox_message_id"]]


def test_inbox_items_carry_the_documented_fields(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    invite(invoke, chatgroup_id)
    [message] = invoke("GetInboxFunction", "inbox_get", "dave").body["messages"]
    assert set(message) == {"inbox_message_id", "type", "chatgroup_id", "from", "message", "timestamp"}
    assert (message["from"], message["type"], message["message"]) == ("bob", "invitation", "Come along!")


def test_a_duplicate_application_is_409(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    apply(invoke, chatgroup_id)
    assert_failed(apply(invoke, chatgroup_id), 409)


def test_a_stranger_inviting_is_403(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    assert_failed(invite(invoke, chatgroup_id, inviter="erin"), 403)


def test_applying_to_an_unknown_group_is_404(invoke: Invoke) -> None:
    assert_failed(apply(invoke, "0" * 32), 404)


def test_an_invitation_without_an_invitee_is_400(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    body = f'{{"type": "invitation", "chatgroup_id": "{chatgroup_id}"}}'
    assert_failed(invoke("CreateInboxMessageFunction", "inbox_create_invitation", "bob", body), 400)


def test_inbox_pages_by_limit_and_token(invoke: Invoke) -> None:
    for _ in range(3):
        apply(invoke, create(invoke))
    first = invoke("GetInboxFunction", "inbox_get", "alice", query={"limit": "2"})
    second = invoke(
        "GetInboxFunction", "inbox_get", "alice", query={"limit": "2", "next_token": first.body["next_token"]}
    )
    assert (len(first.body["messages"]), len(second.body["messages"])) == (2, 1)
    assert second.body["next_token"] is None


@pytest.mark.parametrize(
    "limit",
    [
        "0",
        "101",
        "ten",
        "-1",
        "1.5",
        "1e2",
        "",
        "0x10",
        "\u0663",
        "9" * 5000,
        "NaN",
        "5; drop",
        "1_0",
        "+2",
        "2.0",
        " 3",
    ],
)
def test_inbox_with_a_limit_that_is_not_a_whole_number_from_1_to_100_is_400(invoke: Invoke, limit: str) -> None:
    reply = invoke("GetInboxFunction", "inbox_get", "alice", query={"limit": limit})
    assert_failed(reply, 400)
    assert reply.body["reason"].startswith("limit: ")


@pytest.mark.parametrize("token", ["garbage", "not base64!", "x" * 2049])
def test_inbox_with_a_token_it_did_not_give_is_400_saying_to_start_again(invoke: Invoke, token: str) -> None:
    reply = invoke("GetInboxFunction", "inbox_get", "alice", query={"next_token": token})
    assert_failed(reply, 400)
    assert "start again without it" in reply.body["reason"]


# listings


def test_mine_lists_the_callers_groups_with_member_counts(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    reply = invoke("ListMyChatgroupsFunction", "list_my_chatgroups", "bob")
    assert reply.status == 200
    [summary] = reply.body["chatgroups"]
    assert (summary["ChatgroupID"], summary["MemberCount"]) == (chatgroup_id, 3)
    assert "MemberList" not in summary


def test_an_events_groups_are_listed(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    create(invoke, eventid="another-event")
    reply = invoke("ListEventChatgroupsFunction", "list_event_chatgroups", "erin")
    assert [summary["ChatgroupID"] for summary in reply.body["chatgroups"]] == [chatgroup_id]


@pytest.mark.parametrize("query", [{}, {"eventid": "bad id"}, {"eventid": "gig", "limit": "500"}])
def test_event_listing_without_a_valid_event_or_limit_is_400(invoke: Invoke, query: dict[str, str]) -> None:
    assert_failed(invoke("ListEventChatgroupsFunction", "list_event_chatgroups", "erin", query=query), 400)


def test_mine_with_another_users_token_is_400(invoke: Invoke) -> None:
    create(invoke)
    create(invoke)
    first = invoke("ListMyChatgroupsFunction", "list_my_chatgroups", "alice", query={"limit": "1"})
    query = {"next_token": first.body["next_token"]}
    assert_failed(invoke("ListMyChatgroupsFunction", "list_my_chatgroups", "mallory", query=query), 400)


# idempotent create


def test_create_retried_with_the_same_idempotency_key_creates_one_group(invoke: Invoke) -> None:
    first = invoke("CreateChatgroupFunction", "create_chatgroup", "alice", headers={"Idempotency-Key": "k-1"})
    again = invoke("CreateChatgroupFunction", "create_chatgroup", "alice", headers={"Idempotency-Key": "k-1"})
    assert (first.status, again.status) == (200, 200)
    assert again.body == first.body
    assert len(boto3.client("sqs").list_queues()["QueueUrls"]) == 1


def test_the_same_idempotency_key_with_another_body_is_409(invoke: Invoke) -> None:
    invoke("CreateChatgroupFunction", "create_chatgroup", "alice", headers={"Idempotency-Key": "k-1"})
    reply = invoke(
        "CreateChatgroupFunction", "create_chatgroup", "alice", {"name": "Other"}, headers={"Idempotency-Key": "k-1"}
    )
    assert_failed(reply, 409)
    assert len(boto3.client("sqs").list_queues()["QueueUrls"]) == 1


def test_the_same_idempotency_key_of_another_user_creates_their_own_group(invoke: Invoke) -> None:
    first = invoke("CreateChatgroupFunction", "create_chatgroup", "alice", headers={"Idempotency-Key": "k-1"})
    other = invoke("CreateChatgroupFunction", "create_chatgroup", "bob", headers={"Idempotency-Key": "k-1"})
    assert other.status == 200
    assert other.body["chatgroup_id"] != first.body["chatgroup_id"]


def test_a_create_refused_under_an_idempotency_key_can_be_corrected_under_that_key(invoke: Invoke) -> None:
    # Given a create refused (more members than places) under an Idempotency-Key
    key = {"Idempotency-Key": "k-1"}
    body = {"capacity": 2, "memberlist": "bob;carol"}
    refused = invoke("CreateChatgroupFunction", "create_chatgroup", "alice", body, headers=key)

    # When the corrected request is sent under the same key
    corrected = invoke("CreateChatgroupFunction", "create_chatgroup", "alice", body | {"capacity": 3}, headers=key)

    # Then the refusal was forgotten (its record deleted), not held against the key: the group is created
    assert_failed(refused, 400)
    assert "exceed the capacity" in refused.body["reason"]
    assert corrected.status == 200


def test_an_unprintable_idempotency_key_is_400(invoke: Invoke) -> None:
    reply = invoke("CreateChatgroupFunction", "create_chatgroup", "alice", headers={"Idempotency-Key": "has space"})
    assert_failed(reply, 400)


# hostile input


def test_a_body_over_64_kib_is_400(invoke: Invoke) -> None:
    reply = invoke("CreateChatgroupFunction", "create_chatgroup", "alice", {"padding": "x" * (65 * 1024)})
    assert_failed(reply, 400)
    assert "larger than 64 KiB" in reply.body["reason"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "tab\tname"},
        {"name": "\u0000"},
        {"capacity": -5},
        {"capacity": "1e3x"},
        {"memberlist": ";".join(f"user{index}" for index in range(500))},
        {"name": ["a", "list"]},
        {"eventid": {"nested": "json"}},
    ],
)
def test_hostile_create_input_is_400_with_a_reason(invoke: Invoke, body: dict[str, Any]) -> None:
    reply = invoke("CreateChatgroupFunction", "create_chatgroup", "alice", body)
    assert_failed(reply, 400)
    assert boto3.client("sqs").list_queues().get("QueueUrls", []) == []


def test_attrs_that_is_not_json_is_400(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    reply = put(invoke, "put_update", "alice", chatgroup_id=chatgroup_id, attrs="name=x")
    assert_failed(reply, 400)
    assert "attrs must be a JSON object" in reply.body["reason"]


def test_a_body_that_is_not_declared_json_is_400(invoke: Invoke) -> None:
    reply = invoke("CreateChatgroupFunction", "create_chatgroup", "alice", headers={"Content-Type": "text/plain"})
    assert_failed(reply, 400)
    assert "Content-Type: application/json" in reply.body["reason"]


def _multipart(**fields: str) -> str:
    """A multipart/form-data body with boundary XX."""
    part = '--XX\r\nContent-Disposition: form-data; name="{}"\r\n\r\n{}\r\n'
    return "".join(part.format(name, value) for name, value in fields.items()) + "--XX--\r\n"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", "name=Crew&capacity=3"),
        ("multipart/form-data; boundary=XX", _multipart(name="Crew", capacity="3")),
    ],
    ids=["form data (curl -d without a Content-Type)", "multipart"],
)
def test_a_body_sent_as_form_data_is_400_asking_for_json_though_its_fields_are_valid(
    invoke: Invoke, content_type: str, body: str
) -> None:
    # Given a create whose fields are valid, sent as form data or multipart rather than JSON
    headers = {"Content-Type": content_type}

    # When alice sends it, then it is refused with a reason that asks for JSON, and nothing changes
    refused_changing_nothing(invoke, "Send the request body as JSON", *CREATE_AS_ALICE, body, headers=headers)


def test_a_multipart_body_without_a_boundary_is_400(invoke: Invoke) -> None:
    headers = {"Content-Type": "multipart/form-data"}
    reply = invoke("CreateChatgroupFunction", "create_chatgroup", "alice", headers=headers)
    assert_failed(reply, 400)


# bad input that once failed the service: each is a 400 with its reason, and changes nothing


def everything() -> dict[str, list[str]]:
    """Every item of every table and every queue: what a refused request must leave as it found it."""
    dynamodb = boto3.client("dynamodb")
    state = {
        table: sorted(json.dumps(item, sort_keys=True) for item in dynamodb.scan(TableName=table)["Items"])
        for table in TABLES
    }
    return state | {"queues": sorted(boto3.client("sqs").list_queues().get("QueueUrls", []))}


def refused_changing_nothing(invoke: Invoke, reason: str, *request: Any, status: int = 400, **options: Any) -> None:
    """Send the request; it must be a `status` whose reason says `reason`, and leave AWS exactly as it was."""
    before = everything()
    reply = invoke(*request, **options)
    assert_failed(reply, status)
    assert reason in reply.body["reason"]
    assert everything() == before


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('{"name": "x", "capacity": 3, "z": ' + "[" * 50_000, "nests arrays or objects too deeply"),
        ('{"name": "x", "capacity": ' + "9" * 5000 + "}", "an integer of more than 38 digits"),
        ('{"name": "x", "capacity": -' + "9" * 5000 + "}", "an integer of more than 38 digits"),
    ],
    ids=["50,000 [", "5000-digit capacity", "5000-digit negative capacity"],
)
def test_json_that_python_cannot_read_as_is_is_400(invoke: Invoke, body: str, reason: str) -> None:
    refused_changing_nothing(invoke, reason, "CreateChatgroupFunction", "create_chatgroup", "alice", body)


@pytest.mark.parametrize(
    "body",
    ['[{"name": "first", "capacity": 3}, {"name": "second", "capacity": 3}]', '"Friday crew"', "3", "null"],
    ids=["array of two objects", "string", "number", "null"],
)
def test_a_body_that_is_not_one_json_object_is_400(invoke: Invoke, body: str) -> None:
    # Given a body that JSON allows but that is not one object: a proxy could read two requests in an array
    # When it is sent, Then it is refused whole and nothing is created from any element of it
    refused_changing_nothing(
        invoke, "must be a JSON object", "CreateChatgroupFunction", "create_chatgroup", "alice", body
    )


def test_an_unknown_field_holding_a_4400_digit_integer_is_ignored(invoke: Invoke) -> None:
    # When a body holds, beside what create reads, an extra property the document allows: a 4400-digit integer
    body = '{"name": "x", "capacity": 3, "z": ' + "1" * 4400 + "}"
    reply = invoke("CreateChatgroupFunction", "create_chatgroup", "alice", body)

    # Then the group is created as if the extra property were not there
    assert reply.status == 200, reply.body
    assert get(invoke, str(reply.body["chatgroup_id"])).body["Capacity"] == 3


@pytest.mark.parametrize(
    ("attrs", "reason"),
    [("[" * 50_000, "attrs must be a JSON object"), ('{"capacity": ' + "9" * 5000 + "}", "capacity holds an integer")],
    ids=["50,000 [", "5000-digit capacity"],
)
def test_attrs_holding_json_that_python_cannot_read_as_is_is_400(invoke: Invoke, attrs: str, reason: str) -> None:
    chatgroup_id = create(invoke)
    body = {"chatgroup_id": chatgroup_id, "attrs": attrs}
    refused_changing_nothing(invoke, reason, "PutChatgroupFunction", "put_update", "alice", body)


CREATE_AS_ALICE = ("CreateChatgroupFunction", "create_chatgroup", "alice")
LONE = "a\ud800b"
"""A JSON body's `"a\\ud800b"` decodes to this: not text, and DynamoDB refuses it."""


@pytest.mark.parametrize(
    ("function", "event", "user", "body"),
    [
        ("CreateChatgroupFunction", "create_chatgroup", "alice", {"name": LONE}),
        ("CreateChatgroupFunction", "create_chatgroup", "alice", {"memberlist": ["bob", LONE]}),
        ("CreateChatgroupFunction", "create_chatgroup", "alice", {"memberlist": f"bob;{LONE}"}),
        ("CreateChatgroupFunction", "create_chatgroup", "alice", {"photo": f"https://example.com/{LONE}.png"}),
        ("CreateInboxMessageFunction", "inbox_create_application", "dave", {"message": LONE}),
        ("CreateInboxMessageFunction", "inbox_create_invitation", "bob", {"who_to_invite": LONE}),
        ("CreateInboxMessageFunction", "inbox_create_invitation", "bob", {"message": LONE}),
        ("PutChatgroupFunction", "put_update", "alice", {"attrs": {"name": LONE}}),
        ("PutChatgroupFunction", "put_update", "alice", {"attrs": json.dumps({"name": LONE})}),
        ("PutChatgroupFunction", "put_application_accept", "alice", {"who_apply": LONE}),
        ("PutChatgroupFunction", "put_invitation_accept", "dave", {"who_invite": LONE}),
        ("PutChatgroupFunction", "put_leave", "bob", {"who_leave": LONE}),
        ("DeleteChatgroupFunction", "delete_kickout", "alice", {"who_to_kick_out": LONE}),
        ("DeleteChatgroupFunction", "delete_dismiss", "alice", {"creator_id": LONE}),
    ],
    ids=lambda value: next(iter(value)) if isinstance(value, dict) else value,
)
def test_a_lone_surrogate_in_a_text_field_is_400(
    invoke: Invoke, function: str, event: str, user: str, body: dict[str, Any]
) -> None:
    # Given a group with a pending application and invitation, so that every request could change something
    chatgroup_id = create(invoke)
    apply(invoke, chatgroup_id)
    invite(invoke, chatgroup_id)

    # When the request holds a lone surrogate where text belongs; then it is refused and nothing changes
    request = {"chatgroup_id": chatgroup_id} | body
    refused_changing_nothing(invoke, "lone UTF-16 surrogate", function, event, user, request)


def test_a_json_escape_of_a_lone_surrogate_is_400(invoke: Invoke) -> None:
    body = '{"name": "a\\ud800b", "capacity": 3}'
    refused_changing_nothing(invoke, "name: text must not hold a lone UTF-16 surrogate", *CREATE_AS_ALICE, body)


@pytest.mark.parametrize("name", [LONE, "mallory;alice", "x#", "eve\tadams"], ids=["surrogate", ";", "#", "tab"])
def test_a_caller_whose_account_name_no_user_id_can_be_is_403(invoke: Invoke, name: str) -> None:
    # When a user whose account name could not be a member (self sign-up allows it) creates a group,
    # Then they are told why, and nothing is created
    refused_changing_nothing(
        invoke, "cannot use chatgroups", "CreateChatgroupFunction", "create_chatgroup", name, status=403
    )


def test_an_invitee_named_with_a_hash_is_400_so_a_dismissal_can_always_tell_who_to_notify(invoke: Invoke) -> None:
    # Given a group of alice's
    chatgroup_id = create(invoke)

    # When she invites "x#", a name that would split an inbox key (`invitation#<group>#<user>`) in the wrong place,
    # Then it is refused and nothing changes
    body = {"chatgroup_id": chatgroup_id, "who_to_invite": "x#"}
    refused_changing_nothing(invoke, "'#'", "CreateInboxMessageFunction", "inbox_create_invitation", "alice", body)


@pytest.mark.parametrize("chatgroup_id", ['a"b', "a#b", "a\\b", "caf\u00e9\U0001f389", LONE])
def test_a_path_parameter_outside_the_routes_pattern_is_404_not_a_failure(invoke: Invoke, chatgroup_id: str) -> None:
    assert_failed(get(invoke, chatgroup_id), 404)


def page_token(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


S, N = "S", "N"
FORGED_TOKENS = [
    (
        "inbox: a number that is not one",
        "GetInboxFunction",
        "inbox_get",
        {"recipient_id": {S: "alice"}, "pending_key": {S: "application#g#dave"}, "created_at": {N: "abc"}},
    ),
    (
        "inbox: a number DynamoDB cannot hold",
        "GetInboxFunction",
        "inbox_get",
        {"recipient_id": {S: "alice"}, "pending_key": {S: "application#g#dave"}, "created_at": {N: "1e999"}},
    ),
    (
        "inbox: the keys of the by_chatgroup index",
        "GetInboxFunction",
        "inbox_get",
        {"recipient_id": {S: "alice"}, "pending_key": {S: "x"}, "chatgroup_id": {S: "g"}, "created_at": {N: "1"}},
    ),
    (
        "inbox: the table's key without the index's",
        "GetInboxFunction",
        "inbox_get",
        {"recipient_id": {S: "alice"}, "pending_key": {S: "application#g#dave"}},
    ),
    (
        "mine: the keys of the by_event index",
        "ListMyChatgroupsFunction",
        "list_my_chatgroups",
        {"chatgroup_id": {S: "g"}, "user_id": {S: "alice"}, "event_id": {S: "gig"}, "created_at": {N: "1"}},
    ),
    (
        "mine: an empty key string",
        "ListMyChatgroupsFunction",
        "list_my_chatgroups",
        {"chatgroup_id": {S: ""}, "user_id": {S: "alice"}, "joined_at": {N: "1"}},
    ),
    (
        "mine: a key string holding a lone surrogate",
        "ListMyChatgroupsFunction",
        "list_my_chatgroups",
        {"chatgroup_id": {S: LONE}, "user_id": {S: "alice"}, "joined_at": {N: "1"}},
    ),
    (
        "event: a string key sent as a number",
        "ListEventChatgroupsFunction",
        "list_event_chatgroups",
        {"chatgroup_id": {N: "1"}, "event_id": {S: "concert-2026"}, "created_at": {N: "1"}},
    ),
    (
        "event: a value of two types",
        "ListEventChatgroupsFunction",
        "list_event_chatgroups",
        {"chatgroup_id": {S: "g", N: "1"}, "event_id": {S: "concert-2026"}, "created_at": {N: "1"}},
    ),
]


@pytest.mark.parametrize(
    ("function", "event", "key"), [case[1:] for case in FORGED_TOKENS], ids=[case[0] for case in FORGED_TOKENS]
)
def test_a_forged_page_token_that_is_not_a_key_of_the_listings_index_is_400(
    invoke: Invoke, function: str, event: str, key: dict[str, Any]
) -> None:
    # Given a token crafted by hand, within the caller's own partition (so only its shape is wrong)
    query = {"eventid": "concert-2026", "next_token": page_token(key)}

    # Then DynamoDB is never asked (it would refuse it as a ValidationException: our failure, not the caller's)
    reply = invoke(function, event, "alice", query=query)
    assert_failed(reply, 400)
    assert "next_token" in reply.body["reason"]


def test_the_token_of_a_real_page_still_continues_the_listing(invoke: Invoke) -> None:
    first_id, second_id = create(invoke), create(invoke)
    first = invoke(
        "ListEventChatgroupsFunction", "list_event_chatgroups", "erin", query={"eventid": "concert-2026", "limit": "1"}
    )
    query = {"eventid": "concert-2026", "limit": "1", "next_token": first.body["next_token"]}
    second = invoke("ListEventChatgroupsFunction", "list_event_chatgroups", "erin", query=query)
    listed = [page.body["chatgroups"][0]["ChatgroupID"] for page in (first, second)]
    assert listed == [second_id, first_id]


# limits checked before work


@pytest.mark.parametrize(
    "body",
    [
        json.dumps({"name": "x", "capacity": 3, "memberlist": ";".join(f"user{index}" for index in range(880_000))}),
        "{not json" + " " * (64 * 1024),
        "[" * (64 * 1024 + 1),
    ],
    ids=["9 MiB member list", "65 KiB not JSON", "65 KiB of ["],
)
def test_a_body_over_64_kib_is_refused_for_its_size_before_it_is_parsed_or_validated(invoke: Invoke, body: str) -> None:
    # Then the reason is the size, not the member list's length, the syntax or the depth: nothing else was looked at
    refused_changing_nothing(invoke, "The request body is larger than 64 KiB.", *CREATE_AS_ALICE, body)


def test_a_body_of_64_kib_of_multibyte_characters_is_measured_in_bytes(invoke: Invoke) -> None:
    body = json.dumps({"name": "Crew", "capacity": 3, "note": "\u00e9" * (33 * 1024)}, ensure_ascii=False)
    refused_changing_nothing(invoke, "larger than 64 KiB", *CREATE_AS_ALICE, body)


def test_a_multipart_body_over_64_kib_is_400(invoke: Invoke) -> None:
    body = _multipart(name="Crew", capacity="3", pad="x" * 65 * 1024)
    headers = {"Content-Type": "multipart/form-data; boundary=XX"}
    refused_changing_nothing(invoke, "larger than 64 KiB", *CREATE_AS_ALICE, body, headers=headers)


# bodies API Gateway sends base64-encoded


def send_base64(handlers: dict[str, Handler], body: str) -> Reply:
    """A create whose body API Gateway passes base64-encoded, as it does for binary media types."""
    request = json.loads((EVENTS / "create_chatgroup.json").read_text())
    request |= {"body": body, "isBase64Encoded": True}
    response = handlers["CreateChatgroupFunction"](request, LambdaContext(function_name="CreateChatgroupFunction"))
    return Reply(response["statusCode"], json.loads(response["body"]), {}, response["body"])


def test_a_base64_encoded_json_body_is_read(invoke: Invoke, handlers: dict[str, Handler]) -> None:
    reply = send_base64(handlers, base64.b64encode(b'{"name": "Crew", "capacity": 3}').decode())
    assert reply.status == 200, reply.body


@pytest.mark.parametrize(
    "body",
    [base64.b64encode(b'{"name": "\xff\xfe", "capacity": 3}').decode(), "e30", "\u00e9t\u00e9"],
    ids=["not UTF-8", "bad padding", "not base64"],
)
def test_a_base64_body_that_is_not_utf8_text_is_400(invoke: Invoke, handlers: dict[str, Handler], body: str) -> None:
    before = everything()
    reply = send_base64(handlers, body)
    assert_failed(reply, 400)
    assert everything() == before


# AWS failures: 503 when a retry may succeed, 500 (logged with its cause) when the request was our bug


def aws_error(code: str, http_status: int) -> ClientError:
    response = {"Error": {"Code": code, "Message": "injected"}, "ResponseMetadata": {"HTTPStatusCode": http_status}}
    return ClientError(response, "GetItem")  # type: ignore[arg-type]


AWS_FAILURES = {
    "ValidationException": (aws_error("ValidationException", 400), 500),
    "SerializationException": (aws_error("SerializationException", 400), 500),
    "AccessDeniedException": (aws_error("AccessDeniedException", 400), 500),
    "ResourceNotFoundException": (aws_error("ResourceNotFoundException", 400), 500),
    "ParamValidationError": (ParamValidationError(report="Invalid type for parameter Key"), 500),
    "ProvisionedThroughputExceededException": (aws_error("ProvisionedThroughputExceededException", 400), 503),
    "ThrottlingException": (aws_error("ThrottlingException", 400), 503),
    "RequestLimitExceeded": (aws_error("RequestLimitExceeded", 400), 503),
    "TransactionConflictException": (aws_error("TransactionConflictException", 400), 503),
    "InternalServerError": (aws_error("InternalServerError", 500), 503),
    "any code answered with HTTP 503": (aws_error("AnythingElse", 503), 503),
    "EndpointConnectionError": (EndpointConnectionError(endpoint_url="http://dynamodb"), 503),
    "ReadTimeoutError": (ReadTimeoutError(endpoint_url="http://dynamodb"), 503),
}


@pytest.mark.parametrize(("failure", "status"), AWS_FAILURES.values(), ids=AWS_FAILURES.keys())
def test_a_failed_dynamodb_call_is_503_if_a_retry_may_succeed_else_500_with_its_cause_logged(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, failure: Exception, status: int
) -> None:
    # Given a group, and DynamoDB failing every call after botocore's own retries
    chatgroup_id = create(invoke)

    def fail(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        raise failure

    monkeypatch.setattr(BaseClient, "_make_api_call", fail)

    # When a user reads it
    reply = get(invoke, chatgroup_id)

    # Then only an outage asks the caller to retry; and the log holds the cause either way
    assert_failed(reply, status)
    assert ("please retry" in reply.body["reason"]) == (status == 503)
    [logged] = [record for record in caplog.records if record.name == logger.name and record.levelno == logging.ERROR]
    assert logged.exc_info is not None
    assert failure in causes(logged.exc_info[1])


def causes(error: BaseException | None) -> list[BaseException]:
    """An error and everything it was raised from or while handling."""
    chain = []
    while error is not None:
        chain.append(error)
        error = error.__cause__ or error.__context__
    return chain


def test_a_throttled_idempotency_store_is_503_as_a_throttled_table_is(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given DynamoDB throttling every call (Powertools wraps its store's error in one of its own)
    def throttled(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        raise aws_error("ProvisionedThroughputExceededException", 400)

    monkeypatch.setattr(BaseClient, "_make_api_call", throttled)

    # When a retry-safe create is sent; then the caller is asked to retry, and nothing was created
    reply = invoke(*CREATE_AS_ALICE, headers={"Idempotency-Key": "k-1"})
    assert_failed(reply, 503)
    monkeypatch.undo()
    assert everything()["queues"] == []


# quotas


def test_a_create_beyond_the_live_group_quota_is_429_without_retry_after(invoke: Invoke, quota_limits) -> None:
    # Given alice has as many live groups as she may
    quota_limits(live_groups=1)
    create(invoke)

    # When she creates another
    reply = invoke("CreateChatgroupFunction", "create_chatgroup", "alice")

    # Then she is told only dismissing helps: no Retry-After, and no queue was made for it
    assert_failed(reply, 429)
    assert "dismiss one" in reply.body["reason"]
    assert "Retry-After" not in reply.headers
    assert len(boto3.client("sqs").list_queues().get("QueueUrls", [])) == 1


def test_a_message_beyond_the_pending_quota_is_429_with_retry_after_the_oldest_expiry(
    invoke: Invoke, quota_limits
) -> None:
    # Given dave has as many applications awaiting a decision as he may
    quota_limits(pending_messages=1)
    first, second = create(invoke, "alice"), create(invoke, "bob")
    assert apply(invoke, first).status == 200

    # When he applies to another group
    reply = apply(invoke, second)

    # Then he is told to retry when his application expires (in 30 days), unless it is decided sooner
    assert_failed(reply, 429)
    assert "accepted or denied" in reply.body["reason"]
    assert INBOX_RETENTION_SECONDS - 60 <= int(reply.headers["Retry-After"]) <= INBOX_RETENTION_SECONDS


def test_a_browser_may_read_retry_after(invoke: Invoke, quota_limits) -> None:
    quota_limits(pending_messages=1)
    first, second = create(invoke, "alice"), create(invoke, "bob")
    assert invite(invoke, first, inviter="alice", invitee="erin").status == 200

    reply = invoke(
        "CreateInboxMessageFunction",
        "inbox_create_application",
        "alice",
        {"chatgroup_id": second},
        headers={"Origin": "https://app.example.com"},
    )

    assert_failed(reply, 429)
    assert "Retry-After" in reply.headers["Access-Control-Expose-Headers"].split(",")


def test_a_decision_gives_the_sender_a_pending_slot_back(invoke: Invoke, quota_limits) -> None:
    # Given dave's one allowed application, denied by alice
    quota_limits(pending_messages=1)
    first, second = create(invoke, "alice"), create(invoke, "bob")
    assert apply(invoke, first).status == 200
    assert put(invoke, "put_application_deny", "alice", chatgroup_id=first, who_apply="dave").status == 200

    # When he applies elsewhere, Then it is sent
    assert apply(invoke, second).status == 200


def test_a_retried_create_is_answered_as_before_though_the_quota_is_now_used_up(invoke: Invoke, quota_limits) -> None:
    # Given alice's one allowed group, created with an Idempotency-Key
    quota_limits(live_groups=1)
    headers = {"Idempotency-Key": "k-quota"}
    first = invoke("CreateChatgroupFunction", "create_chatgroup", "alice", headers=headers)

    # When she retries the same request, Then it answers the same group, not a 429
    again = invoke("CreateChatgroupFunction", "create_chatgroup", "alice", headers=headers)
    assert (first.status, again.status) == (200, 200)
    assert again.body == first.body


def test_an_expired_application_makes_room_for_the_next_one(invoke: Invoke, quota_limits) -> None:
    # Given dave's one allowed application, expired a second ago though TTL has not deleted it yet
    quota_limits(pending_messages=1)
    first, second = create(invoke, "alice"), create(invoke, "bob")
    assert apply(invoke, first).status == 200
    expired = InboxMessage("alice", pending_key("application", first, "dave"))
    expired.update(actions=[InboxMessage.expires_at.set(int(time.time()) - 1)])

    # When he applies to another group
    reply = apply(invoke, second)

    # Then it is sent: the send reclaimed the expired message's slot (checking, in its transaction, that it expired)
    assert reply.status == 200, reply.body
