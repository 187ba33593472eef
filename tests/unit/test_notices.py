"""Notices: one queue message per committed membership change, in seq order, sent from the timeline's stream;
inbox messages where the queue cannot reach."""

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from chatgroup import groups, inbox, membership, timeline
from chatgroup.clock import iso
from chatgroup.errors import Forbidden, NotFound, ServiceUnavailable
from chatgroup.models import TimelineItem
from chatgroup.schemas import (
    ApplicationDecision,
    ApplicationMessageRequest,
    ChatgroupChanges,
    InvitationDecision,
    InvitationMessageRequest,
    KickoutRequest,
    LeaveRequest,
)
from devstack.streams import StreamDriver

Notices = Callable[[str], list[dict[str, Any]]]


@pytest.fixture
def notifier(stream_driver: Callable[..., StreamDriver]) -> StreamDriver:
    """The notifier function on the timeline's stream, as the template triggers it."""
    return stream_driver("NotifyQueueFunction")


def received(queue_url: str) -> list[dict[str, Any]]:
    """Every message of the queue (one message group: SQS hands them over in order), with its FIFO attributes."""
    sqs = boto3.client("sqs")
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["MessageGroupId", "MessageDeduplicationId"]
    ).get("Messages", []):
        messages += [dict(message) for message in batch]
    return messages


@pytest.fixture
def notices(notifier: StreamDriver) -> Notices:
    """What the group's queue holds once the notifier has handled every timeline record there is."""

    def read(queue_url: str) -> list[dict[str, Any]]:
        notifier.drain()
        messages = received(queue_url)
        assert all(message["Attributes"]["MessageGroupId"] in queue_url for message in messages)
        return [json.loads(message["Body"]) for message in messages]

    return read


class SqsOutage:
    """SQS refuses the SendMessage calls numbered in `refuse` (1-based, counted from when it is set), as an outage
    would after botocore's own retries."""

    def __init__(self) -> None:
        self.refuse: set[int] = set()
        self.sends = 0
        self.refused = 0

    def wrap(self, send: Callable[..., Any]) -> Callable[..., Any]:
        def call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            if operation == "SendMessage" and self.refuse:
                self.sends += 1
                if self.sends in self.refuse:
                    self.refused += 1
                    error = {"Error": {"Code": "ServiceUnavailable", "Message": "injected outage"}}
                    raise ClientError(error, operation)  # type: ignore[arg-type]
            return send(client, operation, params)

        return call


@pytest.fixture
def sqs_outage(monkeypatch: pytest.MonkeyPatch) -> SqsOutage:
    outage = SqsOutage()
    monkeypatch.setattr(BaseClient, "_make_api_call", outage.wrap(BaseClient._make_api_call))  # type: ignore[attr-defined]
    return outage


def apply_and_accept(group_id: str, applicant: str, creator: str = "alice") -> None:
    inbox.send_application(applicant, ApplicationMessageRequest(type="application", chatgroup_id=group_id))
    decision = ApplicationDecision(type="application", choice="accept", chatgroup_id=group_id, who_apply=applicant)
    membership.decide(creator, decision)


def invite_and_accept(group_id: str, inviter: str, invitee: str) -> None:
    invitation = InvitationMessageRequest(type="invitation", chatgroup_id=group_id, who_to_invite=invitee)
    inbox.send_invitation(inviter, invitation)
    decision = InvitationDecision(type="invitation", choice="accept", chatgroup_id=group_id, who_invite=inviter)
    membership.decide(invitee, decision)


def rename(group_id: str, *names: str) -> None:
    for name in names:
        groups.update_chatgroup("alice", group_id, ChatgroupChanges(name=name))


def inbox_types(user: str) -> list[str]:
    return [message.type for message in inbox.list_inbox(user, 20, None).messages]


def test_an_accepted_application_posts_one_joined_notice(new_group, notices: Notices) -> None:
    # Given a group
    group = new_group(creator="alice")

    # When the creator accepts dave's application
    apply_and_accept(group.chatgroup_id, "dave")

    # Then the queue holds one notice, in today's shape, stamped with the time its change was written
    [notice] = notices(group.queue_url)
    [joined] = [item for item in TimelineItem.query(group.chatgroup_id) if item.notice == "joined"]
    assert notice == {
        "type": "joined",
        "chatgroup_id": group.chatgroup_id,
        "user": "dave",
        "by": "alice",
        "at": iso(joined.created_at),
    }
    assert notice["at"].endswith("Z")


def test_an_accepted_invitation_posts_joined_by_the_inviter(new_group, notices: Notices) -> None:
    group = new_group(creator="alice", members=("bob",))
    invite_and_accept(group.chatgroup_id, "bob", "dave")
    assert [(n["type"], n["user"], n["by"]) for n in notices(group.queue_url)] == [("joined", "dave", "bob")]


def test_changes_are_posted_in_the_order_they_happened(new_group, notices: Notices) -> None:
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


def test_an_update_notice_says_what_changed(new_group, notices: Notices) -> None:
    group = new_group(creator="alice")
    groups.update_chatgroup("alice", group.chatgroup_id, ChatgroupChanges(capacity=9))
    [notice] = notices(group.queue_url)
    assert notice["changes"] == {"capacity": 9}


def test_a_group_renamed_a_b_a_b_posts_four_updated_notices(new_group, notices: Notices) -> None:
    # Given a group named A
    group = new_group(creator="alice")

    # When it is renamed B, A, B, A within SQS's 5-minute deduplication window
    rename(group.chatgroup_id, "B", "A", "B", "A")

    # Then each of the four committed changes is its own notice, in order
    assert [n["changes"] for n in notices(group.queue_url)] == [{"name": name} for name in ("B", "A", "B", "A")]


def test_each_notice_is_deduplicated_by_its_group_and_seq(new_group, notifier: StreamDriver) -> None:
    # Given a group whose member leaves and who then is accepted again
    group = new_group(creator="alice", members=("bob",))
    membership.leave("bob", LeaveRequest(type="leave", chatgroup_id=group.chatgroup_id, who_leave="bob"))
    apply_and_accept(group.chatgroup_id, "bob")

    # When the notifier has sent them
    notifier.drain()

    # Then each message's deduplication id is the group and the seq of its timeline notice
    seqs = [int(item.seq) for item in TimelineItem.query(group.chatgroup_id)]
    assert [message["Attributes"]["MessageDeduplicationId"] for message in received(group.queue_url)] == [
        f"{group.chatgroup_id}-{seq}" for seq in seqs
    ]


def test_a_notice_whose_send_fails_is_retried_by_the_stream_and_reaches_the_queue_once(
    new_group, notices: Notices, sqs_outage: SqsOutage
) -> None:
    # Given SQS refuses the next send
    group = new_group(creator="alice", members=("bob",))
    sqs_outage.refuse = {1}

    # When a member leaves
    membership.leave("bob", LeaveRequest(type="leave", chatgroup_id=group.chatgroup_id, who_leave="bob"))

    # Then the leave stands, its notice was refused once, retried, and is on the queue once
    assert groups.get_chatgroup(group.chatgroup_id).MemberList == "alice"
    assert [n["type"] for n in notices(group.queue_url)] == ["left"]
    assert sqs_outage.refused == 1


def test_notices_reach_the_queue_in_seq_order_when_a_send_in_the_middle_fails(
    new_group, notices: Notices, notifier: StreamDriver, sqs_outage: SqsOutage
) -> None:
    # Given a group renamed four times, its first notice already sent
    group = new_group(creator="alice")
    rename(group.chatgroup_id, "one")
    notifier.drain()
    rename(group.chatgroup_id, "two", "three", "four")

    # When SQS takes the batch's first notice, refuses the second, then refuses it again on the retry
    sqs_outage.refuse = {2, 3}

    # Then every notice is on the queue once, in seq order
    assert [n["changes"]["name"] for n in notices(group.queue_url)] == ["one", "two", "three", "four"]
    assert (sqs_outage.sends, sqs_outage.refused) == (5, 2)


def test_a_refused_request_posts_nothing(new_group, notices: Notices) -> None:
    group = new_group(creator="alice", members=("bob",))
    with pytest.raises(Forbidden):
        membership.leave("carol", LeaveRequest(type="leave", chatgroup_id=group.chatgroup_id, who_leave="bob"))
    assert notices(group.queue_url) == []


def test_a_retried_accept_is_refused_and_posts_once(new_group, notices: Notices) -> None:
    group = new_group(creator="alice")
    apply_and_accept(group.chatgroup_id, "dave")
    decision = ApplicationDecision(
        type="application", choice="accept", chatgroup_id=group.chatgroup_id, who_apply="dave"
    )
    with pytest.raises(NotFound):
        membership.decide("alice", decision)
    assert len(notices(group.queue_url)) == 1


def test_chat_messages_post_no_notice(new_group, notices: Notices) -> None:
    # Given a group whose member chats and leaves
    group = new_group(creator="alice", members=("bob",))
    timeline.send_message("bob", group.chatgroup_id, "bye")
    membership.leave("bob", LeaveRequest(type="leave", chatgroup_id=group.chatgroup_id, who_leave="bob"))

    # When the queue is read
    # Then it holds the leave only: chat messages are not membership notices
    assert [n["type"] for n in notices(group.queue_url)] == ["left"]


def test_the_notice_of_a_group_dismissed_before_it_was_sent_is_dropped_not_retried(
    new_group, notifier: StreamDriver
) -> None:
    # Given a member who leaves, and the group dismissed (its queue deleted) before the notifier ran
    group = new_group(creator="alice", members=("bob",))
    membership.leave("bob", LeaveRequest(type="leave", chatgroup_id=group.chatgroup_id, who_leave="bob"))
    groups.dismiss_chatgroup("alice", group.chatgroup_id, "alice")

    # When the notifier handles the stream
    notifier.drain()

    # Then it is done with the notice: nothing left to retry, nothing given up on
    assert notifier.poll() is False
    assert received(notifier.queue_urls["NoticesDeadLetterQueue"]) == []


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
