"""Joining and leaving: each change is one transaction on the group's counter and one membership item."""

from dataclasses import dataclass

from pynamodb.expressions.condition import Condition

from chatgroup.access import is_live, load_group, refusal_of, require_creator
from chatgroup.clock import now_ms
from chatgroup.db import Transaction
from chatgroup.errors import Conflict, Forbidden, NotFound
from chatgroup.models import Chatgroup, InboxMessage, Membership, pending_key
from chatgroup.notices import inbox_notice
from chatgroup.observability import count
from chatgroup.quotas import give_back_pending_slots
from chatgroup.schemas import ApplicationDecision, InvitationDecision, KickoutRequest, LeaveRequest
from chatgroup.timeline import add_notice, last_seq, on_fresh_timeline, only_liveness, seq_unchanged, timeline_actions


@dataclass(frozen=True)
class _Pending:
    """A pending application or invitation, as the decision on it needs it."""

    type: str
    item: InboxMessage
    condition: Condition
    joiner: str
    sender: str
    missing: NotFound


def decide(caller: str, decision: ApplicationDecision | InvitationDecision) -> str | None:
    """Accept or deny an application (the creator) or an invitation (the invitee).

    Returns the queue ARN when someone joined. The pending message goes, the sender gets
    the outcome in their inbox and their quota slot back and, on accept, the member joins with a
    `joined` notice in the timeline: all in one transaction.
    """
    return on_fresh_timeline(lambda: _decide_once(caller, decision))


def _decide_once(caller: str, decision: ApplicationDecision | InvitationDecision) -> str | None:
    group = load_group(decision.chatgroup_id)
    if isinstance(decision, ApplicationDecision):
        pending = _application(group, caller, decision)
    else:
        pending = _invitation(group, caller, decision)
    change = Transaction()
    change.delete(pending.item, condition=pending.condition, error=lambda: pending.missing)
    outcome = "accepted" if decision.choice == "accept" else "denied"
    change.put(inbox_notice(pending.sender, f"{pending.type}_{outcome}", group.chatgroup_id, caller))
    give_back_pending_slots(change, pending.sender, [pending.item])
    if decision.choice == "deny":
        change.commit()
        return None
    by = pending.sender if pending.type == "invitation" else caller
    _add_member(change, group, pending.joiner)
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
    return _Pending(
        type="invitation",
        item=InboxMessage(caller, pending_key("invitation", group.chatgroup_id, caller)),
        condition=_matches(decision.inbox_message_id) & (InboxMessage.sender_id == decision.who_invite),
        joiner=caller,
        sender=decision.who_invite,
        missing=NotFound(f"You have no pending invitation from {decision.who_invite} to this chatgroup."),
    )


def _matches(inbox_message_id: str | None) -> Condition:
    condition = InboxMessage.pending_key.exists()
    if inbox_message_id is not None:
        condition &= InboxMessage.message_id == inbox_message_id
    return condition


def _add_member(change: Transaction, group: Chatgroup, user_id: str) -> None:
    change.update(
        group,
        [Chatgroup.member_count.add(1), *timeline_actions(group)],
        condition=is_live() & (Chatgroup.member_count < Chatgroup.capacity) & seq_unchanged(group),
        error=lambda: refusal_of(group.chatgroup_id, seen_seq=last_seq(group)),
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
    if request.creator_id not in (None, caller):
        raise Forbidden("creator_id must be your own user id: only the creator may kick members out.")
    kicked = request.who_to_kick_out
    on_fresh_timeline(lambda: _remove_member(request.chatgroup_id, kicked, "kicked", by=caller))
    count("MembersKicked")


def _remove_member(chatgroup_id: str, user_id: str, notice: str, by: str) -> None:
    """Remove a member (not the creator) with its notice in the timeline: one transaction."""
    group = load_group(chatgroup_id)
    if notice == "kicked":
        require_creator(group, by, "kick members out")
    if user_id == group.creator_id:
        raise Conflict(_CREATOR_STAYS[notice])
    removal = Transaction()
    removal.delete(
        Membership(group.chatgroup_id, user_id),
        condition=Membership.user_id.exists(),
        error=lambda: NotFound(f"{user_id} is not a member of this chatgroup."),
    )
    removal.update(
        group,
        [Chatgroup.member_count.add(-1), *timeline_actions(group)],
        condition=is_live() & seq_unchanged(group),
        error=lambda: refusal_of(group.chatgroup_id, only_liveness, seen_seq=last_seq(group)),
    )
    add_notice(removal, group, notice, user=user_id, by=by)
    removal.commit()


_CREATOR_STAYS = {
    "left": "The creator cannot leave the chatgroup; dismiss it instead.",
    "kicked": "The creator cannot be kicked out; dismiss the chatgroup instead.",
}
