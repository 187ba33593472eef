"""Withdraw, revoke, the sent list, 99 initial members and photo URLs, through the functions' handlers.

Each success and each refusal with the status it maps to; a refusal changes nothing.
"""

import json
from typing import Any

import pytest

from chatgroup.models import QuotaUsage
from tests.integration.conftest import Invoke, Reply
from tests.integration.test_handlers import apply, assert_failed, create, everything, invite, members


def withdraw(invoke: Invoke, chatgroup_id: str, applicant: str = "dave") -> Reply:
    return invoke("DeleteInboxMessageFunction", "inbox_delete_application", applicant, {"chatgroup_id": chatgroup_id})


def revoke(invoke: Invoke, chatgroup_id: str, caller: str = "bob", invitee: str = "dave") -> Reply:
    body = {"chatgroup_id": chatgroup_id, "who_to_invite": invitee}
    return invoke("DeleteInboxMessageFunction", "inbox_delete_invitation", caller, body)


def sent(invoke: Invoke, user: str, **query: str) -> Reply:
    return invoke("ListSentFunction", "inbox_sent", user, query=query or None)


def inbox(invoke: Invoke, user: str) -> list[dict[str, Any]]:
    return list(invoke("GetInboxFunction", "inbox_get", user).body["messages"])


def pending_slots(user: str) -> int:
    return sum(len(usage.pending or ()) for usage in QuotaUsage.query(user))


def test_an_applicant_withdraws_their_application(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    apply(invoke, chatgroup_id)
    reply = withdraw(invoke, chatgroup_id)
    assert (reply.status, reply.body) == (200, {"result": "OK"})
    assert inbox(invoke, "alice") == []
    assert pending_slots("dave") == 0


def test_withdrawing_with_nothing_pending_is_404_and_changes_nothing(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    before = everything()
    assert_failed(withdraw(invoke, chatgroup_id), 404)
    assert everything() == before


def test_the_inviter_revokes_an_invitation(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    invite(invoke, chatgroup_id)
    reply = revoke(invoke, chatgroup_id, caller="bob")
    assert (reply.status, reply.body) == (200, {"result": "OK"})
    assert inbox(invoke, "dave") == []
    assert pending_slots("bob") == 0


def test_the_creator_revokes_a_members_invitation(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    invite(invoke, chatgroup_id)
    assert revoke(invoke, chatgroup_id, caller="alice").status == 200
    assert inbox(invoke, "dave") == []
    assert pending_slots("bob") == 0


@pytest.mark.parametrize("caller", ["carol", "erin", "dave"], ids=["another member", "a stranger", "the invitee"])
def test_anyone_else_revoking_is_403_and_changes_nothing(invoke: Invoke, caller: str) -> None:
    chatgroup_id = create(invoke)
    invite(invoke, chatgroup_id)
    before = everything()
    reply = revoke(invoke, chatgroup_id, caller=caller)
    assert_failed(reply, 403)
    assert "Only the member who sent an invitation, or the chatgroup's creator" in reply.body["reason"]
    assert everything() == before


def test_revoking_an_invitation_nobody_sent_is_404(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    assert_failed(revoke(invoke, chatgroup_id, caller="alice"), 404)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"type": "invitation", "chatgroup_id": "g1"}, "who_to_invite"),
        ({"type": "invitation", "chatgroup_id": "g1", "who_to_invite": "x;y"}, "user id"),
        ({"type": "leave", "chatgroup_id": "g1"}, "type must be one of"),
        ({"chatgroup_id": "g1"}, "type is required"),
        ({"type": "application", "chatgroup_id": "not/an/id"}, "chatgroup_id"),
    ],
    ids=["no invitee", "invitee breaking the user-id rule", "unknown type", "no type", "bad group id"],
)
def test_a_malformed_withdrawal_or_revocation_is_400(invoke: Invoke, body: dict[str, Any], reason: str) -> None:
    before = everything()
    reply = invoke("DeleteInboxMessageFunction", "inbox_delete_invitation", "bob", json.dumps(body))
    assert_failed(reply, 400)
    assert reason in reply.body["reason"]
    assert everything() == before


def test_sent_lists_what_the_caller_sent_with_the_documented_fields(invoke: Invoke) -> None:
    chatgroup_id = create(invoke)
    invite(invoke, chatgroup_id)
    reply = sent(invoke, "bob")
    assert reply.status == 200
    [message] = reply.body["messages"]
    assert set(message) == {"inbox_message_id", "type", "chatgroup_id", "to", "message", "timestamp"}
    assert (message["type"], message["chatgroup_id"], message["to"], message["message"]) == (
        "invitation",
        chatgroup_id,
        "dave",
        "Come along!",
    )
    assert reply.body["next_token"] is None


def test_sent_pages_by_limit_and_token(invoke: Invoke) -> None:
    for _ in range(3):
        apply(invoke, create(invoke))
    first = sent(invoke, "dave", limit="2")
    second = sent(invoke, "dave", limit="2", next_token=first.body["next_token"])
    assert (len(first.body["messages"]), len(second.body["messages"])) == (2, 1)
    assert second.body["next_token"] is None


@pytest.mark.parametrize("query", [{"limit": "0"}, {"limit": "101"}, {"limit": "ten"}, {"next_token": "garbage"}])
def test_sent_with_a_bad_limit_or_token_is_400(invoke: Invoke, query: dict[str, str]) -> None:
    assert_failed(sent(invoke, "dave", **query), 400)


def test_the_new_routes_need_a_signed_in_user(invoke: Invoke) -> None:
    assert_failed(sent(invoke, None), 401)  # type: ignore[arg-type]
    assert_failed(invoke("DeleteInboxMessageFunction", "inbox_delete_application", None), 401)


def test_create_with_the_contracts_99_initial_members_is_200(invoke: Invoke) -> None:
    memberlist = ";".join(f"user{index:02d}" for index in range(99))
    chatgroup_id = create(invoke, memberlist=memberlist, capacity=100)
    assert members(invoke, chatgroup_id) == ["alice", *memberlist.split(";")]


def test_create_with_100_initial_members_is_400(invoke: Invoke) -> None:
    memberlist = ";".join(f"user{index:03d}" for index in range(100))
    before = everything()
    reply = invoke("CreateChatgroupFunction", "create_chatgroup", "alice", {"memberlist": memberlist, "capacity": 200})
    assert_failed(reply, 400)
    assert "at most 99" in reply.body["reason"]
    assert everything() == before


@pytest.mark.parametrize(
    "photo", ["https://example.com/a\n.png", "https://example.com/\ta.png"], ids=["newline", "tab"]
)
def test_a_photo_url_with_a_control_character_is_400_on_create_and_on_update(invoke: Invoke, photo: str) -> None:
    chatgroup_id = create(invoke)
    before = everything()
    created = invoke("CreateChatgroupFunction", "create_chatgroup", "alice", {"photo": photo})
    updated = invoke(
        "PutChatgroupFunction", "put_update", "alice", {"chatgroup_id": chatgroup_id, "attrs": {"photo": photo}}
    )
    for reply in (created, updated):
        assert_failed(reply, 400)
        assert "photo must not hold tabs, newlines, other control or invisible" in reply.body["reason"]
    assert everything() == before
