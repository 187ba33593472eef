"""A group's timeline: chat messages and membership notices, each with a per-group `seq`.

Every timeline write is one transaction that moves the group's `last_seq` from n-1 to n,
conditioned on it still being n-1, and puts the item at seq n: so seq n+1 can never commit
before seq n, and a gap only appears where a write failed. Two writers that read the same
n-1 race; the database lets one win and the other retries with a fresh read.
"""

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
from chatgroup.errors import Forbidden, InvalidRequest, TimelineMoved, TooManyRequests
from chatgroup.items import item_view
from chatgroup.models import Chatgroup, Membership, SendRate, TimelineItem
from chatgroup.observability import count
from chatgroup.schemas import MessagesPage, SentMessage
from chatgroup.settings import get_settings

ATTEMPTS = 24
"""Tries of a write that keeps losing its seq to others: each round one writer wins, so a burst of n writers
to one group needs up to n rounds (20 accepts racing a dismissal took more than 8 on a busy machine)."""
MAX_BACKOFF_SECONDS = 0.05
"""The jittered pause between tries grows to this and no further, so 24 tries stay well inside a Lambda timeout."""


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


def send_message(caller: str, chatgroup_id: str, text: str) -> SentMessage:
    """A member's message at the group's next seq, within the caller's send rate."""
    return on_fresh_timeline(lambda: _send_once(caller, chatgroup_id, text))


def _send_once(caller: str, chatgroup_id: str, text: str) -> SentMessage:
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
    send.commit()
    count("MessagesSent")
    return SentMessage(message_id=item.message_id, seq=int(item.seq), created_at=iso(item.created_at))


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
