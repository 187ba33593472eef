"""Applications and invitations: who may send them, one pending each, listed newest first."""

import base64
import json

import pytest

from chatgroup import groups, inbox
from chatgroup.errors import Conflict, Forbidden, InvalidRequest, NotFound
from chatgroup.models import InboxMessage
from chatgroup.schemas import ApplicationMessageRequest, InvitationMessageRequest


def apply(applicant: str, chatgroup_id: str, message: str | None = None) -> str:
    request = ApplicationMessageRequest(type="application", chatgroup_id=chatgroup_id, message=message)
    return inbox.send_application(applicant, request)


def invite(inviter: str, invitee: str, chatgroup_id: str) -> str:
    request = InvitationMessageRequest(type="invitation", chatgroup_id=chatgroup_id, who_to_invite=invitee)
    return inbox.send_invitation(inviter, request)


def test_application_reaches_the_creators_inbox(new_group) -> None:
    group = new_group(creator="alice")
    message_id = apply("dave", group.chatgroup_id, "Can I join?")
    [message] = inbox.list_inbox("alice", 20, None).messages
    assert (message.inbox_message_id, message.type, message.sender, message.message) == (
        message_id,
        "application",
        "dave",
        "Can I join?",
    )
    assert message.chatgroup_id == group.chatgroup_id


def test_members_do_not_apply(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    with pytest.raises(Conflict, match="already a member"):
        apply("bob", group.chatgroup_id)
    assert inbox.list_inbox("alice", 20, None).messages == []


def test_nobody_applies_to_a_full_group(new_group) -> None:
    group = new_group(creator="alice", capacity=1)
    with pytest.raises(Conflict, match="full"):
        apply("dave", group.chatgroup_id)


def test_nobody_applies_to_an_unknown_group(aws) -> None:
    with pytest.raises(NotFound):
        apply("dave", "0" * 32)


def test_a_second_pending_application_is_a_conflict(new_group) -> None:
    group = new_group(creator="alice")
    apply("dave", group.chatgroup_id)
    with pytest.raises(Conflict, match="pending application"):
        apply("dave", group.chatgroup_id)
    assert len(inbox.list_inbox("alice", 20, None).messages) == 1


def test_invitation_reaches_the_invitees_inbox(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    message_id = invite("bob", "dave", group.chatgroup_id)
    [message] = inbox.list_inbox("dave", 20, None).messages
    assert (message.inbox_message_id, message.type, message.sender) == (message_id, "invitation", "bob")


def test_only_members_invite(new_group) -> None:
    group = new_group(creator="alice")
    with pytest.raises(Forbidden):
        invite("eve", "dave", group.chatgroup_id)
    assert inbox.list_inbox("dave", 20, None).messages == []


def test_members_are_not_invited(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    with pytest.raises(Conflict, match="already a member"):
        invite("alice", "bob", group.chatgroup_id)


def test_a_second_pending_invitation_of_the_same_invitee_is_a_conflict(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    invite("alice", "dave", group.chatgroup_id)
    with pytest.raises(Conflict, match="pending invitation"):
        invite("bob", "dave", group.chatgroup_id)
    assert len(inbox.list_inbox("dave", 20, None).messages) == 1


def test_no_messages_for_a_dismissed_group(new_group) -> None:
    group = new_group(creator="alice")
    groups.dismiss_chatgroup("alice", group.chatgroup_id, "alice")
    with pytest.raises(NotFound):
        apply("dave", group.chatgroup_id)


def test_inbox_lists_newest_first_across_pages(new_group) -> None:
    group_ids = [new_group(creator="alice").chatgroup_id for _ in range(5)]
    for group_id in group_ids:
        apply("dave", group_id)
    first = inbox.list_inbox("alice", 2, None)
    second = inbox.list_inbox("alice", 2, first.next_token)
    third = inbox.list_inbox("alice", 2, second.next_token)
    listed = [message.chatgroup_id for page in (first, second, third) for message in page.messages]
    assert listed == list(reversed(group_ids))
    assert third.next_token is None


def test_a_page_token_cannot_open_someone_elses_inbox(new_group) -> None:
    for _ in range(2):
        apply("dave", new_group(creator="alice").chatgroup_id)
    token = inbox.list_inbox("alice", 1, None).next_token
    assert token is not None
    with pytest.raises(InvalidRequest, match="next_token"):
        inbox.list_inbox("mallory", 1, token)


def test_a_forged_page_token_naming_another_user_is_refused(aws) -> None:
    forged = {"recipient_id": {"S": "alice"}, "pending_key": {"S": "x"}, "created_at": {"N": "1"}}
    token = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode()
    with pytest.raises(InvalidRequest):
        inbox.list_inbox("mallory", 5, token)


@pytest.mark.parametrize("token", ["not-base64!", base64.urlsafe_b64encode(b"[1, 2]").decode(), "e30="])
def test_a_garbled_page_token_is_refused(aws, token: str) -> None:
    with pytest.raises(InvalidRequest):
        inbox.list_inbox("alice", 5, token)


def test_every_inbox_message_expires_a_month_after_it_was_sent(new_group) -> None:
    group = new_group(creator="alice")
    apply("dave", group.chatgroup_id)
    [message] = InboxMessage.query("alice")
    assert message.expires_at == message.created_at // 1000 + 30 * 86_400


def test_a_member_inviting_themselves_is_told_they_are_already_a_member(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    with pytest.raises(Conflict, match="bob is already a member"):
        invite("bob", "bob", group.chatgroup_id)


def test_a_stranger_inviting_themselves_is_told_only_members_invite(new_group) -> None:
    group = new_group(creator="alice")
    with pytest.raises(Forbidden, match="Only members"):
        invite("carol", "carol", group.chatgroup_id)
    assert inbox.list_inbox("carol", 20, None).messages == []
