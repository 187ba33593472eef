"""Membership a moderator can rely on, over HTTP with real tokens: the issue's steps, ban, unban, transfer."""

from typing import Any

import requests

from devstack.stackfile import StackInfo
from tests.e2e.conftest import User
from tests.e2e.test_chat import connected, group_of, send

PUT = "/api/v1/chatgroup/put"
DELETE = "/api/v1/chatgroup/delete"
INBOX = "/api/v1/inbox/create"


def ban(creator: User, group: str, user: str) -> requests.Response:
    return creator.call(
        "DELETE", DELETE, {"type": "ban", "chatgroup_id": group, "creator_id": creator.name, "who_to_ban": user}
    )


def accept_invitation(invitee: User, group: str, inviter: str) -> requests.Response:
    body = {"type": "invitation", "choice": "accept", "chatgroup_id": group, "who_invite": inviter}
    return invitee.call("PUT", PUT, body)


def apply(user: User, group: str) -> requests.Response:
    return user.call("POST", INBOX, {"type": "application", "chatgroup_id": group})


def invite(user: User, group: str, invitee: str) -> requests.Response:
    return user.call("POST", INBOX, {"type": "invitation", "chatgroup_id": group, "who_to_invite": invitee})


def answer(response: requests.Response) -> tuple[int, Any]:
    return response.status_code, response.json()


def test_a_kicked_member_cannot_walk_back_in_with_the_old_invitation(alice: User, bob: User, carol: User) -> None:
    # Given the steps: alice's group with bob; bob invites carol; carol applies; alice accepts; alice kicks her
    group = alice.create_group(memberlist="bob")["chatgroup_id"]
    bob.send("invitation", group, who_to_invite="carol")
    carol.send("application", group)
    accept = {"type": "application", "choice": "accept", "chatgroup_id": group, "who_apply": "carol"}
    assert alice.call("PUT", PUT, accept).status_code == 200
    assert [m["type"] for m in carol.inbox_about(group)] == ["application_accepted"], "joining removed the invitation"
    kick = {"type": "kickout", "chatgroup_id": group, "creator_id": "alice", "who_to_kick_out": "carol"}
    assert alice.call("DELETE", DELETE, kick).status_code == 200

    # When carol answers the old invitation
    response = accept_invitation(carol, group, "bob")

    # Then there is none, and she stays out
    assert response.status_code == 404, response.text
    assert alice.members(group) == ["alice", "bob"]


def test_an_invitation_from_a_kicked_inviter_is_void(alice: User, bob: User, carol: User) -> None:
    group = alice.create_group(memberlist="bob")["chatgroup_id"]
    bob.send("invitation", group, who_to_invite="carol")
    kick = {"type": "kickout", "chatgroup_id": group, "creator_id": "alice", "who_to_kick_out": "bob"}
    assert alice.call("DELETE", DELETE, kick).status_code == 200

    response = accept_invitation(carol, group, "bob")

    assert response.status_code == 409, response.text
    assert response.json()["result"] == "fail"
    assert alice.members(group) == ["alice"]


def test_a_ban_keeps_a_user_out_until_unbanned(alice: User, bob: User, carol: User) -> None:
    # Given alice bans carol, a member of her group with bob
    group = alice.create_group(memberlist="bob;carol")["chatgroup_id"]
    assert answer(ban(alice, group, "carol")) == (200, {"result": "OK"})
    assert alice.members(group) == ["alice", "bob"]

    # Then she can neither apply nor be invited, and the creator sees the ban
    assert apply(carol, group).status_code == 403
    assert invite(bob, group, "carol").status_code == 403
    listed = alice.call("GET", f"/api/v1/chatgroup/{group}/bans")
    assert listed.status_code == 200, listed.text
    [entry] = listed.json()["bans"]
    assert (entry["user"], entry["by"]) == ("carol", "alice")
    assert listed.json()["next_token"] is None
    assert bob.call("GET", f"/api/v1/chatgroup/{group}/bans").status_code == 403

    # When alice unbans her, Then she may apply again
    unban = {"type": "unban", "chatgroup_id": group, "who_to_unban": "carol"}
    assert answer(alice.call("PUT", PUT, unban)) == (200, {"result": "OK"})
    assert alice.call("PUT", PUT, unban).status_code == 404
    assert apply(carol, group).status_code == 200


def test_a_banned_user_accepting_an_older_invitation_is_forbidden(alice: User, bob: User, dave: User) -> None:
    group = alice.create_group(memberlist="bob")["chatgroup_id"]
    bob.send("invitation", group, who_to_invite="dave")
    assert ban(alice, group, "dave").status_code == 200
    assert accept_invitation(dave, group, "bob").status_code == 403
    assert alice.members(group) == ["alice", "bob"]


def test_a_banned_member_gets_revoked_with_reason_banned(stack: StackInfo, alice: User, bob: User) -> None:
    group = group_of(alice, "bob")
    with connected(stack, bob.token) as [bob_client]:
        before = send(alice, group, "before the ban")
        assert ban(alice, group, "bob").status_code == 200
        send(alice, group, "after the ban")

        bob_client.until(lambda frame: frame["type"] == "revoked")
        assert bob_client.items() == [
            bob_client.items()[0] | {"seq": before["seq"], "text": "before the ban"},
            {"type": "revoked", "chatgroup_id": group, "reason": "banned"},
        ]
        assert bob_client.quiet()


def test_a_transfer_hands_the_group_and_its_applications_to_a_member(alice: User, bob: User, dave: User) -> None:
    # Given dave applied to alice's group with bob
    created = alice.create_group(memberlist="bob")
    group = created["chatgroup_id"]
    dave.send("application", group)

    # When alice transfers the group to bob
    transfer = {"type": "transfer", "chatgroup_id": group, "new_creator": "bob"}
    assert answer(alice.call("PUT", PUT, transfer)) == (200, {"result": "OK"})

    # Then bob is the creator, with dave's application; alice can no longer decide it, bob can
    assert alice.group(group).json()["CreatorID"] == "bob"
    assert [(m["type"], m["from"]) for m in bob.inbox_about(group)] == [("application", "dave")]
    decision = {"type": "application", "choice": "accept", "chatgroup_id": group, "who_apply": "dave"}
    assert alice.call("PUT", PUT, decision).status_code == 403
    assert answer(bob.call("PUT", PUT, decision)) == (200, {"sqs": created["sqs"]})
    # And the new creator cannot leave, the old one can
    assert bob.call("PUT", PUT, {"type": "leave", "chatgroup_id": group, "who_leave": "bob"}).status_code == 409
    assert alice.call("PUT", PUT, {"type": "leave", "chatgroup_id": group, "who_leave": "alice"}).status_code == 200
    assert bob.members(group) == ["bob", "dave"]
