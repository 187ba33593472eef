"""Every flow of the API, over HTTP against the local stack, as its users would walk it."""

import json
import time

import boto3
import pytest
from botocore.exceptions import ClientError

from devstack.stackfile import StackInfo
from tests.e2e.conftest import User


def test_applicant_denied_by_the_creator_stays_out(alice: User, bob: User) -> None:
    # Given bob applied to alice's group
    group = alice.create_group()["chatgroup_id"]
    bob.send("application", group, message="Can I join?")
    assert [(m["type"], m["from"]) for m in alice.inbox_about(group)] == [("application", "bob")]

    # When alice denies the application
    answer = alice.call(
        "PUT",
        "/api/v1/chatgroup/put",
        {"type": "application", "choice": "deny", "chatgroup_id": group, "who_apply": "bob"},
    )

    # Then bob is not a member and the application has left alice's inbox
    assert (answer.status_code, answer.json()) == (200, {"result": "OK"})
    assert alice.members(group) == ["alice"]
    assert alice.inbox_about(group) == []


def test_applicant_accepted_by_the_creator_joins_and_gets_the_queue(alice: User, bob: User) -> None:
    # Given bob applied to alice's group
    created = alice.create_group()
    group = created["chatgroup_id"]
    bob.send("application", group)

    # When alice accepts the application
    answer = alice.call(
        "PUT",
        "/api/v1/chatgroup/put",
        {"type": "application", "choice": "accept", "chatgroup_id": group, "who_apply": "bob"},
    )

    # Then bob is a member, and the answer is the group's chat queue
    assert (answer.status_code, answer.json()) == (200, {"sqs": created["sqs"]})
    assert alice.members(group) == ["alice", "bob"]


@pytest.mark.local_only  # reads SQS of the embedded AWS
def test_a_join_reaches_the_groups_queue_as_a_joined_notice(stack: StackInfo, alice: User, bob: User) -> None:
    # Given bob applied to alice's group
    created = alice.create_group()
    group = created["chatgroup_id"]
    bob.send("application", group)
    sqs = boto3.client("sqs", endpoint_url=stack.aws_endpoint_url, region_name=stack.region)
    queue_url = sqs.get_queue_url(QueueName=created["sqs"].rsplit(":", 1)[1])["QueueUrl"]

    # When alice accepts the application
    answer = alice.call(
        "PUT",
        "/api/v1/chatgroup/put",
        {"type": "application", "choice": "accept", "chatgroup_id": group, "who_apply": "bob"},
    )
    assert answer.status_code == 200

    # Then the notifier, driven by the stack from the timeline's stream, puts the joined notice on the queue
    messages: list = []
    deadline = time.monotonic() + 15
    while not messages and time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1).get("Messages", [])
    [notice] = [json.loads(message["Body"]) for message in messages]
    assert {key: notice[key] for key in ("type", "chatgroup_id", "user", "by")} == {
        "type": "joined",
        "chatgroup_id": group,
        "user": "bob",
        "by": "alice",
    }


def test_invitee_who_accepts_joins_the_group(alice: User, carol: User) -> None:
    # Given alice invited carol to her group
    group = alice.create_group()["chatgroup_id"]
    alice.send("invitation", group, who_to_invite="carol", message="Come along!")
    invitation = carol.inbox_about(group)
    assert [(m["type"], m["from"], m["message"]) for m in invitation] == [("invitation", "alice", "Come along!")]

    # When carol accepts it
    answer = carol.call(
        "PUT",
        "/api/v1/chatgroup/put",
        {
            "type": "invitation",
            "choice": "accept",
            "chatgroup_id": group,
            "who_invite": "alice",
            "inbox_message_id": invitation[0]["inbox_message_id"],
        },
    )

    # Then carol is a member and her invitation is gone
    assert answer.status_code == 200
    assert answer.json()["sqs"].endswith(f"-{group}.fifo")
    assert carol.members(group) == ["alice", "carol"]
    assert carol.inbox_about(group) == []


def test_invitee_who_denies_stays_out(alice: User, carol: User) -> None:
    # Given alice invited carol to her group
    group = alice.create_group()["chatgroup_id"]
    alice.send("invitation", group, who_to_invite="carol")

    # When carol denies the invitation
    answer = carol.call(
        "PUT",
        "/api/v1/chatgroup/put",
        {"type": "invitation", "choice": "deny", "chatgroup_id": group, "who_invite": "alice"},
    )

    # Then carol is not a member and the invitation is gone
    assert (answer.status_code, answer.json()) == (200, {"result": "OK"})
    assert carol.members(group) == ["alice"]
    assert carol.inbox_about(group) == []


def test_member_who_leaves_is_no_longer_listed(alice: User, bob: User) -> None:
    # Given bob is a member of alice's group
    group = alice.create_group(memberlist="bob")["chatgroup_id"]
    assert alice.members(group) == ["alice", "bob"]

    # When bob leaves
    answer = bob.call("PUT", "/api/v1/chatgroup/put", {"type": "leave", "chatgroup_id": group, "who_leave": "bob"})

    # Then only alice is left
    assert (answer.status_code, answer.json()) == (200, {"result": "OK"})
    assert alice.members(group) == ["alice"]


def test_creator_kicks_a_member_out(alice: User, dave: User) -> None:
    # Given dave is a member of alice's group
    group = alice.create_group(memberlist=["dave"])["chatgroup_id"]

    # When alice kicks dave out
    answer = alice.call(
        "DELETE",
        "/api/v1/chatgroup/delete",
        {"type": "kickout", "chatgroup_id": group, "creator_id": "alice", "who_to_kick_out": "dave"},
    )

    # Then dave is no longer a member
    assert (answer.status_code, answer.json()) == (200, {"result": "OK"})
    assert dave.members(group) == ["alice"]


def test_creator_updates_the_group(alice: User, bob: User) -> None:
    # Given alice's group
    group = alice.create_group(name="Chess club", capacity=4)["chatgroup_id"]

    # When alice renames it and raises its capacity
    answer = alice.call(
        "PUT",
        "/api/v1/chatgroup/put",
        {"type": "update", "chatgroup_id": group, "attrs": '{"name": "Chess & Go club", "capacity": 8}'},
    )

    # Then everyone reads the new name and capacity
    assert (answer.status_code, answer.json()) == (200, {"result": "OK"})
    read = bob.group(group).json()
    assert (read["Name"], read["Capacity"], read["CreatorID"]) == ("Chess & Go club", 8, "alice")


@pytest.mark.local_only  # reads SQS of the embedded AWS
def test_dismissed_group_is_gone_with_its_queue(stack: StackInfo, alice: User, bob: User) -> None:
    # Given alice's group with bob in it, and its chat queue
    created = alice.create_group(memberlist="bob")
    group, queue_name = created["chatgroup_id"], created["sqs"].rsplit(":", 1)[1]
    sqs = boto3.client("sqs", endpoint_url=stack.aws_endpoint_url, region_name=stack.region)
    assert sqs.get_queue_url(QueueName=queue_name)["QueueUrl"].endswith(queue_name)

    # When alice dismisses it
    answer = alice.call(
        "DELETE", "/api/v1/chatgroup/delete", {"type": "dismiss", "chatgroup_id": group, "creator_id": "alice"}
    )

    # Then the group is not found any more, and its queue no longer exists
    assert (answer.status_code, answer.json()) == (200, {"result": "OK"})
    gone = bob.group(group)
    assert gone.status_code == 404
    assert gone.json()["result"] == "fail"
    with pytest.raises(ClientError) as missing:
        sqs.get_queue_url(QueueName=queue_name)
    assert missing.value.response["Error"]["Code"] in ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")
