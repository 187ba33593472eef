"""Applications and invitations waiting in a user's inbox."""

from collections import defaultdict
from collections.abc import Iterable
from itertools import batched
from uuid import uuid4

from pynamodb.expressions.condition import Condition

from chatgroup.access import is_live, load_group, refusal_of
from chatgroup.clock import iso, now_ms
from chatgroup.db import Transaction
from chatgroup.errors import ChatgroupError, Conflict, Forbidden, NotFound
from chatgroup.models import PENDING_TYPES, Ban, Chatgroup, InboxMessage, Membership, inbox_expiry, pending_key
from chatgroup.observability import count
from chatgroup.pagination import newest_first
from chatgroup.quotas import commit_sending, give_back_pending_slots, take_pending_slot
from chatgroup.schemas import (
    ApplicationMessageRequest,
    InboxMessageView,
    InboxPage,
    InvitationMessageRequest,
    RevokeInvitationRequest,
    SentMessageView,
    SentPage,
    WithdrawApplicationRequest,
)


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


def withdraw_application(caller: str, request: WithdrawApplicationRequest) -> None:
    """The applicant takes back their pending application, and their quota slot with it, in one transaction.

    The application is addressed by its key (the creator's inbox, the caller as subject), and the
    delete is conditioned on it being the caller's and unexpired: nobody else's can be named.
    """
    group = load_group(request.chatgroup_id)
    application = InboxMessage(group.creator_id, pending_key("application", group.chatgroup_id, caller))
    withdrawal = Transaction()
    withdrawal.delete(
        application,
        condition=InboxMessage.pending_key.exists() & (InboxMessage.sender_id == caller) & _unexpired(),
        error=lambda: NotFound("You have no pending application to this chatgroup."),
    )
    give_back_pending_slots(withdrawal, caller, [application])
    withdrawal.commit()
    count("ApplicationsWithdrawn")


def revoke_invitation(caller: str, request: RevokeInvitationRequest) -> None:
    """The inviter, or the group's creator, takes back a pending invitation; its sender's quota slot is freed with it.

    The invitation is read to learn its sender (whose slot to give back), then deleted on the
    condition that it is still that very message, unexpired, and the caller's to remove: sent by
    the caller, or, for the creator, checked against the group's creator in the same transaction.
    """
    group = load_group(request.chatgroup_id)
    invitee = request.who_to_invite
    missing = NotFound(f"There is no pending invitation of {invitee} to this chatgroup.")
    try:
        key = pending_key("invitation", group.chatgroup_id, invitee)
        invitation = InboxMessage.get(invitee, key, consistent_read=True)
    except InboxMessage.DoesNotExist:
        raise missing from None
    if not _is_unexpired(invitation):
        raise missing
    same = (InboxMessage.message_id == invitation.message_id) & (InboxMessage.sender_id == invitation.sender_id)
    revocation = Transaction()
    if invitation.sender_id == caller:
        revocation.delete(invitation, condition=same & _unexpired(), error=lambda: missing)
    elif group.creator_id == caller:
        revocation.check(
            Chatgroup,
            group.chatgroup_id,
            condition=is_live() & (Chatgroup.creator_id == caller),
            error=lambda: _creator_refusal(group.chatgroup_id, caller),
        )
        revocation.delete(invitation, condition=same & _unexpired(), error=lambda: missing)
    else:
        raise _may_not_revoke()
    give_back_pending_slots(revocation, invitation.sender_id, [invitation])
    revocation.commit()
    count("InvitationsRevoked")


def _may_not_revoke() -> Forbidden:
    return Forbidden("Only the member who sent an invitation, or the chatgroup's creator, may revoke it.")


def _creator_refusal(chatgroup_id: str, caller: str) -> ChatgroupError:
    """Why the creator's revocation was refused, from a fresh read: the group went, or has another creator now."""
    try:
        group = load_group(chatgroup_id)
    except NotFound as gone:
        return gone
    if group.creator_id != caller:
        return _may_not_revoke()
    return Conflict(f"Chatgroup {chatgroup_id} changed while your request was handled; please retry.")


def _unexpired() -> Condition:
    """A message still in force: TTL deletes an expired one days later (moto never), and it is pending no more."""
    return InboxMessage.expires_at.does_not_exist() | (InboxMessage.expires_at > now_ms() // 1000)


def _is_unexpired(message: InboxMessage) -> bool:
    return message.expires_at is None or message.expires_at > now_ms() // 1000


def list_inbox(caller: str, limit: int, next_token: str | None) -> InboxPage:
    """The caller's unexpired messages, newest first, one page at a time."""
    page = newest_first(InboxMessage.by_time, "recipient_id", caller, limit, next_token, only=_unexpired())
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


def list_sent(caller: str, limit: int, next_token: str | None) -> SentPage:
    """The caller's pending applications and invitations, newest first, from the `by_sender` index.

    Notices the caller caused (as a decider) and expired messages are filtered out; pages stay full,
    so a page is one Query unless it has filtered items to read past.
    """
    pending = InboxMessage.type.is_in(*PENDING_TYPES) & _unexpired()
    page = newest_first(InboxMessage.by_sender, "sender_id", caller, limit, next_token, only=pending)
    messages = [
        SentMessageView(
            inbox_message_id=item.message_id,
            type=item.type,
            chatgroup_id=item.chatgroup_id,
            to=item.recipient_id,
            message=item.message,
            timestamp=iso(item.created_at),
        )
        for item in page.items
    ]
    return SentPage(messages=messages, next_token=page.next_token)
