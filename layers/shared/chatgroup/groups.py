"""Creating, reading, changing and dismissing a chatgroup."""

from collections.abc import Iterable
from typing import Any
from uuid import uuid4

from pynamodb.attributes import Attribute
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from chatgroup.access import group_not_found, is_live, load_group, refusal_of, require_creator
from chatgroup.clock import now_ms
from chatgroup.db import Transaction, conditional
from chatgroup.discovery import chatgroup_view
from chatgroup.errors import Conflict, Forbidden, InvalidRequest, ServiceUnavailable, TimelineMoved
from chatgroup.inbox import remove_pending
from chatgroup.models import Chatgroup, InboxMessage, Membership, is_pending, subject_of
from chatgroup.notices import inbox_notice
from chatgroup.observability import count, logger
from chatgroup.queues import create_group_queue, delete_group_queue
from chatgroup.quotas import give_back_group_slot, require_group_slot, take_group_slot
from chatgroup.schemas import ChatgroupChanges, ChatgroupView, CreateChatgroupRequest
from chatgroup.timeline import DISMISSED, add_notice, last_seq, on_fresh_timeline, seq_unchanged, timeline_actions


def create_chatgroup(caller: str, request: CreateChatgroupRequest) -> Chatgroup:
    """Create the group's queue, then the group, its members and the creator's quota slot in one transaction.

    The queue comes first because the group item records its ARN; if the transaction
    fails, the queue is deleted again so that no queue outlives a group that never was.
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
    transaction = Transaction()
    transaction.put(
        group,
        condition=Chatgroup.chatgroup_id.does_not_exist(),
        error=lambda: Conflict("A chatgroup with this id already exists; please retry."),
    )
    for member in members:
        transaction.put(
            Membership(chatgroup_id, member, joined_at=created_at),
            condition=Membership.user_id.does_not_exist(),
            error=lambda: Conflict("The chatgroup's members changed while it was created; please retry."),
        )
    take_group_slot(transaction, caller, chatgroup_id)
    try:
        transaction.commit()
    except BaseException:
        _discard_queue(queue.url)
        raise
    count("ChatgroupsCreated")
    return group


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
    try:
        group = Chatgroup.get(chatgroup_id, consistent_read=True)
    except Chatgroup.DoesNotExist:
        raise group_not_found(chatgroup_id) from None
    require_creator(group, caller, "dismiss it")
    if group.dismissed_at is None:
        on_fresh_timeline(lambda: _mark_dismissed(caller, chatgroup_id))
    members = list(Membership.query(chatgroup_id, consistent_read=True))
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


def _mark_dismissed(caller: str, chatgroup_id: str) -> None:
    """Mark the group dismissed with a last timeline notice naming the members to revoke, and give the
    creator's live-group quota slot back, in one transaction.

    It is conditioned on the timeline not having moved since the members were read: every join
    and leave moves it, so the notice names exactly the members at the dismissal. The notice
    also tells the background purge to delete the group's timeline.
    """
    try:
        group = Chatgroup.get(chatgroup_id, consistent_read=True)
    except Chatgroup.DoesNotExist:
        raise group_not_found(chatgroup_id) from None
    if group.dismissed_at is not None:
        return
    members = {m.user_id for m in Membership.query(chatgroup_id, consistent_read=True, attributes_to_get=["user_id"])}
    mark = Transaction()
    mark.update(
        group,
        [Chatgroup.dismissed_at.set(now_ms()), Chatgroup.event_id.remove(), *timeline_actions(group)],
        condition=Chatgroup.chatgroup_id.exists()
        & (Chatgroup.creator_id == caller)
        & Chatgroup.dismissed_at.does_not_exist()
        & seq_unchanged(group),
        error=lambda: TimelineMoved(f"Chatgroup {chatgroup_id} was busy; please retry."),
    )
    add_notice(mark, group, DISMISSED, user=caller, by=caller, members=members)
    give_back_group_slot(mark, caller, chatgroup_id)
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
