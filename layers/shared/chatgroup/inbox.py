"""Applications and invitations waiting in a user's inbox."""

from collections import defaultdict
from collections.abc import Iterable
from itertools import batched
from uuid import uuid4

from pynamodb.expressions.condition import Condition

from chatgroup.access import is_live, load_group, refusal_of
from chatgroup.clock import iso, now_ms
from chatgroup.db import Transaction
from chatgroup.errors import Conflict, Forbidden
from chatgroup.models import Ban, Chatgroup, InboxMessage, Membership, inbox_expiry, pending_key
from chatgroup.pagination import newest_first
from chatgroup.quotas import commit_sending, give_back_pending_slots, take_pending_slot
from chatgroup.schemas import ApplicationMessageRequest, InboxMessageView, InboxPage, InvitationMessageRequest


def send_application(caller: str, request: ApplicationMessageRequest) -> str:
    """Ask the creator to let the caller in; one pending application per group and applicant."""
    group = load_group(request.chatgroup_id)
    message = _message(group.creator_id, "application", group, caller, caller, request.message)
    send = Transaction()
    _check_not_banned(send, group.chatgroup_id, caller, "You are")
    send.check(
        Chatgroup,
        group.chatgroup_id,
        # The creator read is the inbox written to: a transfer since would leave the application in the old one.
        condition=is_live()
        & (Chatgroup.member_count < Chatgroup.capacity)
        & (Chatgroup.creator_id == group.creator_id),
        error=lambda: refusal_of(group.chatgroup_id),
    )
    send.check(
        Membership,
        group.chatgroup_id,
        caller,
        condition=Membership.user_id.does_not_exist(),
        error=lambda: Conflict("You are already a member of this chatgroup."),
    )
    send.put(
        message,
        condition=_no_pending(),
        error=lambda: Conflict("You already have a pending application to this chatgroup."),
    )
    take_pending_slot(send, message)
    commit_sending(send, caller)
    return message.message_id


def send_invitation(caller: str, request: InvitationMessageRequest) -> str:
    """A member invites someone who is not; one pending invitation per group and invitee."""
    group = load_group(request.chatgroup_id)
    invitee = request.who_to_invite
    if invitee == caller:
        raise _self_invitation(group, caller)
    message = _message(invitee, "invitation", group, caller, invitee, request.message)
    send = Transaction()
    _check_not_banned(send, group.chatgroup_id, invitee, f"{invitee} is")
    send.check(Chatgroup, group.chatgroup_id, condition=is_live(), error=lambda: refusal_of(group.chatgroup_id))
    send.check(
        Membership,
        group.chatgroup_id,
        caller,
        condition=Membership.user_id.exists(),
        error=lambda: Forbidden("Only members of the chatgroup may invite."),
    )
    send.check(
        Membership,
        group.chatgroup_id,
        invitee,
        condition=Membership.user_id.does_not_exist(),
        error=lambda: Conflict(f"{invitee} is already a member of this chatgroup."),
    )
    send.put(
        message,
        condition=_no_pending(),
        error=lambda: Conflict(f"{invitee} already has a pending invitation to this chatgroup."),
    )
    take_pending_slot(send, message)
    commit_sending(send, caller)
    return message.message_id


def _check_not_banned(send: Transaction, chatgroup_id: str, user: str, subject: str) -> None:
    """The transaction's first check, so that a banned user's 403 wins over any other refusal."""
    send.check(
        Ban,
        chatgroup_id,
        user,
        condition=Ban.user_id.does_not_exist(),
        error=lambda: Forbidden(f"{subject} banned from this chatgroup."),
    )


def _no_pending() -> Condition:
    """No message under the key, or one that expired: TTL deletes it days later, and it holds no quota slot."""
    return InboxMessage.pending_key.does_not_exist() | (InboxMessage.expires_at <= now_ms() // 1000)


def _self_invitation(group: Chatgroup, caller: str) -> Conflict | Forbidden:
    """Nobody invites themselves; say why in the caller's terms (one transaction cannot check one item twice)."""
    if Membership.count(group.chatgroup_id, Membership.user_id == caller, consistent_read=True):
        return Conflict(f"{caller} is already a member of this chatgroup.")
    return Forbidden("Only members of the chatgroup may invite.")


def _message(
    recipient: str, message_type: str, group: Chatgroup, sender: str, subject: str, text: str | None
) -> InboxMessage:
    created_at = now_ms()
    return InboxMessage(
        recipient,
        pending_key(message_type, group.chatgroup_id, subject),
        message_id=uuid4().hex,
        type=message_type,
        chatgroup_id=group.chatgroup_id,
        sender_id=sender,
        message=text,
        created_at=created_at,
        expires_at=inbox_expiry(created_at),
    )


_TRANSACTION_ITEMS = 100


def remove_pending(keys: Iterable[InboxMessage]) -> None:
    """Delete pending messages and give their senders' quota slots back, in transactions of at most 100 items.

    The messages are read first: `keys` (e.g. from a keys-only index) do not name the sender of an
    invitation. One update per sender and transaction gives back all of that sender's slots in it.
    """
    by_sender: defaultdict[str, list[InboxMessage]] = defaultdict(list)
    found = InboxMessage.batch_get([(key.recipient_id, key.pending_key) for key in keys], consistent_read=True)
    for message in found:
        by_sender[message.sender_id].append(message)
    removal, items = Transaction(), 0
    for sender, sent in by_sender.items():
        for messages in batched(sent, _TRANSACTION_ITEMS - 1, strict=False):
            if items + len(messages) + 1 > _TRANSACTION_ITEMS:
                removal.commit()
                removal, items = Transaction(), 0
            for message in messages:
                removal.delete(message)
            give_back_pending_slots(removal, sender, messages)
            items += len(messages) + 1
    if items:
        removal.commit()


def list_inbox(caller: str, limit: int, next_token: str | None) -> InboxPage:
    """The caller's messages, newest first, one page at a time."""
    page = newest_first(InboxMessage.by_time, "recipient_id", caller, limit, next_token)
    messages = [
        InboxMessageView(
            inbox_message_id=item.message_id,
            type=item.type,
            chatgroup_id=item.chatgroup_id,
            sender=item.sender_id,
            message=item.message,
            timestamp=iso(item.created_at),
        )
        for item in page.items
    ]
    return InboxPage(messages=messages, next_token=page.next_token)
