"""Ban, unban, the bans list, transfer and the accept path's new rules, through the handlers with the events of events/.

Each success and each refusal with the status it maps to; tests/unit/test_moderation.py has the rules in depth.
"""

import time

import pytest

from chatgroup.models import InboxMessage, pending_key
from tests.integration.conftest import Invoke, Reply
from tests.integration.test_handlers import apply, assert_failed, create, delete, invite, members, put


def bans(invoke: Invoke, group: str, caller: str = "alice", **query: str) -> Reply:
    return invoke(
        "ListBansFunction", "list_bans", caller, path_parameters={"chatgroup_id": group}, query={"limit": "20"} | query
    )


def transfer(invoke: Invoke, group: str, new_creator: str, caller: str = "alice") -> Reply:
    return put(invoke, "put_transfer", caller, chatgroup_id=group, new_creator=new_creator)


def unban(invoke: Invoke, group: str, user: str, caller: str = "alice") -> Reply:
    return put(invoke, "put_unban", caller, chatgroup_id=group, who_to_unban=user)


def accept_invitation(invoke: Invoke, group: str, invitee: str, inviter: str) -> Reply:
    return put(invoke, "put_invitation_accept", invitee, chatgroup_id=group, who_invite=inviter)


def decide_application(invoke: Invoke, group: str, applicant: str, caller: str = "alice", event: str = "") -> Reply:
    return put(invoke, event or "put_application_accept", caller, chatgroup_id=group, who_apply=applicant)


def inbox_types(invoke: Invoke, user: str) -> list[tuple[str, str]]:
    reply = invoke("GetInboxFunction", "inbox_get", user)
    return [(message["type"], message["from"]) for message in reply.body["messages"]]


# ban


def test_ban_removes_the_member_and_answers_ok(invoke: Invoke) -> None:
    group = create(invoke, memberlist="bob;carol")
    reply = delete(invoke, "delete_ban", "alice", chatgroup_id=group, who_to_ban="carol")
    assert reply.status == 200, reply.body
    assert reply.body == {"result": "OK"}
    assert members(invoke, group) == ["alice", "bob"]


def test_ban_of_a_non_member_answers_ok_and_keeps_them_from_applying(invoke: Invoke) -> None:
    group = create(invoke, memberlist="bob")
    assert delete(invoke, "delete_ban", "alice", chatgroup_id=group, who_to_ban="dave").status == 200
    assert_failed(apply(invoke, group, "dave"), 403)


def test_a_banned_user_cannot_be_invited(invoke: Invoke) -> None:
    group = create(invoke, memberlist="bob")
    delete(invoke, "delete_ban", "alice", chatgroup_id=group, who_to_ban="dave")
    assert_failed(invite(invoke, group, "bob", "dave"), 403)


def test_a_banned_user_accepting_an_older_invitation_is_forbidden(invoke: Invoke) -> None:
    group = create(invoke, memberlist="bob")
    assert invite(invoke, group, "bob", "dave").status == 200
    assert delete(invoke, "delete_ban", "alice", chatgroup_id=group, who_to_ban="dave").status == 200
    assert_failed(accept_invitation(invoke, group, "dave", "bob"), 403)
    assert members(invoke, group) == ["alice", "bob"]


def test_ban_removes_pending_messages_of_the_user(invoke: Invoke) -> None:
    group = create(invoke, memberlist="bob")
    apply(invoke, group, "dave")
    invite(invoke, group, "bob", "dave")
    assert delete(invoke, "delete_ban", "alice", chatgroup_id=group, who_to_ban="dave").status == 200
    assert inbox_types(invoke, "alice") == []
    assert inbox_types(invoke, "dave") == []


@pytest.mark.parametrize(
    ("caller", "body", "status"),
    [
        ("bob", {"who_to_ban": "carol"}, 403),
        ("alice", {"who_to_ban": "carol", "creator_id": "bob"}, 403),
        ("alice", {"who_to_ban": "alice"}, 409),
        ("alice", {"who_to_ban": "carol", "chatgroup_id": "f" * 32}, 404),
        ("alice", {"who_to_ban": "carol;mallory"}, 400),
    ],
    ids=["not the creator", "naming another creator", "the creator", "no such group", "not a user id"],
)
def test_ban_refusals(invoke: Invoke, caller: str, body: dict[str, str], status: int) -> None:
    group = create(invoke, memberlist="bob;carol")
    reply = delete(invoke, "delete_ban", caller, **({"chatgroup_id": group, "creator_id": caller} | body))
    assert_failed(reply, status)
    assert members(invoke, group) == ["alice", "bob", "carol"]


def test_ban_without_who_to_ban_is_bad_input(invoke: Invoke) -> None:
    group = create(invoke)
    reply = invoke("DeleteChatgroupFunction", "delete_ban", "alice", f'{{"type": "ban", "chatgroup_id": "{group}"}}')
    assert_failed(reply, 400)
    assert "who_to_ban" in reply.body["reason"]


# unban and the bans list


def test_unban_lets_the_user_apply_again(invoke: Invoke) -> None:
    group = create(invoke)
    delete(invoke, "delete_ban", "alice", chatgroup_id=group, who_to_ban="dave")
    reply = unban(invoke, group, "dave")
    assert reply.status == 200, reply.body
    assert reply.body == {"result": "OK"}
    assert apply(invoke, group, "dave").status == 200


@pytest.mark.parametrize(
    ("caller", "user", "status"),
    [("alice", "erin", 404), ("bob", "dave", 403)],
    ids=["not banned", "not the creator"],
)
def test_unban_refusals(invoke: Invoke, caller: str, user: str, status: int) -> None:
    group = create(invoke, memberlist="bob")
    delete(invoke, "delete_ban", "alice", chatgroup_id=group, who_to_ban="dave")
    assert_failed(unban(invoke, group, user, caller), status)
    assert [entry["user"] for entry in bans(invoke, group).body["bans"]] == ["dave"]


def test_the_bans_list_names_user_by_and_at_a_page_at_a_time(invoke: Invoke) -> None:
    group = create(invoke)
    for user in ("dave", "erin", "frank"):
        delete(invoke, "delete_ban", "alice", chatgroup_id=group, who_to_ban=user)

    first = bans(invoke, group, limit="2")
    second = bans(invoke, group, limit="2", next_token=first.body["next_token"])

    assert first.status == second.status == 200
    assert [entry["user"] for entry in first.body["bans"] + second.body["bans"]] == ["dave", "erin", "frank"]
    assert {entry["by"] for entry in first.body["bans"]} == {"alice"}
    assert first.body["bans"][0]["at"].endswith("Z")
    assert second.body["next_token"] is None


@pytest.mark.parametrize(
    ("caller", "query", "status"),
    [("bob", {}, 403), ("alice", {"limit": "0"}, 400), ("alice", {"next_token": "bm90IGEga2V5"}, 400)],
    ids=["not the creator", "limit 0", "a token that is no key"],
)
def test_bans_list_refusals(invoke: Invoke, caller: str, query: dict[str, str], status: int) -> None:
    group = create(invoke, memberlist="bob")
    assert_failed(bans(invoke, group, caller, **query), status)


def test_the_bans_list_of_an_unknown_group_is_not_found(invoke: Invoke) -> None:
    assert_failed(bans(invoke, "f" * 32), 404)


# transfer


def test_transfer_hands_the_group_and_its_applications_to_the_member(invoke: Invoke) -> None:
    group = create(invoke, memberlist="bob")
    apply(invoke, group, "dave")

    reply = transfer(invoke, group, "bob")

    assert reply.status == 200, reply.body
    assert reply.body == {"result": "OK"}
    assert members(invoke, group) == ["bob", "alice"]
    assert inbox_types(invoke, "bob") == [("application", "dave")]
    assert_failed(decide_application(invoke, group, "dave", "alice"), 403)
    assert decide_application(invoke, group, "dave", "bob").status == 200


@pytest.mark.parametrize(
    ("caller", "new_creator", "status"),
    [("bob", "carol", 403), ("alice", "dave", 404), ("alice", "alice", 409)],
    ids=["not the creator", "not a member", "oneself"],
)
def test_transfer_refusals(invoke: Invoke, caller: str, new_creator: str, status: int) -> None:
    group = create(invoke, memberlist="bob;carol")
    assert_failed(transfer(invoke, group, new_creator, caller), status)
    assert members(invoke, group) == ["alice", "bob", "carol"]


def test_after_a_transfer_the_old_creator_leaves_and_the_new_one_cannot(invoke: Invoke) -> None:
    group = create(invoke, memberlist="bob")
    transfer(invoke, group, "bob")
    assert_failed(put(invoke, "put_leave", "bob", chatgroup_id=group, who_leave="bob"), 409)
    assert put(invoke, "put_leave", "alice", chatgroup_id=group, who_leave="alice").status == 200


def test_a_denial_by_the_old_creator_after_a_transfer_is_forbidden(invoke: Invoke) -> None:
    group = create(invoke, memberlist="bob")
    apply(invoke, group, "dave")
    transfer(invoke, group, "bob")
    assert_failed(decide_application(invoke, group, "dave", "alice", "put_application_deny"), 403)
    assert decide_application(invoke, group, "dave", "bob", "put_application_deny").status == 200


# the accept path


def test_an_invitation_whose_inviter_was_kicked_answers_409(invoke: Invoke) -> None:
    group = create(invoke, memberlist="bob")
    invite(invoke, group, "bob", "dave")
    delete(invoke, "delete_kickout", "alice", chatgroup_id=group, who_to_kick_out="bob")
    reply = accept_invitation(invoke, group, "dave", "bob")
    assert_failed(reply, 409)
    assert "void" in reply.body["reason"]
    assert members(invoke, group) == ["alice"]


def test_an_expired_invitation_answers_404(invoke: Invoke) -> None:
    group = create(invoke, memberlist="bob")
    invite(invoke, group, "bob", "dave")
    key = pending_key("invitation", group, "dave")
    InboxMessage("dave", key).update(actions=[InboxMessage.expires_at.set(int(time.time()) - 1)])
    assert_failed(accept_invitation(invoke, group, "dave", "bob"), 404)
    assert members(invoke, group) == ["alice", "bob"]


def test_joining_by_application_removes_the_joiners_invitation(invoke: Invoke) -> None:
    group = create(invoke, memberlist="bob")
    apply(invoke, group, "dave")
    invite(invoke, group, "bob", "dave")
    assert decide_application(invoke, group, "dave").status == 200
    assert inbox_types(invoke, "dave") == [("application_accepted", "alice")]


def test_kicked_after_joining_the_old_invitation_answers_404(invoke: Invoke) -> None:
    # The steps: bob invites dave, dave applies, alice accepts, kicks him; the old invitation is gone
    group = create(invoke, memberlist="bob")
    invite(invoke, group, "bob", "dave")
    apply(invoke, group, "dave")
    decide_application(invoke, group, "dave")
    assert delete(invoke, "delete_kickout", "alice", chatgroup_id=group, who_to_kick_out="dave").status == 200
    assert_failed(accept_invitation(invoke, group, "dave", "bob"), 404)
    assert members(invoke, group) == ["alice", "bob"]
