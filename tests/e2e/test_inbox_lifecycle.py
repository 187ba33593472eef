"""Withdraw, revoke, what I have sent, expiry, the largest creation and photo URLs, over HTTP as users walk them."""

import time
from typing import Any

import boto3
import pytest

from devstack.stackfile import StackInfo
from tests.e2e.conftest import User

INBOX_DELETE = "/api/v1/inbox/delete"


def sent_about(user: User, chatgroup_id: str) -> list[dict[str, Any]]:
    response = user.call("GET", "/api/v1/inbox/sent", limit=100)
    assert response.status_code == 200, response.text
    return [message for message in response.json()["messages"] if message["chatgroup_id"] == chatgroup_id]


def test_an_applicant_withdraws_their_application(alice: User, bob: User) -> None:
    # Given bob applied to alice's group, and sees it among what he sent
    group = alice.create_group()["chatgroup_id"]
    message_id = bob.send("application", group, message="Can I join?")
    [sent] = sent_about(bob, group)
    assert (sent["inbox_message_id"], sent["type"], sent["to"], sent["message"]) == (
        message_id,
        "application",
        "alice",
        "Can I join?",
    )

    # When he withdraws it
    answer = bob.call("DELETE", INBOX_DELETE, {"type": "application", "chatgroup_id": group})

    # Then it is gone from alice's inbox and from what he sent, and a second withdrawal finds nothing
    assert (answer.status_code, answer.json()) == (200, {"result": "OK"})
    assert alice.inbox_about(group) == []
    assert sent_about(bob, group) == []
    again = bob.call("DELETE", INBOX_DELETE, {"type": "application", "chatgroup_id": group})
    assert again.status_code == 404


def test_an_invitation_is_revoked_by_its_inviter_or_the_creator_and_nobody_else(
    alice: User, bob: User, carol: User, dave: User
) -> None:
    # Given bob and carol are members of alice's group, and bob invited dave
    group = alice.create_group(memberlist="bob;carol")["chatgroup_id"]
    bob.send("invitation", group, who_to_invite="dave")
    revocation = {"type": "invitation", "chatgroup_id": group, "who_to_invite": "dave"}

    # When carol (another member) or dave (the invitee) revokes it, Then it is forbidden and stays
    for caller in (carol, dave):
        refused = caller.call("DELETE", INBOX_DELETE, revocation)
        assert refused.status_code == 403, refused.text
        assert refused.json()["result"] == "fail"
    assert [(m["type"], m["from"]) for m in dave.inbox_about(group)] == [("invitation", "bob")]

    # When bob revokes it, Then it is gone
    assert bob.call("DELETE", INBOX_DELETE, revocation).status_code == 200
    assert dave.inbox_about(group) == []
    assert sent_about(bob, group) == []

    # And when bob invites dave again and alice, the creator, revokes it, Then it is gone too
    bob.send("invitation", group, who_to_invite="dave")
    assert alice.call("DELETE", INBOX_DELETE, revocation).status_code == 200
    assert dave.inbox_about(group) == []

    # And with nothing pending, a revocation is 404
    assert alice.call("DELETE", INBOX_DELETE, revocation).status_code == 404


def test_what_i_have_sent_is_listed_newest_first_a_page_at_a_time(alice: User, carol: User) -> None:
    # Given carol applied to three of alice's groups
    groups = [alice.create_group()["chatgroup_id"] for _ in range(3)]
    for group in groups:
        carol.send("application", group)

    # When she lists what she sent, two at a time
    first = carol.call("GET", "/api/v1/inbox/sent", limit=2).json()
    second = carol.call("GET", "/api/v1/inbox/sent", limit=2, next_token=first["next_token"]).json()

    # Then the newest come first, and the three are there
    listed = [message["chatgroup_id"] for page in (first, second) for message in page["messages"]]
    assert listed[:3] == list(reversed(groups))


@pytest.mark.local_only  # ages a message in the embedded AWS's table, as if a month had passed
def test_an_expired_message_is_listed_neither_in_the_inbox_nor_as_sent(
    stack: StackInfo, alice: User, dave: User
) -> None:
    # Given dave's application to alice's group expired, and TTL has not deleted it yet
    group = alice.create_group()["chatgroup_id"]
    dave.send("application", group)
    dynamodb = boto3.client("dynamodb", endpoint_url=stack.aws_endpoint_url, region_name=stack.region)
    dynamodb.update_item(
        TableName="InboxTable",
        Key={"recipient_id": {"S": "alice"}, "pending_key": {"S": f"application#{group}#dave"}},
        UpdateExpression="SET expires_at = :past",
        ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 1)}},
    )

    # Then neither alice's inbox nor dave's sent list shows it, and it cannot be withdrawn
    assert alice.inbox_about(group) == []
    assert sent_about(dave, group) == []
    assert dave.call("DELETE", INBOX_DELETE, {"type": "application", "chatgroup_id": group}).status_code == 404


def test_a_group_is_created_with_the_contracts_99_initial_members(alice: User) -> None:
    memberlist = [f"guest{index:02d}" for index in range(99)]
    group = alice.create_group(memberlist=";".join(memberlist), capacity=100)["chatgroup_id"]
    assert alice.members(group) == ["alice", *memberlist]


def test_a_photo_url_with_a_newline_or_tab_is_refused_on_create_and_update(alice: User) -> None:
    group = alice.create_group()["chatgroup_id"]
    for photo in ("https://example.com/a\n.png", "https://example.com/\ta.png"):
        created = alice.call("POST", "/api/v1/chatgroup/create", {"name": "Crew", "capacity": 3, "photo": photo})
        updated = alice.call(
            "PUT", "/api/v1/chatgroup/put", {"type": "update", "chatgroup_id": group, "attrs": {"photo": photo}}
        )
        for answer in (created, updated):
            assert answer.status_code == 400, answer.text
            assert "photo must not hold tabs, newlines, other control or invisible" in answer.json()["reason"]
    assert alice.group(group).json()["PhotoID"] is None
