"""Joining, leaving, being kicked out or banned: each change is one transaction that checks every rule it rests on.

What a change relies on (the caller is the creator, the joiner is not banned, the inviter is still a
member, the pending message is unexpired, the creator stays) is a condition of its own transaction,
never a read before it: a read only tells which items to write, and the transaction's conditions
make sure they are still what was read, or the change is tried again from a fresh read.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from pynamodb.expressions.condition import Condition

from chatgroup.access import creator_refusal, is_live, load_group, refusal_of, require_creator
from chatgroup.clock import now_ms
from chatgroup.db import ErrorFactory, Transaction
from chatgroup.errors import ChatgroupError, Conflict, Forbidden, NotFound, TimelineMoved
from chatgroup.models import Ban, Chatgroup, InboxMessage, Membership, pending_key
from chatgroup.notices import inbox_notice
from chatgroup.observability import count
from chatgroup.quotas import give_back_pending_slots
from chatgroup.schemas import ApplicationDecision, BanRequest, InvitationDecision, KickoutRequest, LeaveRequest
from chatgroup.timeline import add_notice, last_seq, on_fresh_timeline, seq_unchanged, timeline_actions

Slots = defaultdict[str, list[InboxMessage]]
"""Pending messages a change ends, by sender: each sender's quota slots are given back by one update."""


@dataclass(frozen=True)
class _Pending:
    """A pending application or invitation, as the decision on it needs it."""

    type: str
    item: InboxMessage
    condition: Condition
    joiner: str
    sender: str
    missing: NotFound
    seen: InboxMessage | None = None
    """The invitation as read before the transaction (None for an application, or if there was none)."""


def decide(caller: str, decision: ApplicationDecision | InvitationDecision) -> str | None:
    """Accept or deny an application (the creator) or an invitation (the invitee).

    Returns the queue ARN when someone joined. The pending message goes, the sender gets the
    outcome in their inbox and their quota slot back and, on accept, the member joins with a
    `joined` notice in the timeline and their other pending message for the group goes too: all
    in one transaction, which also checks that the joiner is not banned (403, before any 404),
    that an invitation's inviter has been a member since inviting (else it is void: 409), that
    the message has not expired, and that a decider on an application is the creator now.
    """
    return on_fresh_timeline(lambda: _decide_once(caller, decision))


def _decide_once(caller: str, decision: ApplicationDecision | InvitationDecision) -> str | None:
    group = load_group(decision.chatgroup_id)
    if isinstance(decision, ApplicationDecision):
        pending = _application(group, caller, decision)
    else:
        pending = _invitation(group, caller, decision)
    accept = decision.choice == "accept"
    change = Transaction()
    if accept:
        _check_not_banned(change, group.chatgroup_id, pending.joiner, "You are" if pending.joiner == caller else None)
    if accept and pending.type == "invitation" and pending.sender != caller:
        # Nobody invites themselves: the missing invitation answers, and the membership is not checked twice.
        _check_inviter_stayed(change, group, pending)
    if pending.type == "application" and not accept:
        change.check(
            Chatgroup,
            group.chatgroup_id,
            condition=is_live() & (Chatgroup.creator_id == caller),
            error=lambda: creator_refusal(group.chatgroup_id, caller, "decide on applications"),
        )
    change.delete(pending.item, condition=pending.condition & _unexpired(), error=lambda: pending.missing)
    outcome = "accepted" if accept else "denied"
    change.put(inbox_notice(pending.sender, f"{pending.type}_{outcome}", group.chatgroup_id, caller))
    slots: Slots = defaultdict(list)
    slots[pending.sender].append(pending.item)
    if not accept:
        _give_back(change, slots)
        change.commit()
        return None
    other = "invitation" if pending.type == "application" else "application"
    drop_pending(change, group, pending.joiner, (other,), slots)
    _give_back(change, slots)
    by = pending.sender if pending.type == "invitation" else caller
    decider = caller if pending.type == "application" else None
    _add_member(change, group, pending.joiner, decider)
    add_notice(change, group, "joined", user=pending.joiner, by=by)
    change.commit()
    count("MembersJoined")
    return group.queue_arn


def _application(group: Chatgroup, caller: str, decision: ApplicationDecision) -> _Pending:
    require_creator(group, caller, "decide on applications")
    return _Pending(
        type="application",
        item=InboxMessage(caller, pending_key("application", group.chatgroup_id, decision.who_apply)),
        condition=_matches(decision.inbox_message_id),
        joiner=decision.who_apply,
        sender=decision.who_apply,
        missing=NotFound(f"There is no pending application of {decision.who_apply} to this chatgroup."),
    )


def _invitation(group: Chatgroup, caller: str, decision: InvitationDecision) -> _Pending:
    """The caller's invitation, read to learn when it was sent (the inviter must have been a member since)."""
    key = pending_key("invitation", group.chatgroup_id, caller)
    seen = _read(caller, key)
    condition = _matches(decision.inbox_message_id) & (InboxMessage.sender_id == decision.who_invite)
    if seen is not None:
        condition &= InboxMessage.message_id == seen.message_id
    return _Pending(
        type="invitation",
        item=InboxMessage(caller, key),
        condition=condition,
        joiner=caller,
        sender=decision.who_invite,
        missing=NotFound(f"You have no pending invitation from {decision.who_invite} to this chatgroup."),
        seen=seen,
    )


def _matches(inbox_message_id: str | None) -> Condition:
    condition = InboxMessage.pending_key.exists()
    if inbox_message_id is not None:
        condition &= InboxMessage.message_id == inbox_message_id
    return condition


def _unexpired() -> Condition:
    """A pending message past its expiry is gone for its users, though DynamoDB's TTL deletes it days later."""
    return InboxMessage.expires_at.does_not_exist() | (InboxMessage.expires_at > now_ms() // 1000)


def _check_not_banned(change: Transaction, chatgroup_id: str, user: str, subject: str | None = None) -> None:
    """No ban of `user` in the group; it is the transaction's first check, so its 403 wins over any 404."""
    who = subject or f"{user} is"
    change.check(
        Ban,
        chatgroup_id,
        user,
        condition=Ban.user_id.does_not_exist(),
        error=lambda: Forbidden(f"{who} banned from this chatgroup."),
    )


def _check_inviter_stayed(change: Transaction, group: Chatgroup, pending: _Pending) -> None:
    """The inviter is a member, and has been since the invitation was sent: else the invitation is void.

    A member who left (or was kicked) and came back has not vouched for the invitee since then.
    """
    condition = Membership.user_id.exists()
    if pending.seen is not None:
        condition &= Membership.joined_at <= pending.seen.created_at
    change.check(
        Membership,
        group.chatgroup_id,
        pending.sender,
        condition=condition,
        error=lambda: _void_or_missing(group.chatgroup_id, pending),
    )


def _void_or_missing(chatgroup_id: str, pending: _Pending) -> NotFound | Conflict:
    """Why an invitation whose inviter is no member was refused: a 404 if the group is being dismissed (whose
    cleanup removes the inviter before the invitation) or the invitation is not pending anyway, else void (409)."""
    try:
        load_group(chatgroup_id)
    except NotFound as gone:
        return gone
    current = _read(pending.item.recipient_id, pending.item.pending_key)
    now = now_ms() // 1000
    if (
        current is None
        or pending.seen is None
        or current.message_id != pending.seen.message_id
        or current.sender_id != pending.sender
        or (current.expires_at is not None and current.expires_at <= now)
    ):
        return pending.missing
    return Conflict(f"This invitation is void: {pending.sender} is no longer a member of this chatgroup.")


def _read(recipient: str, key: str) -> InboxMessage | None:
    try:
        return InboxMessage.get(recipient, key, consistent_read=True)
    except InboxMessage.DoesNotExist:
        return None


def drop_pending(change: Transaction, group: Chatgroup, user: str, types: tuple[str, ...], slots: Slots) -> None:
    """Add to `change` the deletion of `user`'s pending messages of `types` for the group, slots into `slots`.

    An application waits in the creator's inbox and its sender is the user: it is deleted whether or
    not it exists, and the user's slot for it given back (which is harmless if they hold none). An
    invitation waits in the user's own inbox and is read to learn its sender; its deletion is
    conditioned on it being the message read, and its absence on staying absent, else the change is
    tried again from a fresh read.
    """
    for message_type in types:
        key = pending_key(message_type, group.chatgroup_id, user)
        if message_type == "application":
            application = InboxMessage(group.creator_id, key)
            change.delete(application)
            slots[user].append(application)
            continue
        recipient = user
        seen = _read(recipient, key)
        if seen is None:
            change.check(
                InboxMessage,
                recipient,
                key,
                condition=InboxMessage.pending_key.does_not_exist(),
                error=lambda: _busy(group.chatgroup_id),
            )
            continue
        change.delete(
            seen, condition=InboxMessage.message_id == seen.message_id, error=lambda: _busy(group.chatgroup_id)
        )
        slots[seen.sender_id].append(seen)


def _give_back(change: Transaction, slots: Slots) -> None:
    for sender, messages in slots.items():
        give_back_pending_slots(change, sender, messages)


def _busy(chatgroup_id: str) -> TimelineMoved:
    """What was read changed before the write: `on_fresh_timeline` tries again from a fresh read."""
    return TimelineMoved(f"Chatgroup {chatgroup_id} was busy; please retry.")


def _add_member(change: Transaction, group: Chatgroup, user_id: str, decider: str | None) -> None:
    """One more member, within capacity; when `decider` accepted an application, only while they are the creator."""
    condition = is_live() & (Chatgroup.member_count < Chatgroup.capacity) & seq_unchanged(group)
    if decider is not None:
        condition &= Chatgroup.creator_id == decider
    change.update(
        group,
        [Chatgroup.member_count.add(1), *timeline_actions(group)],
        condition=condition,
        error=lambda: _group_refusal(group, decider, "decide on applications"),
    )
    change.put(
        Membership(group.chatgroup_id, user_id, joined_at=now_ms()),
        condition=Membership.user_id.does_not_exist(),
        error=lambda: Conflict(f"{user_id} is already a member of this chatgroup."),
    )


def leave(caller: str, request: LeaveRequest) -> None:
    if request.who_leave != caller:
        raise Forbidden("who_leave must be your own user id: you can only leave for yourself.")
    on_fresh_timeline(lambda: _remove_member(request.chatgroup_id, caller, "left", by=caller))
    count("MembersLeft")


def kick_out(caller: str, request: KickoutRequest) -> None:
    """The creator removes a member; their pending application or invitation for the group goes with them."""
    if request.creator_id not in (None, caller):
        raise Forbidden("creator_id must be your own user id: only the creator may kick members out.")
    kicked = request.who_to_kick_out
    on_fresh_timeline(lambda: _remove_member(request.chatgroup_id, kicked, "kicked", by=caller))
    count("MembersKicked")


def ban(caller: str, request: BanRequest) -> None:
    """The creator keeps a user out: a member is removed as by a kick (notice `banned`); anyone gets a ban record.

    From then on the user can neither apply, be invited, nor accept an older invitation (403) until unbanned.
    """
    if request.creator_id not in (None, caller):
        raise Forbidden("creator_id must be your own user id: only the creator may ban users.")
    on_fresh_timeline(lambda: _ban_once(request.chatgroup_id, request.who_to_ban, by=caller))
    count("UsersBanned")


def _ban_once(chatgroup_id: str, user_id: str, by: str) -> None:
    group = load_group(chatgroup_id)
    require_creator(group, by, "ban users")
    change = Transaction()
    if _is_member(chatgroup_id, user_id):
        _take_out(change, group, user_id, "banned", by, missing=lambda: _busy(chatgroup_id))
    else:
        # Not a member: no notice (the timeline's removals name members only), the group item is only checked.
        change.check(
            Membership,
            chatgroup_id,
            user_id,
            condition=Membership.user_id.does_not_exist(),
            error=lambda: _busy(chatgroup_id),
        )
        change.check(
            Chatgroup,
            chatgroup_id,
            condition=is_live() & (Chatgroup.creator_id == by) & (Chatgroup.creator_id != user_id),
            error=lambda: creator_refusal(chatgroup_id, by, "ban users", _creator_stays("banned", user_id)),
        )
    change.put(Ban(chatgroup_id, user_id, by=by, at=now_ms()))
    slots: Slots = defaultdict(list)
    drop_pending(change, group, user_id, ("application", "invitation"), slots)
    _give_back(change, slots)
    change.commit()


def _is_member(chatgroup_id: str, user_id: str) -> bool:
    """Which transaction to build; each conditions on the answer still holding."""
    try:
        Membership.get(chatgroup_id, user_id, consistent_read=True, attributes_to_get=["user_id"])
    except Membership.DoesNotExist:
        return False
    return True


def _remove_member(chatgroup_id: str, user_id: str, notice: str, by: str) -> None:
    """Remove a member (never the creator) with its notice in the timeline: one transaction.

    A kick also removes the user's pending messages for the group, so that an old invitation
    cannot bring them back.
    """
    group = load_group(chatgroup_id)
    removal = Transaction()
    if notice != "left":
        require_creator(group, by, "kick members out")
        slots: Slots = defaultdict(list)
        drop_pending(removal, group, user_id, ("application", "invitation"), slots)
        _give_back(removal, slots)
    _take_out(
        removal,
        group,
        user_id,
        notice,
        by,
        missing=lambda: NotFound(f"{user_id} is not a member of this chatgroup."),
    )
    removal.commit()


def _take_out(change: Transaction, group: Chatgroup, user_id: str, notice: str, by: str, missing: ErrorFactory) -> None:
    """Delete the membership, count it, and write the removal notice; on condition that the creator stays a member.

    A kick or a ban is also conditioned on `by` being the creator.
    """
    chatgroup_id = group.chatgroup_id
    change.delete(
        Membership(chatgroup_id, user_id),
        condition=Membership.user_id.exists(),
        error=missing,
    )
    condition = is_live() & seq_unchanged(group) & (Chatgroup.creator_id != user_id)
    action = {"left": "leave", "kicked": "kick members out", "banned": "ban users"}[notice]
    if notice != "left":
        condition &= Chatgroup.creator_id == by
    change.update(
        group,
        [Chatgroup.member_count.add(-1), *timeline_actions(group)],
        condition=condition,
        error=lambda: _group_refusal(group, None if notice == "left" else by, action, _creator_stays(notice, user_id)),
    )
    add_notice(change, group, notice, user=user_id, by=by)


def _group_refusal(
    group: Chatgroup, creator: str | None, action: str, explain: Callable[[Chatgroup], Conflict | None] | None = None
) -> ChatgroupError:
    """Why a write to the group item seen as `group` was refused; a Forbidden if `creator` no longer is the creator."""
    if creator is None:
        return refusal_of(group.chatgroup_id, explain, seen_seq=last_seq(group))
    return creator_refusal(group.chatgroup_id, creator, action, explain, seen_seq=last_seq(group))


def _creator_stays(notice: str, user_id: str) -> Callable[[Chatgroup], Conflict | None]:
    """For the refusal: the removal named the creator, who must stay a member."""

    def explain(group: Chatgroup) -> Conflict | None:
        return Conflict(_CREATOR_STAYS[notice]) if group.creator_id == user_id else None

    return explain


_CREATOR_STAYS = {
    "left": "The creator cannot leave the chatgroup; dismiss it, or transfer it to another member first.",
    "kicked": "The creator cannot be kicked out; dismiss the chatgroup instead.",
    "banned": "The creator cannot be banned.",
}
