"""Membership a moderator can rely on (issue 12): pending messages follow membership, ban, unban, bans list, transfer.

Every rule is a condition of the change's own transaction: the tests that matter most give the
domain a group read before another change committed (a stale read), and check that the
transaction, not the read, refuses.
"""
# ruff: noqa: F811 - the fan-out fixtures imported below are, as pytest wants, parameters of a test here

import time

import pytest

from chatgroup import connections, groups, inbox, membership, moderation, timeline
from chatgroup.errors import Conflict, Forbidden, InvalidRequest, NotFound, ServiceUnavailable
from chatgroup.models import Ban, Chatgroup, InboxMessage, Membership, QuotaUsage, TimelineItem, pending_key
from chatgroup.schemas import (
    ApplicationDecision,
    ApplicationMessageRequest,
    BanRequest,
    InvitationDecision,
    InvitationMessageRequest,
    KickoutRequest,
    LeaveRequest,
    TransferRequest,
    UnbanRequest,
)
from devstack.streams import StreamDriver
from tests.unit.test_fanout_retries import ConnectionsApi, connections_api, fan_out  # noqa: F401


def members(chatgroup_id: str) -> list[str]:
    return str(groups.get_chatgroup(chatgroup_id).MemberList).split(";")


def apply(applicant: str, chatgroup_id: str) -> str:
    return inbox.send_application(applicant, ApplicationMessageRequest(type="application", chatgroup_id=chatgroup_id))


def invite(inviter: str, invitee: str, chatgroup_id: str) -> str:
    request = InvitationMessageRequest(type="invitation", chatgroup_id=chatgroup_id, who_to_invite=invitee)
    return inbox.send_invitation(inviter, request)


def accept_application(creator: str, chatgroup_id: str, applicant: str, choice: str = "accept") -> str | None:
    decision = ApplicationDecision(type="application", choice=choice, chatgroup_id=chatgroup_id, who_apply=applicant)
    return membership.decide(creator, decision)


def accept_invitation(invitee: str, chatgroup_id: str, inviter: str, choice: str = "accept") -> str | None:
    decision = InvitationDecision(type="invitation", choice=choice, chatgroup_id=chatgroup_id, who_invite=inviter)
    return membership.decide(invitee, decision)


def kick(creator: str, chatgroup_id: str, user: str) -> None:
    membership.kick_out(creator, KickoutRequest(type="kickout", chatgroup_id=chatgroup_id, who_to_kick_out=user))


def ban(creator: str, chatgroup_id: str, user: str) -> None:
    membership.ban(creator, BanRequest(type="ban", chatgroup_id=chatgroup_id, who_to_ban=user))


def unban(creator: str, chatgroup_id: str, user: str) -> None:
    moderation.unban(creator, UnbanRequest(type="unban", chatgroup_id=chatgroup_id, who_to_unban=user))


def transfer(creator: str, chatgroup_id: str, new_creator: str) -> None:
    moderation.transfer(creator, TransferRequest(type="transfer", chatgroup_id=chatgroup_id, new_creator=new_creator))


def leave(user: str, chatgroup_id: str) -> None:
    membership.leave(user, LeaveRequest(type="leave", chatgroup_id=chatgroup_id, who_leave=user))


def pending_slots(user: str) -> set[str]:
    try:
        return set(QuotaUsage.get(user, consistent_read=True).pending or ())
    except QuotaUsage.DoesNotExist:
        return set()


def group_slots(user: str) -> set[str]:
    try:
        return set(QuotaUsage.get(user, consistent_read=True).groups or ())
    except QuotaUsage.DoesNotExist:
        return set()


def pending_in(recipient: str) -> list[tuple[str, str]]:
    """(type, sender) of the pending applications and invitations in a user's inbox."""
    return [(m.type, m.sender_id) for m in InboxMessage.query(recipient) if m.type in ("application", "invitation")]


def notices(chatgroup_id: str) -> list[tuple[str, str, str]]:
    return [
        (item.notice or "", item.user or "", item.by or "")
        for item in TimelineItem.query(chatgroup_id)
        if item.type == "notice"
    ]


def expire(recipient: str, key: str) -> None:
    """The message's expiry passed a second ago; DynamoDB's TTL has not deleted it (moto's never does)."""
    InboxMessage(recipient, key).update(actions=[InboxMessage.expires_at.set(int(time.time()) - 1)])


def stale(monkeypatch: pytest.MonkeyPatch, module: object, group: Chatgroup) -> None:
    """The module's next read of the group returns `group` as it was read earlier; later reads are fresh."""
    fresh = module.load_group  # type: ignore[attr-defined]
    reads = iter([group])
    monkeypatch.setattr(module, "load_group", lambda chatgroup_id: next(reads, None) or fresh(chatgroup_id))


# Pending messages follow membership


def test_joining_by_application_removes_the_joiners_invitation_and_gives_the_inviter_its_slot(new_group) -> None:
    # Given carol applied to alice's group, and bob invited her
    group = new_group(creator="alice", members=("bob",))
    apply("carol", group.chatgroup_id)
    invite("bob", "carol", group.chatgroup_id)

    # When alice accepts the application
    accept_application("alice", group.chatgroup_id, "carol")

    # Then bob's invitation left carol's inbox and both quota slots are free again
    assert pending_in("carol") == []
    assert pending_slots("bob") == set()
    assert pending_slots("carol") == set()


def test_joining_by_invitation_removes_the_application_and_gives_its_slot_back(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    apply("carol", group.chatgroup_id)
    invite("bob", "carol", group.chatgroup_id)

    accept_invitation("carol", group.chatgroup_id, "bob")

    assert pending_in("alice") == []
    assert pending_slots("carol") == set()
    assert pending_slots("bob") == set()


def test_a_kicked_member_cannot_walk_back_in_with_an_old_invitation(new_group) -> None:
    # Given the steps: bob invites carol, carol applies, alice accepts, then kicks her out
    group = new_group(creator="alice", members=("bob",))
    invite("bob", "carol", group.chatgroup_id)
    apply("carol", group.chatgroup_id)
    accept_application("alice", group.chatgroup_id, "carol")
    kick("alice", group.chatgroup_id, "carol")

    # When carol answers the old invitation, Then there is none to accept, and she stays out
    with pytest.raises(NotFound):
        accept_invitation("carol", group.chatgroup_id, "bob")
    assert members(group.chatgroup_id) == ["alice", "bob"]


def test_a_kick_removes_a_pending_invitation_left_from_before_this_rule(new_group) -> None:
    # Given carol is a member with an invitation in her inbox, as one sent before joining cleaned them up
    group = new_group(creator="alice", members=("bob", "carol"))
    key = pending_key("invitation", group.chatgroup_id, "carol")
    InboxMessage(
        "carol", key, message_id="old", type="invitation", chatgroup_id=group.chatgroup_id, sender_id="bob",
        created_at=1, expires_at=int(time.time()) + 3600,
    ).save()  # fmt: skip
    QuotaUsage("bob").update(actions=[QuotaUsage.pending.add({f"carol {key}"})])

    # When alice kicks her out
    kick("alice", group.chatgroup_id, "carol")

    # Then the invitation went with her, bob's slot is back, and accepting it finds nothing
    assert pending_in("carol") == []
    assert pending_slots("bob") == set()
    with pytest.raises(NotFound):
        accept_invitation("carol", group.chatgroup_id, "bob")


def test_an_invitation_whose_inviter_was_kicked_is_void_and_changes_nothing(new_group) -> None:
    # Given bob invited carol, then was kicked out
    group = new_group(creator="alice", members=("bob",))
    invite("bob", "carol", group.chatgroup_id)
    kick("alice", group.chatgroup_id, "bob")

    # When carol accepts, Then it is a conflict, and she is not in
    with pytest.raises(Conflict, match="void"):
        accept_invitation("carol", group.chatgroup_id, "bob")
    assert members(group.chatgroup_id) == ["alice"]
    assert pending_in("carol") == [("invitation", "bob")]


def test_an_invitation_whose_inviter_left_and_came_back_is_still_void(new_group) -> None:
    # Given bob invited carol, left, and was let in again
    group = new_group(creator="alice", members=("bob",))
    invite("bob", "carol", group.chatgroup_id)
    leave("bob", group.chatgroup_id)
    apply("bob", group.chatgroup_id)
    accept_application("alice", group.chatgroup_id, "bob")

    # When carol accepts, Then the invitation is void: bob has not vouched for her since he came back
    with pytest.raises(Conflict, match="void"):
        accept_invitation("carol", group.chatgroup_id, "bob")
    assert members(group.chatgroup_id) == ["alice", "bob"]


def test_an_invitation_accepted_while_its_group_is_dismissed_is_not_found_not_void(new_group, monkeypatch) -> None:
    # Given alice invited carol, and alice dismisses the group right after carol's accept read her invitation:
    # the dismissal marks the group, then removes its members (alice too) before their pending messages
    group = new_group(creator="alice")
    invite("alice", "carol", group.chatgroup_id)
    read = InboxMessage.get

    def read_then_dismissal_begins(*args, **kwargs):
        message = read(*args, **kwargs)
        Chatgroup(group.chatgroup_id).update(actions=[Chatgroup.dismissed_at.set(int(time.time() * 1000))])
        Membership(group.chatgroup_id, "alice").delete()
        return message

    monkeypatch.setattr(InboxMessage, "get", read_then_dismissal_begins)

    # When carol accepts, Then the group is not found: her inviter is gone only because the group is
    with pytest.raises(NotFound, match="does not exist"):
        accept_invitation("carol", group.chatgroup_id, "alice")


def test_a_void_invitation_can_still_be_declined(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    invite("bob", "carol", group.chatgroup_id)
    kick("alice", group.chatgroup_id, "bob")

    accept_invitation("carol", group.chatgroup_id, "bob", choice="deny")

    assert pending_in("carol") == []
    assert pending_slots("bob") == set()


def test_accepting_a_missing_invitation_from_a_non_member_is_not_found(new_group) -> None:
    group = new_group(creator="alice")
    with pytest.raises(NotFound):
        accept_invitation("carol", group.chatgroup_id, "mallory")


def test_a_member_accepting_an_invitation_from_themselves_is_not_found(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    with pytest.raises(NotFound):
        accept_invitation("bob", group.chatgroup_id, "bob")
    assert members(group.chatgroup_id) == ["alice", "bob"]


@pytest.mark.parametrize("message_type", ["application", "invitation"])
def test_an_expired_pending_message_cannot_be_accepted(new_group, message_type: str) -> None:
    # Given a pending message whose expiry passed, which TTL has not deleted
    group = new_group(creator="alice")
    if message_type == "application":
        apply("carol", group.chatgroup_id)
        expire("alice", pending_key("application", group.chatgroup_id, "carol"))
    else:
        invite("alice", "carol", group.chatgroup_id)
        expire("carol", pending_key("invitation", group.chatgroup_id, "carol"))

    # When it is accepted, Then it is not found and nobody joins
    def accept() -> None:
        if message_type == "application":
            accept_application("alice", group.chatgroup_id, "carol")
        else:
            accept_invitation("carol", group.chatgroup_id, "alice")

    with pytest.raises(NotFound):
        accept()
    assert members(group.chatgroup_id) == ["alice"]


# Ban


def test_a_banned_member_is_removed_with_a_banned_notice_and_a_record(new_group) -> None:
    group = new_group(creator="alice", members=("bob", "carol"))

    ban("alice", group.chatgroup_id, "bob")

    assert members(group.chatgroup_id) == ["alice", "carol"]
    assert Chatgroup.get(group.chatgroup_id).member_count == 2
    assert notices(group.chatgroup_id)[-1] == ("banned", "bob", "alice")
    record = Ban.get(group.chatgroup_id, "bob")
    assert record.by == "alice"


def test_a_banned_user_cannot_apply(new_group) -> None:
    group = new_group(creator="alice")
    ban("alice", group.chatgroup_id, "eve")
    with pytest.raises(Forbidden, match="banned"):
        apply("eve", group.chatgroup_id)
    assert pending_in("alice") == []
    assert pending_slots("eve") == set()


def test_a_banned_user_cannot_be_invited(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    ban("alice", group.chatgroup_id, "eve")
    with pytest.raises(Forbidden, match="eve is banned"):
        invite("bob", "eve", group.chatgroup_id)
    assert pending_in("eve") == []


def test_a_banned_user_accepting_an_older_invitation_is_forbidden_not_not_found(new_group) -> None:
    # Given bob invited eve, and alice banned her (which removed the invitation)
    group = new_group(creator="alice", members=("bob",))
    invite("bob", "eve", group.chatgroup_id)
    ban("alice", group.chatgroup_id, "eve")

    # When eve accepts it, Then the ban answers, before the missing invitation would
    with pytest.raises(Forbidden, match="banned"):
        accept_invitation("eve", group.chatgroup_id, "bob")
    assert members(group.chatgroup_id) == ["alice", "bob"]


def test_banning_removes_the_users_pending_application_and_invitation_and_gives_the_slots_back(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    apply("eve", group.chatgroup_id)
    invite("bob", "eve", group.chatgroup_id)

    ban("alice", group.chatgroup_id, "eve")

    assert pending_in("alice") == []
    assert pending_in("eve") == []
    assert pending_slots("eve") == set()
    assert pending_slots("bob") == set()


def test_banning_a_non_member_keeps_them_out_without_a_timeline_notice(new_group) -> None:
    group = new_group(creator="alice")
    seq_before = Chatgroup.get(group.chatgroup_id).last_seq

    ban("alice", group.chatgroup_id, "eve")

    assert Ban.get(group.chatgroup_id, "eve").by == "alice"
    assert Chatgroup.get(group.chatgroup_id).last_seq == seq_before
    assert members(group.chatgroup_id) == ["alice"]


def test_banning_twice_keeps_one_record(new_group) -> None:
    group = new_group(creator="alice")
    ban("alice", group.chatgroup_id, "eve")
    ban("alice", group.chatgroup_id, "eve")
    assert [b.user_id for b in Ban.query(group.chatgroup_id)] == ["eve"]


def test_only_the_creator_bans(new_group) -> None:
    group = new_group(creator="alice", members=("bob", "carol"))
    with pytest.raises(Forbidden):
        ban("bob", group.chatgroup_id, "carol")
    assert members(group.chatgroup_id) == ["alice", "bob", "carol"]
    assert list(Ban.query(group.chatgroup_id)) == []


def test_a_ban_naming_another_creator_is_forbidden(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    request = BanRequest(type="ban", chatgroup_id=group.chatgroup_id, who_to_ban="bob", creator_id="carol")
    with pytest.raises(Forbidden):
        membership.ban("alice", request)


def test_the_creator_cannot_be_banned(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    with pytest.raises(Conflict, match="creator cannot be banned"):
        ban("alice", group.chatgroup_id, "alice")
    assert list(Ban.query(group.chatgroup_id)) == []


def test_after_a_kick_the_user_may_apply_again(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    kick("alice", group.chatgroup_id, "bob")
    apply("bob", group.chatgroup_id)
    assert pending_in("alice") == [("application", "bob")]


def test_a_banned_member_gets_revoked_with_reason_banned_then_nothing(
    new_group, fan_out: StreamDriver, connections_api: ConnectionsApi
) -> None:
    # Given bob connected to alice's group, which has a message
    group = new_group(creator="alice", members=("bob",))
    connections.connect("bob", "bob-1", 0)
    timeline.send_message("alice", group.chatgroup_id, "before")

    # When alice bans him and writes again
    ban("alice", group.chatgroup_id, "bob")
    timeline.send_message("alice", group.chatgroup_id, "after")
    fan_out.drain()

    # Then he got the message, then revoked with reason banned, and nothing after
    frames = connections_api.frames["bob-1"]
    items = [item for frame in frames for item in frame.get("items", [frame])]
    assert [item.get("text") or item["type"] for item in items] == ["before", "revoked"]
    assert items[-1] == {"type": "revoked", "chatgroup_id": group.chatgroup_id, "reason": "banned"}


# Unban and the bans list


def test_an_unbanned_user_may_apply_again(new_group) -> None:
    group = new_group(creator="alice")
    ban("alice", group.chatgroup_id, "eve")
    unban("alice", group.chatgroup_id, "eve")
    apply("eve", group.chatgroup_id)
    assert pending_in("alice") == [("application", "eve")]


def test_unbanning_a_user_who_is_not_banned_is_not_found(new_group) -> None:
    group = new_group(creator="alice")
    with pytest.raises(NotFound, match="eve is not banned"):
        unban("alice", group.chatgroup_id, "eve")


def test_only_the_creator_unbans(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    ban("alice", group.chatgroup_id, "eve")
    with pytest.raises(Forbidden):
        unban("bob", group.chatgroup_id, "eve")
    assert [b.user_id for b in Ban.query(group.chatgroup_id)] == ["eve"]


def test_the_bans_list_pages_through_every_ban_in_user_order(new_group) -> None:
    group = new_group(creator="alice")
    for user in ("eve", "dan", "fay"):
        ban("alice", group.chatgroup_id, user)

    first = moderation.list_bans("alice", group.chatgroup_id, 2, None)
    second = moderation.list_bans("alice", group.chatgroup_id, 2, first.next_token)

    assert [b.user for b in first.bans] == ["dan", "eve"]
    assert [b.user for b in second.bans] == ["fay"]
    assert second.next_token is None
    assert {b.by for b in first.bans + second.bans} == {"alice"}
    assert first.bans[0].at.endswith("Z")


def test_only_the_creator_lists_the_bans(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    with pytest.raises(Forbidden):
        moderation.list_bans("bob", group.chatgroup_id, 10, None)


def test_a_bans_token_of_another_group_is_refused(new_group) -> None:
    first, second = new_group(creator="alice"), new_group(creator="alice")
    for user in ("dan", "eve"):
        ban("alice", first.chatgroup_id, user)
    token = moderation.list_bans("alice", first.chatgroup_id, 1, None).next_token
    with pytest.raises(InvalidRequest):
        moderation.list_bans("alice", second.chatgroup_id, 1, token)


# Transfer


def test_a_transfer_makes_the_member_creator_with_a_transferred_notice(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))

    transfer("alice", group.chatgroup_id, "bob")

    view = groups.get_chatgroup(group.chatgroup_id)
    assert view.CreatorID == "bob"
    assert view.MemberList == "bob;alice"
    assert notices(group.chatgroup_id)[-1] == ("transferred", "bob", "alice")


def test_a_transfer_moves_the_live_group_slot_to_the_new_creator(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    transfer("alice", group.chatgroup_id, "bob")
    assert group_slots("alice") == set()
    assert group_slots("bob") == {group.chatgroup_id}


def test_a_transfer_to_a_creator_at_the_live_group_limit_changes_nothing(new_group, quota_limits) -> None:
    quota_limits(live_groups=1)
    group = new_group(creator="alice", members=("bob",))
    new_group(creator="bob")
    with pytest.raises(Conflict, match="limit"):
        transfer("alice", group.chatgroup_id, "bob")
    assert Chatgroup.get(group.chatgroup_id).creator_id == "alice"
    assert group_slots("alice") == {group.chatgroup_id}


def test_a_transfer_to_a_non_member_is_not_found(new_group) -> None:
    group = new_group(creator="alice")
    with pytest.raises(NotFound, match="not a member"):
        transfer("alice", group.chatgroup_id, "eve")
    assert Chatgroup.get(group.chatgroup_id).creator_id == "alice"


def test_only_the_creator_transfers(new_group) -> None:
    group = new_group(creator="alice", members=("bob", "carol"))
    with pytest.raises(Forbidden):
        transfer("bob", group.chatgroup_id, "carol")
    assert Chatgroup.get(group.chatgroup_id).creator_id == "alice"


def test_a_transfer_to_oneself_is_a_conflict(new_group) -> None:
    group = new_group(creator="alice")
    with pytest.raises(Conflict, match="already the creator"):
        transfer("alice", group.chatgroup_id, "alice")


def test_after_a_transfer_the_old_creator_may_leave_and_the_new_one_may_not(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    transfer("alice", group.chatgroup_id, "bob")
    with pytest.raises(Conflict, match="creator cannot leave"):
        leave("bob", group.chatgroup_id)
    leave("alice", group.chatgroup_id)
    assert members(group.chatgroup_id) == ["bob"]


def test_pending_applications_follow_the_group_to_the_new_creator(new_group) -> None:
    # Given two applications in alice's inbox
    group = new_group(creator="alice", members=("bob",))
    apply("carol", group.chatgroup_id)
    apply("dave", group.chatgroup_id)

    # When she hands the group to bob
    transfer("alice", group.chatgroup_id, "bob")

    # Then they wait in bob's inbox, bob can decide them, alice cannot
    assert pending_in("alice") == []
    assert sorted(pending_in("bob")) == [("application", "carol"), ("application", "dave")]
    with pytest.raises(Forbidden):
        accept_application("alice", group.chatgroup_id, "carol")
    accept_application("bob", group.chatgroup_id, "carol")
    accept_application("bob", group.chatgroup_id, "dave", choice="deny")
    assert members(group.chatgroup_id) == ["bob", "alice", "carol"]
    assert pending_slots("carol") == set()


def test_more_applications_than_one_transaction_holds_all_move(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    applicants = [f"fan{number:02}" for number in range(moderation._MOVES_PER_TRANSACTION + 5)]
    for applicant in applicants:
        apply(applicant, group.chatgroup_id)

    transfer("alice", group.chatgroup_id, "bob")

    assert sorted(sender for _, sender in pending_in("bob")) == applicants
    assert pending_in("alice") == []


def test_a_transfer_whose_move_failed_half_way_is_finished_by_sending_it_again(
    new_group, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a transfer whose second step (the move) failed: the group is bob's, carol's application still alice's
    group = new_group(creator="alice", members=("bob",))
    apply("carol", group.chatgroup_id)

    def outage(*args: object) -> None:
        raise ServiceUnavailable("The database did not accept the change; please retry.")

    with monkeypatch.context() as failing:
        failing.setattr(moderation, "_move", outage)
        with pytest.raises(ServiceUnavailable):
            transfer("alice", group.chatgroup_id, "bob")
    assert Chatgroup.get(group.chatgroup_id).creator_id == "bob"
    assert pending_in("alice") == [("application", "carol")]

    # Then the old inbox cannot be used to decide
    with pytest.raises(Forbidden):
        accept_application("alice", group.chatgroup_id, "carol")

    # When alice sends the same transfer again, Then the move is finished, and only one transferred notice exists
    transfer("alice", group.chatgroup_id, "bob")
    assert pending_in("alice") == []
    assert pending_in("bob") == [("application", "carol")]
    assert [n for n in notices(group.chatgroup_id) if n[0] == "transferred"] == [("transferred", "bob", "alice")]
    accept_application("bob", group.chatgroup_id, "carol")
    assert members(group.chatgroup_id) == ["bob", "alice", "carol"]


def test_an_application_whose_applicant_joined_before_the_move_is_dropped_not_moved(
    new_group, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the move failed, and carol (whose application waits in alice's old inbox) joined by invitation meanwhile
    group = new_group(creator="alice", members=("bob",))
    apply("carol", group.chatgroup_id)
    with monkeypatch.context() as failing:
        failing.setattr(moderation, "_move", lambda *args: (_ for _ in ()).throw(ServiceUnavailable("down")))
        with pytest.raises(ServiceUnavailable):
            transfer("alice", group.chatgroup_id, "bob")
    invite("bob", "carol", group.chatgroup_id)
    accept_invitation("carol", group.chatgroup_id, "bob")

    # When the transfer is sent again
    transfer("alice", group.chatgroup_id, "bob")

    # Then her application is gone from both inboxes, and its slot was given back
    assert pending_in("alice") == []
    assert pending_in("bob") == []
    assert pending_slots("carol") == set()


def test_a_stranger_sending_a_finished_transfer_again_is_forbidden(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    transfer("alice", group.chatgroup_id, "bob")
    with pytest.raises(Forbidden):
        transfer("mallory", group.chatgroup_id, "bob")


# Each rule holds in the transaction, whatever was read before it


def test_a_decision_on_an_application_read_before_a_transfer_is_refused_by_its_transaction(
    new_group, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given alice's decision read the group while she was the creator, then the group went to bob
    group = new_group(creator="alice", members=("bob",))
    apply("carol", group.chatgroup_id)
    read_before = Chatgroup.get(group.chatgroup_id, consistent_read=True)
    transfer("alice", group.chatgroup_id, "bob")
    InboxMessage(  # and the application is still in her inbox, as while the move has not run
        "alice", pending_key("application", group.chatgroup_id, "carol"), message_id="m", type="application",
        chatgroup_id=group.chatgroup_id, sender_id="carol", created_at=1, expires_at=int(time.time()) + 60,
    ).save()  # fmt: skip
    stale(monkeypatch, membership, read_before)

    # When her decision is written, Then its transaction refuses it
    with pytest.raises(Forbidden):
        accept_application("alice", group.chatgroup_id, "carol")
    assert members(group.chatgroup_id) == ["bob", "alice"]


def test_a_denial_read_before_a_transfer_is_refused_by_its_transaction(
    new_group, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = new_group(creator="alice", members=("bob",))
    apply("carol", group.chatgroup_id)
    read_before = Chatgroup.get(group.chatgroup_id, consistent_read=True)
    monkeypatch.setattr(moderation, "move_applications", lambda *args: None)  # the move has not run yet
    transfer("alice", group.chatgroup_id, "bob")
    stale(monkeypatch, membership, read_before)

    with pytest.raises(Forbidden):
        accept_application("alice", group.chatgroup_id, "carol", choice="deny")
    assert pending_in("alice") == [("application", "carol")]


def test_the_new_creator_leaving_on_a_read_from_before_the_transfer_is_refused_by_its_transaction(
    new_group, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = new_group(creator="alice", members=("bob",))
    read_before = Chatgroup.get(group.chatgroup_id, consistent_read=True)
    transfer("alice", group.chatgroup_id, "bob")
    stale(monkeypatch, membership, read_before)

    with pytest.raises(Conflict, match="creator cannot leave"):
        leave("bob", group.chatgroup_id)
    assert members(group.chatgroup_id) == ["bob", "alice"]


def test_a_kick_by_the_old_creator_on_a_read_from_before_the_transfer_is_refused_by_its_transaction(
    new_group, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = new_group(creator="alice", members=("bob", "carol"))
    read_before = Chatgroup.get(group.chatgroup_id, consistent_read=True)
    transfer("alice", group.chatgroup_id, "bob")
    stale(monkeypatch, membership, read_before)

    with pytest.raises(Forbidden):
        kick("alice", group.chatgroup_id, "carol")
    assert members(group.chatgroup_id) == ["bob", "alice", "carol"]


def test_an_invitation_read_before_a_ban_is_refused_by_the_accepts_transaction(
    new_group, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given eve's accept read her invitation, and then alice banned her
    group = new_group(creator="alice", members=("bob",))
    invite("bob", "eve", group.chatgroup_id)
    read = membership._read
    banned: list[str] = []

    def read_then_ban(recipient: str, key: str) -> InboxMessage | None:
        seen = read(recipient, key)
        if recipient == "eve" and not banned:
            banned.append("eve")
            ban("alice", group.chatgroup_id, "eve")
        return seen

    monkeypatch.setattr(membership, "_read", read_then_ban)

    # When her accept is written, Then the ban refuses it
    with pytest.raises(Forbidden, match="banned"):
        accept_invitation("eve", group.chatgroup_id, "bob")
    assert members(group.chatgroup_id) == ["alice", "bob"]
    assert not list(Membership.query(group.chatgroup_id, Membership.user_id == "eve"))
