"""Notices: one queue message per membership change, in order; inbox messages where the queue cannot reach."""

import json
from typing import Any

import boto3
import pytest

from chatgroup import groups, inbox, membership
from chatgroup.errors import Forbidden, NotFound, ServiceUnavailable
from chatgroup.observability import metrics
from chatgroup.schemas import (
    ApplicationDecision,
    ApplicationMessageRequest,
    ChatgroupChanges,
    InvitationDecision,
    InvitationMessageRequest,
    KickoutRequest,
    LeaveRequest,
)


def notices(queue_url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["MessageGroupId"])
    messages = received.get("Messages", [])
    assert all(message["Attributes"]["MessageGroupId"] in queue_url for message in messages)
    return [json.loads(message["Body"]) for message in messages]


def apply_and_accept(group_id: str, applicant: str, creator: str = "alice") -> None:
    inbox.send_application(applicant, ApplicationMessageRequest(type="application", chatgroup_id=group_id))
    decision = ApplicationDecision(type="application", choice="accept", chatgroup_id=group_id, who_apply=applicant)
    membership.decide(creator, decision)


def invite_and_accept(group_id: str, inviter: str, invitee: str) -> None:
    invitation = InvitationMessageRequest(type="invitation", chatgroup_id=group_id, who_to_invite=invitee)
    inbox.send_invitation(inviter, invitation)
    decision = InvitationDecision(type="invitation", choice="accept", chatgroup_id=group_id, who_invite=inviter)
    membership.decide(invitee, decision)


def inbox_types(user: str) -> list[str]:
    return [message.type for message in inbox.list_inbox(user, 20, None).messages]


def test_an_accepted_application_posts_one_joined_notice(new_group) -> None:
    group = new_group(creator="alice")
    apply_and_accept(group.chatgroup_id, "dave")
    [notice] = notices(group.queue_url)
    assert {key: notice[key] for key in ("type", "chatgroup_id", "user", "by")} == {
        "type": "joined",
        "chatgroup_id": group.chatgroup_id,
        "user": "dave",
        "by": "alice",
    }
    assert notice["at"].endswith("Z")


def test_an_accepted_invitation_posts_joined_by_the_inviter(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    invite_and_accept(group.chatgroup_id, "bob", "dave")
    assert [(n["type"], n["user"], n["by"]) for n in notices(group.queue_url)] == [("joined", "dave", "bob")]


def test_changes_are_posted_in_the_order_they_happened(new_group) -> None:
    group = new_group(creator="alice", members=("bob", "carol"))
    membership.leave("bob", LeaveRequest(type="leave", chatgroup_id=group.chatgroup_id, who_leave="bob"))
    apply_and_accept(group.chatgroup_id, "dave")
    membership.kick_out(
        "alice", KickoutRequest(type="kickout", chatgroup_id=group.chatgroup_id, who_to_kick_out="carol")
    )
    groups.update_chatgroup("alice", group.chatgroup_id, ChatgroupChanges(name="Renamed"))
    assert [(n["type"], n["user"], n["by"]) for n in notices(group.queue_url)] == [
        ("left", "bob", "bob"),
        ("joined", "dave", "alice"),
        ("kicked", "carol", "alice"),
        ("updated", "alice", "alice"),
    ]


def test_an_update_notice_says_what_changed(new_group) -> None:
    group = new_group(creator="alice")
    groups.update_chatgroup("alice", group.chatgroup_id, ChatgroupChanges(capacity=9))
    [notice] = notices(group.queue_url)
    assert notice["changes"] == {"capacity": 9}


def test_a_refused_request_posts_nothing(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    with pytest.raises(Forbidden):
        membership.leave("carol", LeaveRequest(type="leave", chatgroup_id=group.chatgroup_id, who_leave="bob"))
    assert notices(group.queue_url) == []


def test_a_retried_update_posts_once(new_group) -> None:
    group = new_group(creator="alice")
    for _ in range(2):
        groups.update_chatgroup("alice", group.chatgroup_id, ChatgroupChanges(name="Renamed"))
    assert len(notices(group.queue_url)) == 1


def test_a_retried_accept_is_refused_and_posts_once(new_group) -> None:
    group = new_group(creator="alice")
    apply_and_accept(group.chatgroup_id, "dave")
    decision = ApplicationDecision(
        type="application", choice="accept", chatgroup_id=group.chatgroup_id, who_apply="dave"
    )
    with pytest.raises(NotFound):
        membership.decide("alice", decision)
    assert len(notices(group.queue_url)) == 1


def test_a_notice_that_cannot_be_sent_does_not_undo_the_change_and_is_counted_once(new_group) -> None:
    # Given a group whose queue is gone, and no metric recorded yet (the Metrics object is shared by every test)
    group = new_group(creator="alice", members=("bob",))
    boto3.client("sqs").delete_queue(QueueUrl=group.queue_url)
    metrics.clear_metrics()

    # When a member leaves
    membership.leave("bob", LeaveRequest(type="leave", chatgroup_id=group.chatgroup_id, who_leave="bob"))

    # Then the leave stands, and the one notice it could not send is counted once
    assert groups.get_chatgroup(group.chatgroup_id).MemberList == "alice"
    assert metrics.metric_set["NoticesFailed"]["Value"] == [1.0]


def test_a_notice_that_is_sent_counts_no_failure(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    metrics.clear_metrics()
    membership.leave("bob", LeaveRequest(type="leave", chatgroup_id=group.chatgroup_id, who_leave="bob"))
    assert [notice["type"] for notice in notices(group.queue_url)] == ["left"]
    assert "NoticesFailed" not in metrics.metric_set


def test_the_applicant_learns_the_outcome_in_their_inbox(new_group) -> None:
    group = new_group(creator="alice")
    inbox.send_application("dave", ApplicationMessageRequest(type="application", chatgroup_id=group.chatgroup_id))
    decision = ApplicationDecision(type="application", choice="deny", chatgroup_id=group.chatgroup_id, who_apply="dave")
    membership.decide("alice", decision)
    [outcome] = inbox.list_inbox("dave", 20, None).messages
    assert (outcome.type, outcome.sender, outcome.chatgroup_id) == ("application_denied", "alice", group.chatgroup_id)


def test_the_inviter_learns_the_outcome_in_their_inbox(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    invite_and_accept(group.chatgroup_id, "bob", "dave")
    assert inbox_types("bob") == ["invitation_accepted"]


def test_dismissal_reaches_every_other_member_and_everyone_with_a_pending_message(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    inbox.send_application("dave", ApplicationMessageRequest(type="application", chatgroup_id=group.chatgroup_id))
    invitation = InvitationMessageRequest(type="invitation", chatgroup_id=group.chatgroup_id, who_to_invite="erin")
    inbox.send_invitation("bob", invitation)
    groups.dismiss_chatgroup("alice", group.chatgroup_id, "alice")
    assert {user: inbox_types(user) for user in ("alice", "bob", "dave", "erin")} == {
        "alice": [],
        "bob": ["dismissed"],
        "dave": ["dismissed"],
        "erin": ["dismissed"],
    }


def test_a_retried_dismissal_tells_each_user_once(new_group, queue_deletion_fails) -> None:
    group = new_group(creator="alice", members=("bob",))
    with pytest.raises(ServiceUnavailable):
        groups.dismiss_chatgroup("alice", group.chatgroup_id, "alice")
    queue_deletion_fails.undo()
    groups.dismiss_chatgroup("alice", group.chatgroup_id, "alice")
    assert inbox_types("bob") == ["dismissed"]
