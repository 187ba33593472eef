"""A group's timeline: chat messages and membership notices, each with a per-group `seq`.

Every timeline write is one transaction that moves the group's `last_seq` from n-1 to n,
conditioned on it still being n-1, and puts the item at seq n: so seq n+1 can never commit
before seq n, and a gap only appears where a write failed. Two writers that read the same
n-1 race; the database lets one win and the other retries with a fresh read.
"""

import hashlib
import math
import random
import time
from collections.abc import Callable
from typing import Any
from uuid import uuid4

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chatgroup.access import is_live, load_group, refusal_of
from chatgroup.clock import iso, now_ms
from chatgroup.db import Transaction
from chatgroup.errors import Conflict, Forbidden, InvalidRequest, NotFound, TimelineMoved, TooManyRequests
from chatgroup.items import item_view
from chatgroup.models import Chatgroup, ClientMessage, Membership, SendRate, TimelineItem, client_message_key
from chatgroup.observability import count
from chatgroup.schemas import MessagesPage, SentMessage
from chatgroup.settings import get_settings

ATTEMPTS = 24
"""Tries of a write that keeps losing its seq to others: each round one writer wins, so a burst of n writers
to one group needs up to n rounds (20 accepts racing a dismissal took more than 8 on a busy machine)."""
MAX_BACKOFF_SECONDS = 0.05
"""The jittered pause between tries grows to this and no further, so 24 tries stay well inside a Lambda timeout."""
RESEND_WINDOW_SECONDS = 24 * 3600
"""How long a client_msg_id is remembered per sender and group: a resend within it gets the first answer."""


def last_seq(group: Chatgroup) -> int:
    """The seq of the group's newest timeline item, as read with the group; 0 before the first."""
    return int(group.last_seq or 0)


def next_seq(group: Chatgroup) -> int:
    return last_seq(group) + 1


def timeline_actions(group: Chatgroup) -> list[Action]:
    """What a transaction does to the group item to take the next seq."""
    return [Chatgroup.last_seq.set(next_seq(group))]


def seq_unchanged(group: Chatgroup) -> Condition:
    """The group's timeline is where `group` saw it: nobody took the next seq since it was read."""
    if group.last_seq is None:
        return Chatgroup.last_seq.does_not_exist()
    return Chatgroup.last_seq == group.last_seq


def add_notice(
    change: Transaction,
    group: Chatgroup,
    notice: str,
    user: str,
    by: str,
    changes: dict[str, Any] | None = None,
    members: set[str] | None = None,
) -> TimelineItem:
    """Put a membership notice at the group's next seq; the caller's transaction moves `last_seq` with it."""
    item = TimelineItem(
        group.chatgroup_id,
        next_seq(group),
        type="notice",
        message_id=uuid4().hex,
        created_at=now_ms(),
        notice=notice,
        user=user,
        by=by,
        changes=changes,
        members=members,
    )
    _put(change, item)
    return item


def _put(change: Transaction, item: TimelineItem) -> None:
    change.put(
        item,
        condition=TimelineItem.seq.does_not_exist(),
        error=lambda: TimelineMoved(f"Chatgroup {item.chatgroup_id} was busy; please retry."),
    )


def on_fresh_timeline[T](attempt: Callable[[], T]) -> T:
    """Run `attempt` (read the group, write at its next seq) again while another write takes that seq first."""
    for number in range(1, ATTEMPTS + 1):
        try:
            return attempt()
        except TimelineMoved:
            if number == ATTEMPTS:
                raise
            time.sleep(random.uniform(0, min(MAX_BACKOFF_SECONDS, 0.004 * 2**number)))
    raise AssertionError("unreachable: the last attempt returns or raises")


def send_message(caller: str, chatgroup_id: str, text: str, client_msg_id: str | None = None) -> SentMessage:
    """A member's message at the group's next seq, within the caller's send rate.

    With `client_msg_id` it is retry-safe: the id is claimed in the message's own transaction, so a
    resend (same sender, group and id, within 24 hours) is cancelled by that claim, stores nothing,
    counts nothing against the rate and answers what the first send did, told by the cancellation
    itself, even if the sender has left since; with another text, a 409. A resend to a group
    dismissed since gets the first answer too (the message was sent), from one read of the claim.
    """
    key = None if client_msg_id is None else client_message_key(caller, chatgroup_id, client_msg_id)
    try:
        return on_fresh_timeline(lambda: _send_once(caller, chatgroup_id, text, key))
    except _AlreadySent as resent:
        return _first_answer(resent.earlier, text)
    except NotFound:
        earlier = None if key is None else _live_claim(key)
        if earlier is None:
            raise
        return _first_answer(earlier, text)


def _send_once(caller: str, chatgroup_id: str, text: str, key: str | None) -> SentMessage:
    group = load_group(chatgroup_id)
    item = TimelineItem(
        chatgroup_id,
        next_seq(group),
        type="message",
        message_id=uuid4().hex,
        created_at=now_ms(),
        sender=caller,
        text=text,
    )
    send = Transaction()
    send.check(
        Membership,
        chatgroup_id,
        caller,
        condition=Membership.user_id.exists(),
        error=lambda: Forbidden("Only members of the chatgroup may send messages."),
    )
    _put(send, item)
    send.update(
        group,
        timeline_actions(group),
        condition=is_live() & seq_unchanged(group),
        error=lambda: refusal_of(chatgroup_id, only_liveness, seen_seq=last_seq(group)),
    )
    _count_send(send, caller, int(item.created_at))
    if key is not None:
        _claim(send, key, item, text)
    send.commit()
    count("MessagesSent")
    return _answer(item)


class _AlreadySent(Exception):
    """A send cancelled by its client_msg_id's claim: `earlier` holds the answer of the message sent under it."""

    def __init__(self, earlier: ClientMessage) -> None:
        super().__init__(earlier.sender_group_msg)
        self.earlier = earlier


def _claim(change: Transaction, key: str, item: TimelineItem, text: str) -> None:
    """Remember the message's answer under its client_msg_id, unless an unexpired claim holds the id.

    TTL deletes an expired claim only eventually (within days), so the condition treats it as absent.
    """
    now = int(item.created_at) // 1000
    change.claim(
        ClientMessage(
            key,
            message_id=item.message_id,
            seq=item.seq,
            created_at=item.created_at,
            text_sha256=_sha256(text),
            expires_at=now + RESEND_WINDOW_SECONDS,
        ),
        condition=ClientMessage.sender_group_msg.does_not_exist() | (ClientMessage.expires_at <= now),
        taken=_AlreadySent,
    )


def _live_claim(key: str) -> ClientMessage | None:
    """The unexpired claim under `key`, read only when the group is gone: then no transaction is sent to tell it."""
    try:
        earlier = ClientMessage.get(key, consistent_read=True)
    except ClientMessage.DoesNotExist:
        return None
    return earlier if earlier.expires_at > now_ms() // 1000 else None


def _first_answer(earlier: ClientMessage, text: str) -> SentMessage:
    """What the first send under a client_msg_id answered, for a resend of its text; another text is a 409."""
    if earlier.text_sha256 != _sha256(text):
        raise Conflict("This client_msg_id was already used with a different text.")
    return _answer(earlier)


def _answer(sent: TimelineItem | ClientMessage) -> SentMessage:
    """A send's answer, from the message itself or from the claim that remembers it for a resend."""
    return SentMessage(message_id=sent.message_id, seq=int(sent.seq), created_at=iso(sent.created_at))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def only_liveness(group: Chatgroup) -> None:
    """For refusal_of: the write breaks no rule of the group item but its being live (which refusal_of tells)."""


def _count_send(change: Transaction, caller: str, at_ms: int) -> None:
    """One more send in the caller's current fixed window, refused past the limit; TTL drops old windows."""
    settings = get_settings()
    window = settings.send_rate_window_seconds
    start = at_ms // 1000 // window * window
    limit = settings.send_rate_limit
    change.update(
        SendRate(f"{caller}#{start}"),
        [SendRate.sends.add(1), SendRate.expires_at.set(start + 2 * window)],
        condition=SendRate.sends.does_not_exist() | (SendRate.sends < limit),
        error=lambda: TooManyRequests(
            f"You sent {limit} messages in {window} seconds, the most allowed; wait before sending more.",
            retry_after=math.ceil(start + window - time.time()),
        ),
    )


def list_messages(
    caller: str, chatgroup_id: str, after_seq: int | None, before_seq: int | None, limit: int
) -> MessagesPage:
    """A page of the timeline in ascending seq: the newest, those after a seq (catch-up) or before one (scroll back)."""
    if after_seq is not None and before_seq is not None:
        raise InvalidRequest("Give after_seq or before_seq, not both.")
    load_group(chatgroup_id)
    require_member(chatgroup_id, caller)
    if after_seq is not None:
        items = _query(chatgroup_id, TimelineItem.seq > after_seq, forward=True, limit=limit)
    elif before_seq is not None:
        items = _query(chatgroup_id, TimelineItem.seq < before_seq, forward=False, limit=limit)
    else:
        items = _query(chatgroup_id, None, forward=False, limit=limit)
    has_more = len(items) > limit
    page = sorted(items[:limit], key=lambda item: item.seq)
    return MessagesPage.model_validate({"messages": [item_view(item) for item in page], "has_more": has_more})


def _query(chatgroup_id: str, condition: Condition | None, *, forward: bool, limit: int) -> list[TimelineItem]:
    """One item more than the page, to tell whether there are more: one Query, read consistently."""
    return list(
        TimelineItem.query(
            chatgroup_id,
            condition,
            scan_index_forward=forward,
            limit=limit + 1,
            page_size=limit + 1,
            consistent_read=True,
        )
    )


def require_member(chatgroup_id: str, user: str) -> None:
    try:
        Membership.get(chatgroup_id, user, consistent_read=True, attributes_to_get=["user_id"])
    except Membership.DoesNotExist:
        raise Forbidden("Only members of the chatgroup may read its messages.") from None
