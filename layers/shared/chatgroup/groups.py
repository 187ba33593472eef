"""Creating, reading, changing and dismissing a chatgroup."""

from collections.abc import Iterable
from itertools import batched
from typing import Any
from uuid import uuid4

from pynamodb.attributes import Attribute
from pynamodb.exceptions import PynamoDBException
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from chatgroup.access import group_not_found, is_live, load_group, refusal_of, require_creator
from chatgroup.clock import now_ms
from chatgroup.db import Transaction, conditional
from chatgroup.discovery import chatgroup_view
from chatgroup.errors import Conflict, Forbidden, InvalidRequest, ServiceUnavailable, TimelineMoved
from chatgroup.inbox import remove_pending
from chatgroup.items import DISMISSED
from chatgroup.models import Chatgroup, InboxMessage, Membership, is_pending, subject_of
from chatgroup.notices import inbox_notice
from chatgroup.observability import count, logger
from chatgroup.queues import create_group_queue, delete_group_queue
from chatgroup.quotas import give_back_group_slot, require_group_slot, take_group_slot
from chatgroup.schemas import ChatgroupChanges, ChatgroupView, CreateChatgroupRequest
from chatgroup.timeline import add_notice, last_seq, on_fresh_timeline, seq_unchanged, timeline_actions

_TRANSACTION_ITEMS = 100
_FIRST_MEMBERS = _TRANSACTION_ITEMS - 2
"""Members written with the group and the creator's quota slot: the creation's last transaction."""


def create_chatgroup(caller: str, request: CreateChatgroupRequest) -> Chatgroup:
    """Create the group's queue, then the group, its members and the creator's quota slot.

    The queue comes first because the group item records its ARN. Members that do not fit in
    one transaction with the group and the slot (100 items; the 99 initial members of the
    contract and the creator are 102) are written first, in transactions of their own, while
    no group item exists: a membership of a group that does not exist is seen by nothing (every
    operation reads the group; "my groups" skips those not found). The last transaction writes
    the group, the slot and the other members at once, so the group appears whole or not at all.
    If anything fails, the early members and the queue are deleted again; if even that fails,
    they name a group id nobody holds (a retry makes a new one) and only cost storage.
    """
    members = list(dict.fromkeys([caller, *request.memberlist]))
    if len(members) > request.capacity:
        raise InvalidRequest(
            f"memberlist: {len(members)} members including the creator exceed the capacity of {request.capacity}."
        )
    require_group_slot(caller)
    chatgroup_id = uuid4().hex
    queue = create_group_queue(chatgroup_id, caller)
    created_at = now_ms()
    group = Chatgroup(
        chatgroup_id,
        name=request.name,
        creator_id=caller,
        capacity=request.capacity,
        member_count=len(members),
        event_id=request.eventid,
        photo=request.photo,
        queue_url=queue.url,
        queue_arn=queue.arn,
        created_at=created_at,
    )
    memberships = [Membership(chatgroup_id, member, joined_at=created_at) for member in members]
    first, early = memberships[:_FIRST_MEMBERS], memberships[_FIRST_MEMBERS:]
    try:
        for batch in batched(early, _TRANSACTION_ITEMS, strict=False):
            _put_members(Transaction(), batch).commit()
        creation = _put_members(Transaction(), first)
        creation.put(
            group,
            condition=Chatgroup.chatgroup_id.does_not_exist(),
            error=lambda: Conflict("A chatgroup with this id already exists; please retry."),
        )
        take_group_slot(creation, caller, chatgroup_id)
        creation.commit()
    except BaseException:
        _discard(queue.url, early)
        raise
    count("ChatgroupsCreated")
    return group


def _put_members(change: Transaction, memberships: Iterable[Membership]) -> Transaction:
    for membership in memberships:
        change.put(
            membership,
            condition=Membership.user_id.does_not_exist(),
            error=lambda: Conflict("The chatgroup's members changed while it was created; please retry."),
        )
    return change


def _discard(queue_url: str, early: list[Membership]) -> None:
    """Undo a creation whose group was not written: its early members, then its queue."""
    if early:
        try:
            _remove_all(Membership, early)
        except PynamoDBException:
            logger.exception("Members of a group never created left behind", extra={"count": len(early)})
    _discard_queue(queue_url)


def _discard_queue(queue_url: str) -> None:
    """Roll back a queue whose group was not written; if even that fails, say which queue to clean up."""
    try:
        delete_group_queue(queue_url)
    except ServiceUnavailable:
        logger.exception("Orphan chat queue left for cleanup", extra={"queue_url": queue_url})


def get_chatgroup(chatgroup_id: str) -> ChatgroupView:
    group = load_group(chatgroup_id)
    joined = sorted(Membership.query(chatgroup_id, consistent_read=True), key=lambda m: (m.joined_at, m.user_id))
    members = [group.creator_id] + [m.user_id for m in joined if m.user_id != group.creator_id]
    return chatgroup_view(group, members)


def update_chatgroup(caller: str, chatgroup_id: str, changes: ChatgroupChanges) -> None:
    """Apply a creator's changes with an `updated` notice in the timeline; a capacity below the member
    count is refused atomically."""
    on_fresh_timeline(lambda: _update_once(caller, chatgroup_id, changes))


def _update_once(caller: str, chatgroup_id: str, changes: ChatgroupChanges) -> None:
    group = load_group(chatgroup_id)
    require_creator(group, caller, "change it")
    condition = is_live() & (Chatgroup.creator_id == caller) & seq_unchanged(group)
    actions: list[Action] = timeline_actions(group)
    for field in changes.model_fields_set:
        value = getattr(changes, field)
        attribute = _CHANGEABLE[field]
        actions.append(attribute.remove() if value is None else attribute.set(value))
    if changes.capacity is not None:
        condition &= Chatgroup.member_count <= changes.capacity
    update = Transaction()
    update.update(
        group,
        actions,
        condition=condition,
        error=lambda: refusal_of(
            chatgroup_id, lambda current: _below_members(changes, current), seen_seq=last_seq(group)
        ),
    )
    add_notice(update, group, "updated", user=caller, by=caller, changes=changes.model_dump(exclude_unset=True))
    update.commit()


_CHANGEABLE: dict[str, Attribute[Any]] = {
    "name": Chatgroup.name,
    "capacity": Chatgroup.capacity,
    "photo": Chatgroup.photo,
    "eventid": Chatgroup.event_id,
}


def _below_members(changes: ChatgroupChanges, group: Chatgroup) -> Conflict | None:
    if changes.capacity is not None and group.member_count > changes.capacity:
        return Conflict(f"capacity {changes.capacity} is below the current {group.member_count} members.")
    return None


def dismiss_chatgroup(caller: str, chatgroup_id: str, creator_id: str) -> None:
    """Mark the group dismissed, then remove its members, pending messages, queue and item.

    The mark makes every later join, invitation or application fail at once, and gives the
    creator's quota slot back in the same transaction; each cleanup step is idempotent (and
    gives back the pending messages' slots), so a dismissal interrupted half way is finished
    by calling it again.
    """
    if creator_id != caller:
        raise Forbidden("creator_id must be your own user id: only the creator may dismiss a chatgroup.")
    group, members = _group_and_members(chatgroup_id)
    require_creator(group, caller, "dismiss it")
    if group.dismissed_at is None:
        members = _mark_dismissed(caller, group, members)
    pending = [item for item in InboxMessage.by_chatgroup.query(chatgroup_id) if is_pending(item.pending_key)]
    told = {m.user_id for m in members} | {subject_of(item.pending_key) for item in pending}
    _tell_dismissed(told - {group.creator_id}, group)
    _remove_all(Membership, members)
    remove_pending(pending)
    delete_group_queue(group.queue_url)
    conditional(
        lambda: group.delete(condition=Chatgroup.dismissed_at.exists()),
        error=lambda: group_not_found(chatgroup_id),
    )
    count("ChatgroupsDismissed")


def _group_and_members(chatgroup_id: str) -> tuple[Chatgroup, list[Membership]]:
    """The group, then its members: read in this order, a join or leave between the two reads moves the seq
    that the mark is conditioned on, so a mark that commits names exactly the members read."""
    try:
        group = Chatgroup.get(chatgroup_id, consistent_read=True)
    except Chatgroup.DoesNotExist:
        raise group_not_found(chatgroup_id) from None
    return group, list(Membership.query(chatgroup_id, consistent_read=True))


def _mark_dismissed(caller: str, group: Chatgroup, members: list[Membership]) -> list[Membership]:
    """Mark the group dismissed, retried with fresh reads while its timeline moves; the members it was marked with.

    The first attempt uses the reads the dismissal began with (one GetItem and one Query fewer).
    """
    reads = iter([(group, members)])

    def attempt() -> list[Membership]:
        current, current_members = next(reads, None) or _group_and_members(group.chatgroup_id)
        require_creator(current, caller, "dismiss it")
        if current.dismissed_at is None:
            _mark_once(caller, current, {member.user_id for member in current_members})
        return current_members

    return on_fresh_timeline(attempt)


def _mark_once(caller: str, group: Chatgroup, members: set[str]) -> None:
    """Mark the group dismissed with a last timeline notice naming the members to revoke, and give the
    creator's live-group quota slot back, in one transaction.

    It is conditioned on the timeline not having moved since the group was read: every join and
    leave moves it, so the notice names exactly the members at the dismissal. The notice also
    tells the background purge to delete the group's timeline.
    """
    mark = Transaction()
    mark.update(
        group,
        [Chatgroup.dismissed_at.set(now_ms()), Chatgroup.event_id.remove(), *timeline_actions(group)],
        condition=Chatgroup.chatgroup_id.exists()
        & (Chatgroup.creator_id == caller)
        & Chatgroup.dismissed_at.does_not_exist()
        & seq_unchanged(group),
        error=lambda: TimelineMoved(f"Chatgroup {group.chatgroup_id} was busy; please retry."),
    )
    add_notice(mark, group, DISMISSED, user=caller, by=caller, members=members)
    give_back_group_slot(mark, caller, group.chatgroup_id)
    mark.commit()


def _tell_dismissed(users: set[str], group: Chatgroup) -> None:
    """Members and users a pending message was about learn it in their inbox, since the queue goes.

    The notice's key is fixed per group, so a retried dismissal overwrites it rather than repeating it.
    """
    with InboxMessage.batch_write() as batch:
        for user in sorted(users):
            batch.save(
                inbox_notice(
                    user, "dismissed", group.chatgroup_id, group.creator_id, key=f"dismissed#{group.chatgroup_id}"
                )
            )


def _remove_all(model: type[Model], items: Iterable[Model]) -> None:
    with model.batch_write() as batch:
        for item in items:
            batch.delete(item)
