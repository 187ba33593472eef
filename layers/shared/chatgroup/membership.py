"""Joining and leaving: each change is one transaction on the group's counter and one membership item."""

from pynamodb.expressions.condition import Condition

from chatgroup.access import group_not_found, is_live, load_group, refusal_of, require_creator
from chatgroup.clock import now_ms
from chatgroup.db import Transaction, conditional
from chatgroup.errors import Conflict, Forbidden, NotFound
from chatgroup.models import Chatgroup, InboxMessage, Membership, pending_key
from chatgroup.schemas import ApplicationDecision, InvitationDecision, KickoutRequest, LeaveRequest


def decide(caller: str, decision: ApplicationDecision | InvitationDecision) -> str | None:
    """Accept or deny an application or invitation; returns the queue ARN when someone joined."""
    if isinstance(decision, ApplicationDecision):
        return decide_application(caller, decision)
    return decide_invitation(caller, decision)


def decide_application(caller: str, decision: ApplicationDecision) -> str | None:
    """The creator accepts or denies a pending application; returns the queue ARN on accept."""
    group = load_group(decision.chatgroup_id)
    require_creator(group, caller, "decide on applications")
    message = InboxMessage(caller, pending_key("application", group.chatgroup_id, decision.who_apply))
    missing = NotFound(f"There is no pending application of {decision.who_apply} to this chatgroup.")
    return _decide(group, decision.who_apply, message, decision.choice, _matches(decision.inbox_message_id), missing)


def decide_invitation(caller: str, decision: InvitationDecision) -> str | None:
    """The invitee accepts or denies a pending invitation; returns the queue ARN on accept."""
    group = load_group(decision.chatgroup_id)
    message = InboxMessage(caller, pending_key("invitation", group.chatgroup_id, caller))
    condition = _matches(decision.inbox_message_id) & (InboxMessage.sender_id == decision.who_invite)
    missing = NotFound(f"You have no pending invitation from {decision.who_invite} to this chatgroup.")
    return _decide(group, caller, message, decision.choice, condition, missing)


def _matches(inbox_message_id: str | None) -> Condition:
    condition = InboxMessage.pending_key.exists()
    if inbox_message_id is not None:
        condition &= InboxMessage.message_id == inbox_message_id
    return condition


def _decide(
    group: Chatgroup, joiner: str, message: InboxMessage, choice: str, condition: Condition, missing: NotFound
) -> str | None:
    if choice == "deny":
        conditional(lambda: message.delete(condition=condition), error=lambda: missing)
        return None
    join = Transaction()
    join.update(
        group,
        [Chatgroup.member_count.add(1)],
        condition=is_live() & (Chatgroup.member_count < Chatgroup.capacity),
        error=lambda: refusal_of(group.chatgroup_id),
    )
    join.put(
        Membership(group.chatgroup_id, joiner, joined_at=now_ms()),
        condition=Membership.user_id.does_not_exist(),
        error=lambda: Conflict(f"{joiner} is already a member of this chatgroup."),
    )
    join.delete(message, condition=condition, error=lambda: missing)
    join.commit()
    return group.queue_arn


def leave(caller: str, request: LeaveRequest) -> None:
    if request.who_leave != caller:
        raise Forbidden("who_leave must be your own user id: you can only leave for yourself.")
    group = load_group(request.chatgroup_id)
    if group.creator_id == caller:
        raise Conflict("The creator cannot leave the chatgroup; dismiss it instead.")
    _remove_member(group, caller)


def kick_out(caller: str, request: KickoutRequest) -> None:
    if request.creator_id not in (None, caller):
        raise Forbidden("creator_id must be your own user id: only the creator may kick members out.")
    group = load_group(request.chatgroup_id)
    require_creator(group, caller, "kick members out")
    if request.who_to_kick_out == group.creator_id:
        raise Conflict("The creator cannot be kicked out; dismiss the chatgroup instead.")
    _remove_member(group, request.who_to_kick_out)


def _remove_member(group: Chatgroup, user_id: str) -> None:
    removal = Transaction()
    removal.delete(
        Membership(group.chatgroup_id, user_id),
        condition=Membership.user_id.exists(),
        error=lambda: NotFound(f"{user_id} is not a member of this chatgroup."),
    )
    removal.update(
        group,
        [Chatgroup.member_count.add(-1)],
        condition=is_live(),
        error=lambda: group_not_found(group.chatgroup_id),
    )
    removal.commit()
