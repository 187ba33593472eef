"""Per-user quotas: live groups created, and applications and invitations sent that await a decision.

A user's slots are the elements of two string sets on their one `QuotaUsage` item. A change that
takes a slot adds its element in the change's own transaction, on the condition that the set is
still smaller than the limit; whatever ends the change removes the element in its own transaction
(one more item). So the count cannot run ahead of, or lag behind, what it counts, whatever runs
concurrently; and adding or removing an element twice changes nothing, so retries are safe.

A pending message can also end without a transaction: it expires (DynamoDB TTL deletes it days
late, moto never). So when the pending set is full, its elements are checked against the messages
themselves, and those whose message is gone, expired, or now someone else's are reclaimed, each on
the condition that this is still so. See docs/decisions/0301-per-user-quotas.md.
"""

from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass

from pynamodb.expressions.condition import size

from chatgroup.clock import iso, now_ms
from chatgroup.db import Transaction
from chatgroup.errors import Conflict, TooManyRequests
from chatgroup.models import InboxMessage, QuotaUsage, message_of_slot, pending_slot
from chatgroup.settings import get_settings

_SEND_ATTEMPTS = 3
"""Each failed attempt reclaims what it can; only the sender's own concurrent sends make a third one fail."""
_RECLAIM_BATCH = 99
"""Messages checked by one reclaiming transaction, which also updates the usage item: 100 items in all."""


def require_group_slot(creator: str) -> None:
    """Refuse a creator at the limit before any work is done, such as creating a queue to delete again.

    Only a shortcut: the creation's transaction enforces the limit (`take_group_slot`).
    """
    limit = get_settings().max_live_groups
    if len(_usage(creator).groups or ()) >= limit:
        raise _live_groups_reached(limit)


def take_group_slot(change: Transaction, creator: str, chatgroup_id: str) -> None:
    limit = get_settings().max_live_groups
    change.update(
        QuotaUsage(creator),
        [QuotaUsage.groups.add({chatgroup_id})],
        condition=QuotaUsage.groups.does_not_exist() | (size(QuotaUsage.groups) < limit),
        error=lambda: _live_groups_reached(limit),
    )


def give_back_group_slot(change: Transaction, creator: str, chatgroup_id: str) -> None:
    change.update(QuotaUsage(creator), [QuotaUsage.groups.delete({chatgroup_id})])


def move_group_slot(change: Transaction, old_creator: str, new_creator: str, chatgroup_id: str) -> None:
    """A transferred group counts against its new creator, who must have room for it, and no longer the old one."""
    limit = get_settings().max_live_groups
    change.update(QuotaUsage(old_creator), [QuotaUsage.groups.delete({chatgroup_id})])
    change.update(
        QuotaUsage(new_creator),
        [QuotaUsage.groups.add({chatgroup_id})],
        condition=QuotaUsage.groups.does_not_exist() | (size(QuotaUsage.groups) < limit),
        error=lambda: Conflict(
            f"{new_creator}'s live chatgroups are at the limit of {limit} per user: they cannot take this one over."
        ),
    )


def _live_groups_reached(limit: int) -> TooManyRequests:
    return TooManyRequests(f"Your live chatgroups are at the limit of {limit} per user: dismiss one to create another.")


def take_pending_slot(send: Transaction, message: InboxMessage) -> None:
    """Count `message` against its sender; commit `send` with `commit_sending`, which explains a refusal."""
    limit = get_settings().max_pending_sent
    send.update(
        QuotaUsage(message.sender_id),
        [QuotaUsage.pending.add({pending_slot(message)})],
        condition=QuotaUsage.pending.does_not_exist() | (size(QuotaUsage.pending) < limit),
        error=lambda: TooManyRequests("Your pending applications and invitations are at the limit."),
    )


def give_back_pending_slots(change: Transaction, sender: str, messages: Iterable[InboxMessage]) -> None:
    """Free the slots of `sender`'s `messages`, which `change` ends (accepts, denies or deletes)."""
    change.update(QuotaUsage(sender), [QuotaUsage.pending.delete({pending_slot(message) for message in messages})])


def commit_sending(send: Transaction, sender: str) -> None:
    """Commit a transaction that takes a pending slot of `sender`.

    When every slot is taken, those whose message expired or is gone are reclaimed and the send
    is tried again; if that cannot make room, the refusal says when the soonest of the others expires.
    """
    limit = get_settings().max_pending_sent
    for attempt in range(1, _SEND_ATTEMPTS + 1):
        try:
            send.commit()
            return
        except TooManyRequests as full:
            held = _pending_held(sender)
            if attempt == _SEND_ATTEMPTS or len(held.live_expiries) >= limit:
                raise _pending_refusal(held, limit) from full
            _reclaim(sender, held.stale)


@dataclass(frozen=True)
class _PendingHeld:
    """A sender's pending slots checked against their messages: when each live one expires, and the stale ones."""

    live_expiries: list[int | None]
    stale: list[str]


def _pending_held(sender: str) -> _PendingHeld:
    slots = sorted(_usage(sender).pending or ())
    found = InboxMessage.batch_get([message_of_slot(slot) for slot in slots], consistent_read=True)
    messages = {pending_slot(message): message for message in found}
    now = now_ms() // 1000
    live = [messages[slot] for slot in slots if slot in messages and _is_live(messages[slot], sender, now)]
    return _PendingHeld(
        live_expiries=[None if message.expires_at is None else int(message.expires_at) for message in live],
        stale=[slot for slot in slots if slot not in messages or not _is_live(messages[slot], sender, now)],
    )


def _is_live(message: InboxMessage, sender: str, now: int) -> bool:
    """Still the sender's message and not expired (TTL deletes an expired one days later, if at all)."""
    return message.sender_id == sender and (message.expires_at is None or message.expires_at > now)


def _pending_refusal(held: _PendingHeld, limit: int) -> TooManyRequests:
    if len(held.live_expiries) < limit:
        return TooManyRequests(
            "Your other applications and invitations took the free places while this one was sent; please retry.",
            retry_after=1,
        )
    reason = (
        f"Your applications and invitations awaiting a decision are at the limit of {limit} per user: another can "
        "be sent once you withdraw or revoke one (DELETE /api/v1/inbox/delete; GET /api/v1/inbox/sent lists them), "
        "once one is accepted or denied"
    )
    expiries = [expiry for expiry in held.live_expiries if expiry is not None]
    if not expiries:
        return TooManyRequests(f"{reason}.")
    soonest = min(expiries)
    return TooManyRequests(
        f"{reason}, or at {iso(soonest * 1000)} when the oldest expires.",
        retry_after=max(1, soonest - now_ms() // 1000),
    )


def _reclaim(sender: str, stale: list[str]) -> None:
    """Free slots whose message ended unseen, each only if its message is still not a live one of `sender`'s.

    A message re-sent meanwhile fails its check and the reclaim is dropped: the send is tried again anyway.
    """
    if not stale:
        return
    now = now_ms() // 1000
    reclaim = Transaction()
    batch = stale[:_RECLAIM_BATCH]
    for slot in batch:
        recipient, key = message_of_slot(slot)
        reclaim.check(
            InboxMessage,
            recipient,
            key,
            condition=InboxMessage.pending_key.does_not_exist()
            | (InboxMessage.expires_at <= now)
            | (InboxMessage.sender_id != sender),
            error=lambda: Conflict("A pending message was sent again while its slot was reclaimed."),
        )
    reclaim.update(QuotaUsage(sender), [QuotaUsage.pending.delete(set(batch))])
    with suppress(Conflict):
        reclaim.commit()


def _usage(user_id: str) -> QuotaUsage:
    try:
        return QuotaUsage.get(user_id, consistent_read=True)
    except QuotaUsage.DoesNotExist:
        return QuotaUsage(user_id)
