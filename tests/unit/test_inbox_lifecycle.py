"""Withdraw and revoke, the sent list, and expiry: a pending message ends when its sender takes it back or it expires.

Withdraw: an applicant takes back their own application. Revoke: the inviter, or the group's
creator, takes back an invitation. Each gives the sender's quota slot back in the same
transaction. An expired message is not listed, though DynamoDB's TTL deletes it days later.
"""

import time

import pytest

from chatgroup import groups, inbox
from chatgroup.errors import Forbidden, InvalidRequest, NotFound
from chatgroup.membership import decide
from chatgroup.models import Chatgroup, InboxMessage, QuotaUsage, pending_key
from chatgroup.schemas import (
    ApplicationDecision,
    ApplicationMessageRequest,
    InvitationMessageRequest,
    RevokeInvitationRequest,
    WithdrawApplicationRequest,
)


def apply(applicant: str, chatgroup_id: str, message: str | None = None) -> str:
    return inbox.send_application(
        applicant, ApplicationMessageRequest(type="application", chatgroup_id=chatgroup_id, message=message)
    )


def invite(inviter: str, invitee: str, chatgroup_id: str, message: str | None = None) -> str:
    request = InvitationMessageRequest(
        type="invitation", chatgroup_id=chatgroup_id, who_to_invite=invitee, message=message
    )
    return inbox.send_invitation(inviter, request)


def withdraw(caller: str, chatgroup_id: str) -> None:
    inbox.withdraw_application(caller, WithdrawApplicationRequest(type="application", chatgroup_id=chatgroup_id))


def revoke(caller: str, invitee: str, chatgroup_id: str) -> None:
    request = RevokeInvitationRequest(type="invitation", chatgroup_id=chatgroup_id, who_to_invite=invitee)
    inbox.revoke_invitation(caller, request)


def pending_slots(user: str) -> set[str]:
    try:
        return set(QuotaUsage.get(user, consistent_read=True).pending or ())
    except QuotaUsage.DoesNotExist:
        return set()


def expire(recipient: str, key: str) -> None:
    """As if the message had been sent 30 days and a second ago: expired, not yet deleted by TTL."""
    InboxMessage(recipient, key).update(actions=[InboxMessage.expires_at.set(int(time.time()) - 1)])


def inbox_of(user: str) -> list[tuple[str, str]]:
    return [(message.type, message.chatgroup_id) for message in inbox.list_inbox(user, 20, None).messages]


# Withdraw


def test_an_applicant_withdraws_their_application_and_gets_their_slot_back(new_group) -> None:
    # Given dave applied to alice's group
    group = new_group(creator="alice")
    apply("dave", group.chatgroup_id)
    assert len(pending_slots("dave")) == 1

    # When he withdraws it
    withdraw("dave", group.chatgroup_id)

    # Then alice's inbox no longer holds it, and dave's pending slot is free again
    assert inbox_of("alice") == []
    assert pending_slots("dave") == set()


def test_a_withdrawn_application_can_no_longer_be_accepted(new_group) -> None:
    group = new_group(creator="alice")
    apply("dave", group.chatgroup_id)
    withdraw("dave", group.chatgroup_id)
    decision = ApplicationDecision(
        type="application", choice="accept", chatgroup_id=group.chatgroup_id, who_apply="dave"
    )
    with pytest.raises(NotFound):
        decide("alice", decision)


def test_withdrawing_without_a_pending_application_is_not_found(new_group) -> None:
    group = new_group(creator="alice")
    with pytest.raises(NotFound, match="no pending application"):
        withdraw("dave", group.chatgroup_id)


def test_withdrawing_twice_is_not_found_the_second_time(new_group) -> None:
    group = new_group(creator="alice")
    apply("dave", group.chatgroup_id)
    withdraw("dave", group.chatgroup_id)
    with pytest.raises(NotFound):
        withdraw("dave", group.chatgroup_id)


def test_someone_else_cannot_withdraw_an_application_they_did_not_send(new_group) -> None:
    # Given dave applied; When erin (or the creator) withdraws "her" application to the group
    group = new_group(creator="alice")
    apply("dave", group.chatgroup_id)
    for caller in ("erin", "alice"):
        with pytest.raises(NotFound):
            withdraw(caller, group.chatgroup_id)
    # Then dave's application is untouched
    assert inbox_of("alice") == [("application", group.chatgroup_id)]
    assert len(pending_slots("dave")) == 1


def test_an_expired_application_cannot_be_withdrawn(new_group) -> None:
    group = new_group(creator="alice")
    apply("dave", group.chatgroup_id)
    expire("alice", pending_key("application", group.chatgroup_id, "dave"))
    with pytest.raises(NotFound):
        withdraw("dave", group.chatgroup_id)


def test_withdrawing_from_an_unknown_group_is_not_found(aws) -> None:
    with pytest.raises(NotFound):
        withdraw("dave", "0" * 32)


# Revoke


def test_the_inviter_revokes_their_invitation_and_gets_their_slot_back(new_group) -> None:
    # Given bob, a member, invited dave
    group = new_group(creator="alice", members=("bob",))
    invite("bob", "dave", group.chatgroup_id)

    # When bob revokes it
    revoke("bob", "dave", group.chatgroup_id)

    # Then dave's inbox no longer holds it, and bob's slot is free again
    assert inbox_of("dave") == []
    assert pending_slots("bob") == set()


def test_the_creator_revokes_a_members_invitation_and_the_inviters_slot_is_given_back(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    invite("bob", "dave", group.chatgroup_id)

    revoke("alice", "dave", group.chatgroup_id)

    assert inbox_of("dave") == []
    assert pending_slots("bob") == set()


@pytest.mark.parametrize("caller", ["carol", "erin", "dave"], ids=["another member", "a stranger", "the invitee"])
def test_nobody_else_revokes_an_invitation(new_group, caller: str) -> None:
    # Given bob invited dave into alice's group, with carol a member too
    group = new_group(creator="alice", members=("bob", "carol"))
    invite("bob", "dave", group.chatgroup_id)

    # When someone who is neither bob nor alice revokes it, Then it is forbidden and the invitation stays
    with pytest.raises(Forbidden, match="Only the member who sent an invitation, or the chatgroup's creator"):
        revoke(caller, "dave", group.chatgroup_id)
    assert inbox_of("dave") == [("invitation", group.chatgroup_id)]
    assert len(pending_slots("bob")) == 1


def test_revoking_an_invitation_nobody_sent_is_not_found(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    with pytest.raises(NotFound, match="no pending invitation of dave"):
        revoke("bob", "dave", group.chatgroup_id)


def test_revoking_an_expired_invitation_is_not_found(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    invite("bob", "dave", group.chatgroup_id)
    expire("dave", pending_key("invitation", group.chatgroup_id, "dave"))
    with pytest.raises(NotFound):
        revoke("bob", "dave", group.chatgroup_id)


def test_a_revocation_is_conditioned_on_the_very_invitation_it_read(new_group, monkeypatch) -> None:
    # Given bob invited dave; between the revocation's read and its write the invitation is
    # replaced by carol's (it expired, and carol invited dave in its place)
    group = new_group(creator="alice", members=("bob", "carol"))
    invite("bob", "dave", group.chatgroup_id)
    key = pending_key("invitation", group.chatgroup_id, "dave")
    read = InboxMessage.get

    def read_then_replace(*args, **kwargs):
        message = read(*args, **kwargs)
        expire("dave", key)
        invite("carol", "dave", group.chatgroup_id)
        return message

    monkeypatch.setattr(InboxMessage, "get", read_then_replace)

    # When bob revokes what he read as his, Then it is not found, and carol's invitation stays
    with pytest.raises(NotFound):
        revoke("bob", "dave", group.chatgroup_id)
    monkeypatch.undo()
    assert InboxMessage.get("dave", key).sender_id == "carol"
    assert len(pending_slots("carol")) == 1


def test_a_creator_who_lost_the_group_between_read_and_write_is_forbidden(new_group, monkeypatch) -> None:
    # Given bob invited dave, and the group's creator changes right after alice's revocation read it
    group = new_group(creator="alice", members=("bob",))
    invite("bob", "dave", group.chatgroup_id)
    read = InboxMessage.get

    def read_then_transfer(*args, **kwargs):
        message = read(*args, **kwargs)
        Chatgroup(group.chatgroup_id).update(actions=[Chatgroup.creator_id.set("bob")])
        return message

    monkeypatch.setattr(InboxMessage, "get", read_then_transfer)

    # When alice revokes, Then the transaction's check on the creator refuses it
    with pytest.raises(Forbidden):
        revoke("alice", "dave", group.chatgroup_id)
    monkeypatch.undo()
    assert inbox_of("dave") == [("invitation", group.chatgroup_id)]


# Sent


def test_sent_lists_pending_applications_and_invitations_newest_first(new_group) -> None:
    # Given dave applied to one group, then, as a member of another, invited erin into it
    first = new_group(creator="alice")
    second = new_group(creator="bob", members=("dave",))
    application = apply("dave", first.chatgroup_id, "Let me in")
    invitation = invite("dave", "erin", second.chatgroup_id, "Come along")

    # When he lists what he sent
    page = inbox.list_sent("dave", 20, None)

    # Then both are there, newest first, each with whose inbox holds it
    assert [(m.inbox_message_id, m.type, m.chatgroup_id, m.to, m.message) for m in page.messages] == [
        (invitation, "invitation", second.chatgroup_id, "erin", "Come along"),
        (application, "application", first.chatgroup_id, "alice", "Let me in"),
    ]
    assert page.next_token is None


def test_sent_leaves_out_notices_decided_and_withdrawn_messages(new_group) -> None:
    # Given alice decided two applications (her inbox notices to the applicants name her as sender)
    group = new_group(creator="alice")
    for applicant in ("dave", "erin"):
        apply(applicant, group.chatgroup_id)
        decide(
            "alice",
            ApplicationDecision(
                type="application", choice="deny", chatgroup_id=group.chatgroup_id, who_apply=applicant
            ),
        )
    other = new_group(creator="bob")
    apply("alice", other.chatgroup_id)
    assert len(list(InboxMessage.by_sender.query("alice"))) == 3

    # Then her sent list shows only her pending application
    assert [m.chatgroup_id for m in inbox.list_sent("alice", 20, None).messages] == [other.chatgroup_id]
    # And once she withdraws it, nothing
    withdraw("alice", other.chatgroup_id)
    assert inbox.list_sent("alice", 20, None).messages == []


def test_sent_pages_are_full_though_expired_messages_are_skipped(new_group) -> None:
    # Given dave applied to five groups, and the 2nd and 4th newest applications expired
    group_ids = [new_group(creator="alice").chatgroup_id for _ in range(5)]
    for group_id in group_ids:
        apply("dave", group_id)
    newest_first = list(reversed(group_ids))
    for group_id in (newest_first[1], newest_first[3]):
        expire("alice", pending_key("application", group_id, "dave"))

    # When he lists them two at a time
    first = inbox.list_sent("dave", 2, None)
    second = inbox.list_sent("dave", 2, first.next_token)

    # Then each page but the last holds two live ones, in order, and none expired
    assert [m.chatgroup_id for m in first.messages] == [newest_first[0], newest_first[2]]
    assert [m.chatgroup_id for m in second.messages] == [newest_first[4]]
    assert second.next_token is None


def test_a_sent_page_token_cannot_open_someone_elses_sent_list(new_group) -> None:
    for _ in range(2):
        apply("dave", new_group(creator="alice").chatgroup_id)
    token = inbox.list_sent("dave", 1, None).next_token
    assert token is not None
    with pytest.raises(InvalidRequest, match="next_token"):
        inbox.list_sent("mallory", 1, token)


def test_an_inbox_page_token_is_refused_by_the_sent_list(new_group) -> None:
    for _ in range(2):
        apply("dave", new_group(creator="alice").chatgroup_id)
    token = inbox.list_inbox("alice", 1, None).next_token
    with pytest.raises(InvalidRequest):
        inbox.list_sent("alice", 1, token)


# Expiry in the inbox


def test_an_expired_message_is_not_in_the_inbox_before_ttl_deletes_it(new_group) -> None:
    # Given two applications to alice, one of which expired (TTL has not deleted it)
    first, second = new_group(creator="alice"), new_group(creator="alice")
    apply("dave", first.chatgroup_id)
    apply("erin", second.chatgroup_id)
    expire("alice", pending_key("application", first.chatgroup_id, "dave"))

    # When alice lists her inbox, Then only the live one is there
    assert inbox_of("alice") == [("application", second.chatgroup_id)]


def test_inbox_pages_are_full_though_expired_messages_are_skipped(new_group) -> None:
    group_ids = [new_group(creator="alice").chatgroup_id for _ in range(5)]
    for group_id in group_ids:
        apply("dave", group_id)
    newest_first = list(reversed(group_ids))
    for group_id in newest_first[:2]:
        expire("alice", pending_key("application", group_id, "dave"))

    first = inbox.list_inbox("alice", 2, None)
    second = inbox.list_inbox("alice", 2, first.next_token)

    assert [m.chatgroup_id for m in first.messages] == newest_first[2:4]
    assert [m.chatgroup_id for m in second.messages] == newest_first[4:]


def test_a_dismissed_groups_invitation_leaves_the_sent_list(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    invite("bob", "dave", group.chatgroup_id)
    groups.dismiss_chatgroup("alice", group.chatgroup_id, "alice")
    assert inbox.list_sent("bob", 20, None).messages == []
