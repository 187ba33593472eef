"""Who joins, leaves and is kicked out, and how the database keeps the count right."""

import pytest

from chatgroup import groups, inbox, membership
from chatgroup.errors import Conflict, Forbidden, NotFound
from chatgroup.models import Chatgroup, InboxMessage, Membership
from chatgroup.schemas import (
    ApplicationDecision,
    ApplicationMessageRequest,
    InvitationDecision,
    InvitationMessageRequest,
    KickoutRequest,
    LeaveRequest,
)


def members(chatgroup_id: str) -> list[str]:
    member_list = groups.get_chatgroup(chatgroup_id).MemberList
    assert member_list is not None, "a read of one group lists its members"
    return member_list.split(";")


def apply(applicant: str, chatgroup_id: str) -> str:
    return inbox.send_application(applicant, ApplicationMessageRequest(type="application", chatgroup_id=chatgroup_id))


def invite(inviter: str, invitee: str, chatgroup_id: str) -> str:
    request = InvitationMessageRequest(type="invitation", chatgroup_id=chatgroup_id, who_to_invite=invitee)
    return inbox.send_invitation(inviter, request)


def on_application(chatgroup_id: str, applicant: str, choice: str = "accept", **extra: str) -> ApplicationDecision:
    return ApplicationDecision(
        type="application", choice=choice, chatgroup_id=chatgroup_id, who_apply=applicant, **extra
    )


def on_invitation(chatgroup_id: str, inviter: str, choice: str = "accept", **extra: str) -> InvitationDecision:
    return InvitationDecision(type="invitation", choice=choice, chatgroup_id=chatgroup_id, who_invite=inviter, **extra)


def assert_count_matches_items(chatgroup_id: str) -> None:
    assert Chatgroup.get(chatgroup_id).member_count == len(list(Membership.query(chatgroup_id)))


def test_accepted_application_adds_the_member_and_removes_the_message(new_group) -> None:
    group = new_group(creator="alice")
    apply("dave", group.chatgroup_id)
    assert membership.decide("alice", on_application(group.chatgroup_id, "dave")) == group.queue_arn
    assert members(group.chatgroup_id) == ["alice", "dave"]
    assert list(InboxMessage.query("alice")) == []
    assert_count_matches_items(group.chatgroup_id)


def test_denied_application_removes_the_message_and_adds_no_one(new_group) -> None:
    group = new_group(creator="alice")
    apply("dave", group.chatgroup_id)
    assert membership.decide("alice", on_application(group.chatgroup_id, "dave", "deny")) is None
    assert members(group.chatgroup_id) == ["alice"]
    assert list(InboxMessage.query("alice")) == []


def test_only_the_creator_decides_on_applications(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    apply("dave", group.chatgroup_id)
    with pytest.raises(Forbidden):
        membership.decide("bob", on_application(group.chatgroup_id, "dave"))
    assert members(group.chatgroup_id) == ["alice", "bob"]


def test_accepting_an_application_that_was_never_made_is_not_found(new_group) -> None:
    group = new_group(creator="alice")
    with pytest.raises(NotFound, match="no pending application of dave"):
        membership.decide("alice", on_application(group.chatgroup_id, "dave"))
    assert members(group.chatgroup_id) == ["alice"]


def test_inbox_message_id_must_be_that_of_the_pending_application(new_group) -> None:
    group = new_group(creator="alice")
    apply("dave", group.chatgroup_id)
    with pytest.raises(NotFound):
        membership.decide("alice", on_application(group.chatgroup_id, "dave", inbox_message_id="f" * 32))
    assert members(group.chatgroup_id) == ["alice"]


def test_application_accepted_with_its_message_id(new_group) -> None:
    group = new_group(creator="alice")
    message_id = apply("dave", group.chatgroup_id)
    membership.decide("alice", on_application(group.chatgroup_id, "dave", inbox_message_id=message_id))
    assert members(group.chatgroup_id) == ["alice", "dave"]


def test_accept_into_a_full_group_is_a_conflict_and_keeps_the_message(new_group) -> None:
    group = new_group(creator="alice", capacity=2)
    apply("dave", group.chatgroup_id)
    apply("carol", group.chatgroup_id)
    membership.decide("alice", on_application(group.chatgroup_id, "dave"))
    with pytest.raises(Conflict, match="full"):
        membership.decide("alice", on_application(group.chatgroup_id, "carol"))
    assert members(group.chatgroup_id) == ["alice", "dave"]
    assert [message.sender_id for message in InboxMessage.query("alice")] == ["carol"]


def test_joining_by_invitation_removes_the_pending_application(new_group) -> None:
    # Given dave applied and was invited
    group = new_group(creator="alice")
    apply("dave", group.chatgroup_id)
    invite("alice", "dave", group.chatgroup_id)
    # When he accepts the invitation
    membership.decide("dave", on_invitation(group.chatgroup_id, "alice"))
    # Then his application is gone with it: the creator has nothing left to accept
    with pytest.raises(NotFound, match="no pending application of dave"):
        membership.decide("alice", on_application(group.chatgroup_id, "dave"))
    assert [m.type for m in InboxMessage.query("alice")] == ["invitation_accepted"]
    assert_count_matches_items(group.chatgroup_id)


def test_invitee_accepts_an_invitation(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    invite("bob", "dave", group.chatgroup_id)
    assert membership.decide("dave", on_invitation(group.chatgroup_id, "bob")) == group.queue_arn
    assert members(group.chatgroup_id) == ["alice", "bob", "dave"]
    assert list(InboxMessage.query("dave")) == []


def test_invitee_denies_an_invitation(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    invite("bob", "dave", group.chatgroup_id)
    assert membership.decide("dave", on_invitation(group.chatgroup_id, "bob", "deny")) is None
    assert members(group.chatgroup_id) == ["alice", "bob"]
    assert list(InboxMessage.query("dave")) == []


def test_nobody_accepts_an_invitation_for_the_invitee(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    invite("bob", "dave", group.chatgroup_id)
    with pytest.raises(NotFound):
        membership.decide("carol", on_invitation(group.chatgroup_id, "bob"))
    assert members(group.chatgroup_id) == ["alice", "bob"]


def test_invitation_must_come_from_the_named_inviter(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    invite("bob", "dave", group.chatgroup_id)
    with pytest.raises(NotFound, match="from alice"):
        membership.decide("dave", on_invitation(group.chatgroup_id, "alice"))
    assert members(group.chatgroup_id) == ["alice", "bob"]


def test_member_leaves(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    membership.leave("bob", LeaveRequest(type="leave", chatgroup_id=group.chatgroup_id, who_leave="bob"))
    assert members(group.chatgroup_id) == ["alice"]
    assert_count_matches_items(group.chatgroup_id)


def test_nobody_leaves_for_someone_else(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    with pytest.raises(Forbidden):
        membership.leave("carol", LeaveRequest(type="leave", chatgroup_id=group.chatgroup_id, who_leave="bob"))
    assert members(group.chatgroup_id) == ["alice", "bob"]


def test_creator_cannot_leave(new_group) -> None:
    group = new_group(creator="alice")
    with pytest.raises(Conflict, match="dismiss"):
        membership.leave("alice", LeaveRequest(type="leave", chatgroup_id=group.chatgroup_id, who_leave="alice"))


def test_leaving_a_group_you_are_not_in_is_not_found(new_group) -> None:
    group = new_group(creator="alice")
    with pytest.raises(NotFound, match="not a member"):
        membership.leave("bob", LeaveRequest(type="leave", chatgroup_id=group.chatgroup_id, who_leave="bob"))
    assert_count_matches_items(group.chatgroup_id)


def test_creator_kicks_a_member_out(new_group) -> None:
    group = new_group(creator="alice", members=("bob", "carol"))
    membership.kick_out("alice", KickoutRequest(type="kickout", chatgroup_id=group.chatgroup_id, who_to_kick_out="bob"))
    assert members(group.chatgroup_id) == ["alice", "carol"]
    assert_count_matches_items(group.chatgroup_id)


def test_only_the_creator_kicks_out(new_group) -> None:
    group = new_group(creator="alice", members=("bob", "carol"))
    request = KickoutRequest(type="kickout", chatgroup_id=group.chatgroup_id, who_to_kick_out="carol", creator_id="bob")
    with pytest.raises(Forbidden):
        membership.kick_out("bob", request)
    assert members(group.chatgroup_id) == ["alice", "bob", "carol"]


def test_kickout_naming_another_creator_is_forbidden(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    request = KickoutRequest(type="kickout", chatgroup_id=group.chatgroup_id, who_to_kick_out="bob", creator_id="carol")
    with pytest.raises(Forbidden):
        membership.kick_out("alice", request)


def test_creator_cannot_be_kicked_out(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    with pytest.raises(Conflict):
        membership.kick_out(
            "alice", KickoutRequest(type="kickout", chatgroup_id=group.chatgroup_id, who_to_kick_out="alice")
        )


def test_kicking_out_a_non_member_is_not_found(new_group) -> None:
    group = new_group(creator="alice")
    with pytest.raises(NotFound):
        membership.kick_out(
            "alice", KickoutRequest(type="kickout", chatgroup_id=group.chatgroup_id, who_to_kick_out="eve")
        )


def test_no_one_joins_a_dismissed_group(new_group) -> None:
    group = new_group(creator="alice")
    invite("alice", "dave", group.chatgroup_id)
    groups.dismiss_chatgroup("alice", group.chatgroup_id, "alice")
    with pytest.raises(NotFound):
        membership.decide("dave", on_invitation(group.chatgroup_id, "alice"))
    assert list(Membership.query(group.chatgroup_id)) == []
