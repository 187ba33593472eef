"""Reads and rules shared by every operation on a group."""

from collections.abc import Callable

from pynamodb.expressions.condition import Condition

from chatgroup.errors import ChatgroupError, Conflict, Forbidden, NotFound, TimelineMoved
from chatgroup.models import Chatgroup


def load_group(chatgroup_id: str) -> Chatgroup:
    """The live group, or NotFound; a group being dismissed is already gone for its users."""
    try:
        group = Chatgroup.get(chatgroup_id, consistent_read=True)
    except Chatgroup.DoesNotExist:
        raise group_not_found(chatgroup_id) from None
    if group.dismissed_at is not None:
        raise group_not_found(chatgroup_id)
    return group


def group_not_found(chatgroup_id: str) -> NotFound:
    return NotFound(f"Chatgroup {chatgroup_id} does not exist.")


def require_creator(group: Chatgroup, caller: str, action: str) -> None:
    if group.creator_id != caller:
        raise Forbidden(f"Only the creator of the chatgroup may {action}.")


def creator_refusal(
    chatgroup_id: str,
    creator: str,
    action: str,
    explain: Callable[[Chatgroup], Conflict | None] | None = None,
    seen_seq: int | None = None,
) -> ChatgroupError:
    """Like `refusal_of`, for a write conditioned on `creator` still being the creator: a Forbidden if they are not."""
    try:
        group = load_group(chatgroup_id)
    except NotFound as gone:
        return gone
    if group.creator_id != creator:
        return Forbidden(f"Only the creator of the chatgroup may {action}.")
    return refusal_of(chatgroup_id, explain, seen_seq)


def is_live() -> Condition:
    """Condition on a group item: it exists and is not being dismissed."""
    return Chatgroup.chatgroup_id.exists() & Chatgroup.dismissed_at.does_not_exist()


def refusal_of(
    chatgroup_id: str, explain: Callable[[Chatgroup], Conflict | None] | None = None, seen_seq: int | None = None
) -> Conflict | NotFound:
    """Why a write conditioned on the group was refused, told after the fact from a fresh read.

    Gone is a NotFound; else `explain` names the broken rule (by default: the group is full);
    else, for a write that also moved the timeline from `seen_seq`, another write took that seq
    (TimelineMoved, which the writer retries); if nothing explains it, the group changed under the request.
    """
    try:
        group = load_group(chatgroup_id)
    except NotFound as gone:
        return gone
    if (broken := (explain or _full)(group)) is not None:
        return broken
    if seen_seq is not None and (group.last_seq or 0) != seen_seq:
        return TimelineMoved(f"Chatgroup {chatgroup_id} was busy; please retry.")
    return Conflict(f"Chatgroup {chatgroup_id} changed while your request was handled; please retry.")


def _full(group: Chatgroup) -> Conflict | None:
    if group.member_count >= group.capacity:
        return Conflict(f"Chatgroup {group.chatgroup_id} is full ({group.capacity} members).")
    return None
