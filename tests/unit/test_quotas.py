"""Per-user quotas: live groups created, and applications and invitations awaiting a decision.

A refusal is a 429 (TooManyRequests) that changes nothing; whatever ends what a slot counts gives it
back; an expired message frees its slot though TTL has not deleted it; concurrency never exceeds a quota.
"""

import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from chatgroup import groups, inbox, membership
from chatgroup.errors import Conflict, TooManyRequests
from chatgroup.models import INBOX_RETENTION_SECONDS, Chatgroup, InboxMessage, QuotaUsage, pending_key
from chatgroup.schemas import (
    ApplicationDecision,
    ApplicationMessageRequest,
    CreateChatgroupRequest,
    InvitationDecision,
    InvitationMessageRequest,
)
from chatgroup.settings import get_settings


def create(creator: str, members: tuple[str, ...] = ()) -> str:
    request = CreateChatgroupRequest(name="Front row crew", capacity=10, memberlist=list(members))
    return groups.create_chatgroup(creator, request).chatgroup_id


def apply(applicant: str, chatgroup_id: str) -> str:
    return inbox.send_application(applicant, ApplicationMessageRequest(type="application", chatgroup_id=chatgroup_id))


def invite(inviter: str, invitee: str, chatgroup_id: str) -> str:
    request = InvitationMessageRequest(type="invitation", chatgroup_id=chatgroup_id, who_to_invite=invitee)
    return inbox.send_invitation(inviter, request)


def dismiss(creator: str, chatgroup_id: str) -> None:
    groups.dismiss_chatgroup(creator, chatgroup_id, creator)


def queue_count() -> int:
    return len(boto3.client("sqs").list_queues(QueueNamePrefix="chatgroup-").get("QueueUrls", []))


def live_groups_of(creator: str) -> list[str]:
    return [group.chatgroup_id for group in Chatgroup.scan() if group.creator_id == creator]


def messages_from(sender: str) -> list[InboxMessage]:
    return [message for message in InboxMessage.scan() if message.sender_id == sender]


def slots_of(user: str) -> tuple[set[str], set[str]]:
    """The (groups, pending) slots the user's quota item holds."""
    try:
        usage = QuotaUsage.get(user, consistent_read=True)
    except QuotaUsage.DoesNotExist:
        return set(), set()
    return set(usage.groups or ()), set(usage.pending or ())


def now_s() -> int:
    return int(time.time())


def expire_at(recipient: str, key: str, expires_at: int) -> None:
    """Set when a pending message expires, as if it had been sent that much earlier."""
    InboxMessage(recipient, key).update(actions=[InboxMessage.expires_at.set(expires_at)])


# live groups


def test_a_creator_at_the_live_group_limit_is_refused_and_nothing_is_created(aws, quota_limits) -> None:
    # Given alice has created as many groups as one user may
    quota_limits(live_groups=2)
    created = [create("alice"), create("alice")]

    # When she creates another
    with pytest.raises(TooManyRequests, match="live chatgroups are at the limit of 2") as refusal:
        create("alice", members=("bob",))

    # Then only dismissing helps (no Retry-After), and neither a group, a member nor a queue was added
    assert refusal.value.retry_after is None
    assert sorted(live_groups_of("alice")) == sorted(created)
    assert queue_count() == 2
    assert slots_of("alice")[0] == set(created)


def test_the_live_group_limit_is_enforced_by_the_transaction_not_by_the_early_check(
    aws, quota_limits, monkeypatch
) -> None:
    # Given alice is at the limit, and the early check (which spares a queue) is skipped
    quota_limits(live_groups=1)
    create("alice")
    monkeypatch.setattr(groups, "require_group_slot", lambda creator: None)

    # When she creates another, Then the creation's transaction refuses it and its queue is deleted again
    with pytest.raises(TooManyRequests, match="live chatgroups are at the limit of 1"):
        create("alice")
    assert len(live_groups_of("alice")) == 1
    assert queue_count() == 1


def test_dismissing_a_group_gives_its_creator_the_slot_back(aws, quota_limits) -> None:
    # Given alice is at the limit
    quota_limits(live_groups=1)
    first = create("alice")

    # When she dismisses her group
    dismiss("alice", first)

    # Then she can create another
    second = create("alice")
    assert slots_of("alice")[0] == {second}


def test_each_user_has_a_live_group_quota_of_their_own(aws, quota_limits) -> None:
    quota_limits(live_groups=1)
    create("alice")
    create("bob")
    assert len(live_groups_of("bob")) == 1


def test_concurrent_creations_never_exceed_the_live_group_quota(aws, quota_limits) -> None:
    # Given alice may have 3 live groups
    quota_limits(live_groups=3)

    # When she creates 10 at once
    def attempt(index: int) -> str:
        try:
            create("alice")
        except TooManyRequests:
            return "refused"
        return "created"

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(attempt, range(10)))

    # Then exactly 3 exist, with their 3 queues and slots, and every other was refused
    assert outcomes.count("created") == 3
    assert outcomes.count("refused") == 7
    assert len(live_groups_of("alice")) == 3
    assert queue_count() == 3
    assert slots_of("alice")[0] == set(live_groups_of("alice"))


# pending applications and invitations


def test_a_sender_at_the_pending_limit_is_refused_until_the_oldest_expires(aws, quota_limits) -> None:
    # Given dave has as many applications awaiting a decision as one user may
    quota_limits(pending_messages=2)
    first, second, third = create("alice"), create("bob"), create("carol")
    apply("dave", first)
    apply("dave", second)

    # When he applies to a third group
    with pytest.raises(TooManyRequests, match="awaiting a decision are at the limit of 2") as refusal:
        apply("dave", third)

    # Then he may retry once his oldest message expires (or at once after a withdrawal), and the third creator
    # received nothing
    assert INBOX_RETENTION_SECONDS - 60 <= (refusal.value.retry_after or 0) <= INBOX_RETENTION_SECONDS
    assert "withdraw or revoke one (DELETE /api/v1/inbox/delete" in str(refusal.value)
    assert sorted(message.chatgroup_id for message in messages_from("dave")) == sorted([first, second])
    assert list(InboxMessage.query("carol")) == []
    assert len(slots_of("dave")[1]) == 2


def test_retry_after_counts_down_to_the_soonest_expiry(aws, quota_limits) -> None:
    # Given dave's two pending applications expire in 1000 and 500 seconds
    quota_limits(pending_messages=2)
    first, second, third = create("alice"), create("bob"), create("carol")
    apply("dave", first)
    apply("dave", second)
    expire_at("alice", pending_key("application", first, "dave"), now_s() + 1000)
    expire_at("bob", pending_key("application", second, "dave"), now_s() + 500)

    # When he applies again, Then he is told to wait until the sooner one expires
    with pytest.raises(TooManyRequests) as refusal:
        apply("dave", third)
    assert 495 <= (refusal.value.retry_after or 0) <= 500


def test_applications_and_invitations_share_one_pending_quota(aws, quota_limits) -> None:
    # Given bob, a member of alice's group, has one invitation and one application pending
    quota_limits(pending_messages=2)
    crew = create("alice", members=("bob",))
    other = create("carol")
    invite("bob", "dave", crew)
    apply("bob", other)

    # When he invites someone else, Then he is refused and erin has no invitation
    with pytest.raises(TooManyRequests):
        invite("bob", "erin", crew)
    assert list(InboxMessage.query("erin")) == []


def test_a_duplicate_at_the_limit_is_a_conflict_not_a_quota_refusal(aws, quota_limits) -> None:
    quota_limits(pending_messages=1)
    group = create("alice")
    apply("dave", group)
    with pytest.raises(Conflict, match="pending application"):
        apply("dave", group)


def decide(group: str, message_type: str, choice: str) -> None:
    if message_type == "application":
        membership.decide(
            "alice", ApplicationDecision(type="application", choice=choice, chatgroup_id=group, who_apply="dave")
        )
    else:
        membership.decide(
            "dave", InvitationDecision(type="invitation", choice=choice, chatgroup_id=group, who_invite="alice")
        )


@pytest.mark.parametrize("message_type", ["application", "invitation"])
@pytest.mark.parametrize("choice", ["accept", "deny"])
def test_a_decision_gives_the_senders_slot_back(aws, quota_limits, message_type: str, choice: str) -> None:
    # Given the sender of an application (dave) or of an invitation (alice) may have one pending, and has it
    quota_limits(pending_messages=1)
    group, other = create("alice"), create("bob", members=("alice",))
    sender = "dave" if message_type == "application" else "alice"
    if message_type == "application":
        apply("dave", group)
    else:
        invite("alice", "dave", group)

    # When its recipient accepts or denies it
    decide(group, message_type, choice)

    # Then the sender can send another
    assert slots_of(sender)[1] == set()
    if message_type == "application":
        apply("dave", other)
    else:
        invite("alice", "erin", other)
    assert len(slots_of(sender)[1]) == 1


def test_dismissing_a_group_gives_back_the_slots_of_its_pending_messages(aws, quota_limits) -> None:
    # Given dave applied to alice's group and bob, a member, invited erin; each may have one pending
    quota_limits(pending_messages=1)
    group = create("alice", members=("bob",))
    apply("dave", group)
    invite("bob", "erin", group)
    elsewhere = create("carol", members=("bob",))

    # When alice dismisses the group
    dismiss("alice", group)

    # Then both have their slot back and can send again
    assert slots_of("dave")[1] == slots_of("bob")[1] == set()
    apply("dave", elsewhere)
    invite("bob", "erin", elsewhere)


def test_an_expired_pending_message_frees_its_slot_before_ttl_deletes_it(aws, quota_limits) -> None:
    # Given dave's one allowed application expired a second ago, and TTL has not deleted it yet
    quota_limits(pending_messages=1)
    first, second = create("alice"), create("bob")
    apply("dave", first)
    expire_at("alice", pending_key("application", first, "dave"), now_s() - 1)

    # When he applies to another group
    apply("dave", second)

    # Then it is sent, and his one slot is the new application's
    assert slots_of("dave")[1] == {f"bob {pending_key('application', second, 'dave')}"}


def test_a_pending_message_deleted_by_ttl_frees_its_slot(aws, quota_limits) -> None:
    # Given TTL deleted dave's one allowed application
    quota_limits(pending_messages=1)
    first, second = create("alice"), create("bob")
    apply("dave", first)
    InboxMessage("alice", pending_key("application", first, "dave")).delete()

    # When he applies to another group, Then it is sent
    apply("dave", second)
    assert [message.chatgroup_id for message in messages_from("dave")] == [second]


def test_an_expired_application_can_be_sent_again(aws, quota_limits) -> None:
    # Given dave's application expired, and TTL has not deleted it yet
    quota_limits(pending_messages=1)
    group = create("alice")
    first_id = apply("dave", group)
    expire_at("alice", pending_key("application", group, "dave"), now_s() - 1)

    # When he applies again, Then the new application replaces it
    second_id = apply("dave", group)
    [message] = InboxMessage.query("alice")
    assert message.message_id == second_id != first_id
    assert message.expires_at > now_s()


def test_a_slot_whose_message_another_member_now_sends_is_reclaimed(aws, quota_limits) -> None:
    # Given bob's invitation of erin expired, and carol invited erin to the same group in its place
    quota_limits(pending_messages=1)
    group = create("alice", members=("bob", "carol"))
    invite("bob", "erin", group)
    expire_at("erin", pending_key("invitation", group, "erin"), now_s() - 1)
    invite("carol", "erin", group)

    # When bob invites someone else, Then he can: the message his slot stood for is no longer his
    invite("bob", "frank", group)


def test_a_message_sent_before_quotas_existed_can_still_be_decided(aws) -> None:
    # Given an application that took no quota slot (dave has no quota item at all)
    group = create("alice")
    InboxMessage(
        "alice",
        pending_key("application", group, "dave"),
        message_id="m1",
        type="application",
        chatgroup_id=group,
        sender_id="dave",
        created_at=now_s() * 1000,
        expires_at=now_s() + INBOX_RETENTION_SECONDS,
    ).save()

    # When alice denies it, Then the decision stands
    decide(group, "application", "deny")
    assert list(InboxMessage.query("alice")) == []


def test_concurrent_sends_never_exceed_the_pending_quota(aws, quota_limits) -> None:
    # Given dave may have 3 pending messages, and 10 groups to apply to
    quota_limits(pending_messages=3)
    targets = [create(f"creator{index}") for index in range(10)]

    # When he applies to all of them at once
    def attempt(chatgroup_id: str) -> str:
        try:
            apply("dave", chatgroup_id)
        except TooManyRequests:
            return "refused"
        return "sent"

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(attempt, targets))

    # Then exactly 3 were sent, each holding one slot
    assert outcomes.count("sent") == 3
    assert outcomes.count("refused") == 7
    assert len(messages_from("dave")) == 3
    assert len(slots_of("dave")[1]) == 3


def test_concurrent_sends_reclaim_expired_slots_without_exceeding_the_quota(aws, quota_limits) -> None:
    # Given dave's 3 allowed applications all expired (TTL has not deleted them), and 10 more groups
    quota_limits(pending_messages=3)
    old = [create(f"old{index}") for index in range(3)]
    for index, chatgroup_id in enumerate(old):
        apply("dave", chatgroup_id)
        expire_at(f"old{index}", pending_key("application", chatgroup_id, "dave"), now_s() - 1)
    targets = [create(f"creator{index}") for index in range(10)]

    # When he applies to all 10 at once
    def attempt(chatgroup_id: str) -> str:
        try:
            apply("dave", chatgroup_id)
        except TooManyRequests:
            return "refused"
        return "sent"

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(attempt, targets))

    # Then the expired ones made room for exactly 3 new ones
    assert outcomes.count("sent") == 3
    live = [message for message in messages_from("dave") if message.chatgroup_id in targets]
    assert len(live) == 3
    assert slots_of("dave")[1] == {f"{message.recipient_id} {message.pending_key}" for message in live}


@pytest.mark.parametrize("size", ["0", "-1", "ten", ""])
def test_a_quota_size_that_is_not_a_positive_whole_number_fails_when_the_function_starts(
    monkeypatch, quota_limits, size: str
) -> None:
    monkeypatch.setenv("MAX_PENDING_MESSAGES_PER_USER", size)
    quota_limits()
    with pytest.raises(ValueError, match="MAX_PENDING_MESSAGES_PER_USER"):
        get_settings()
