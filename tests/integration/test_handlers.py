"""Every endpoint through its Lambda handler: each success and each refusal, with the status it maps to."""

from typing import Any

import boto3
import pytest

from tests.integration.conftest import Invoke, Reply


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


@pytest.mark.parametrize("query", [{"limit": "0"}, {"limit": "101"}, {"limit": "ten"}, {"next_token": "garbage"}])
def test_inbox_with_a_bad_limit_or_token_is_400(invoke: Invoke, query: dict[str, str]) -> None:
    assert_failed(invoke("GetInboxFunction", "inbox_get", "alice", query=query), 400)


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


def test_a_multipart_body_without_a_boundary_is_400(invoke: Invoke) -> None:
    headers = {"Content-Type": "multipart/form-data"}
    reply = invoke("CreateChatgroupFunction", "create_chatgroup", "alice", headers=headers)
    assert_failed(reply, 400)
