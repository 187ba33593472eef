"""What only the creator does besides kicking and banning: unban, list the bans, hand the group over.

A transfer is two steps (docs/decisions/1201-bans-and-transfer.md): first the change of creator,
one conditioned transaction with its `transferred` notice; then the old creator's pending
applications move to the new creator's inbox, a few at a time. Only the first step decides:
every decision on an application checks in its own transaction that the decider is the creator,
so an application still in the old inbox can never be decided by the old creator. The second
step is idempotent, and the old creator sending the same transfer again runs it again.
"""

from contextlib import suppress
from itertools import batched

from chatgroup.access import creator_refusal, is_live, load_group, require_creator
from chatgroup.clock import iso, now_ms
from chatgroup.db import Transaction
from chatgroup.errors import Conflict, NotFound
from chatgroup.models import Ban, Chatgroup, InboxMessage, Membership, QuotaUsage, pending_slot
from chatgroup.observability import count
from chatgroup.pagination import in_key_order
from chatgroup.quotas import give_back_pending_slots, move_group_slot
from chatgroup.schemas import BansPage, BanView, TransferRequest, UnbanRequest
from chatgroup.timeline import add_notice, last_seq, on_fresh_timeline, seq_unchanged, timeline_actions

_ITEMS_PER_MOVE = 4
"""Moving one application: delete the old message, put the new, check the applicant is not a member, count its slot."""
_MOVES_PER_TRANSACTION = 100 // _ITEMS_PER_MOVE
"""DynamoDB's limit of 100 items per transaction, in whole moves."""


def unban(caller: str, request: UnbanRequest) -> None:
    """The creator lifts a ban: the user may apply and be invited again."""
    group = load_group(request.chatgroup_id)
    require_creator(group, caller, "unban users")
    user = request.who_to_unban
    change = Transaction()
    change.check(
        Chatgroup,
        group.chatgroup_id,
        condition=is_live() & (Chatgroup.creator_id == caller),
        error=lambda: creator_refusal(group.chatgroup_id, caller, "unban users"),
    )
    change.delete(
        Ban(group.chatgroup_id, user),
        condition=Ban.user_id.exists(),
        error=lambda: NotFound(f"{user} is not banned from this chatgroup."),
    )
    change.commit()
    count("UsersUnbanned")


def list_bans(caller: str, chatgroup_id: str, limit: int, next_token: str | None) -> BansPage:
    """The group's bans in user id order, for its creator only."""
    group = load_group(chatgroup_id)
    require_creator(group, caller, "see its bans")
    page = in_key_order(Ban, "chatgroup_id", chatgroup_id, limit, next_token)
    bans = [BanView(user=ban.user_id, by=ban.by, at=iso(ban.at)) for ban in page.items]
    return BansPage(bans=bans, next_token=page.next_token)


def transfer(caller: str, request: TransferRequest) -> None:
    """The creator hands the group to a member, then the pending applications follow to the new creator's inbox.

    Sent again by the old creator once the group is the new creator's, it only moves what is left to move.
    """
    on_fresh_timeline(lambda: _hand_over(caller, request))
    move_applications(request.chatgroup_id, caller, request.new_creator)


def _hand_over(caller: str, request: TransferRequest) -> None:
    group = load_group(request.chatgroup_id)
    new_creator = request.new_creator
    if group.creator_id == new_creator and group.previous_creator == caller:
        return  # the same transfer again: it committed, the applications may not all have moved
    require_creator(group, caller, "transfer it")
    if new_creator == caller:
        raise Conflict("You are already the creator of this chatgroup.")
    change = Transaction()
    change.check(
        Membership,
        group.chatgroup_id,
        new_creator,
        condition=Membership.user_id.exists(),
        error=lambda: NotFound(f"{new_creator} is not a member of this chatgroup; only a member can be its creator."),
    )
    change.update(
        group,
        [Chatgroup.creator_id.set(new_creator), Chatgroup.previous_creator.set(caller), *timeline_actions(group)],
        condition=is_live() & (Chatgroup.creator_id == caller) & seq_unchanged(group),
        error=lambda: creator_refusal(group.chatgroup_id, caller, "transfer it", seen_seq=last_seq(group)),
    )
    add_notice(change, group, "transferred", user=new_creator, by=caller)
    move_group_slot(change, caller, new_creator, group.chatgroup_id)
    change.commit()
    count("ChatgroupsTransferred")


def move_applications(chatgroup_id: str, old_creator: str, new_creator: str) -> None:
    """Move the group's pending applications from the old creator's inbox to the new creator's.

    A Query of one partition (never a Scan), then transactions of whole moves; a batch refused
    because one message changed meanwhile is moved one application at a time. Each move is
    conditioned on the message being the one read, so running this twice moves nothing twice.
    """
    prefix = f"application#{chatgroup_id}#"
    found = InboxMessage.query(old_creator, InboxMessage.pending_key.startswith(prefix), consistent_read=True)
    for batch in batched(found, _MOVES_PER_TRANSACTION, strict=False):
        try:
            _move(batch, new_creator)
        except (Conflict, NotFound):
            for message in batch:
                _move_one(message, new_creator)


def _move_one(message: InboxMessage, new_creator: str) -> None:
    """Move one application; one the applicant no longer needs (they joined, or applied anew) is dropped instead."""
    try:
        _move((message,), new_creator)
    except NotFound:
        return  # decided, withdrawn or moved meanwhile: nothing left to move
    except Conflict:
        with suppress(NotFound):
            _drop(message)


def _move(messages: tuple[InboxMessage, ...], new_creator: str) -> None:
    change = Transaction()
    now = now_ms() // 1000
    for message in messages:
        moved = InboxMessage(
            new_creator,
            message.pending_key,
            message_id=message.message_id,
            type=message.type,
            chatgroup_id=message.chatgroup_id,
            sender_id=message.sender_id,
            message=message.message,
            created_at=message.created_at,
            expires_at=message.expires_at,
        )
        change.check(
            Membership,
            message.chatgroup_id,
            message.sender_id,
            condition=Membership.user_id.does_not_exist(),
            error=lambda: Conflict("The applicant joined meanwhile."),
        )
        change.delete(
            message,
            condition=InboxMessage.message_id == message.message_id,
            error=lambda: NotFound("The application was decided or withdrawn meanwhile."),
        )
        change.put(
            moved,
            condition=InboxMessage.pending_key.does_not_exist() | (InboxMessage.expires_at <= now),
            error=lambda: Conflict("The applicant applied again meanwhile."),
        )
        change.update(QuotaUsage(message.sender_id), [QuotaUsage.pending.add({pending_slot(moved)})])
    change.commit()
    _forget_old_slots(messages)


def _forget_old_slots(moved: tuple[InboxMessage, ...]) -> None:
    """Give back the slots that named the old inbox: after the move, as one update cannot both add and remove
    elements of one set. If this never runs, those slots are stale (their message is gone), and reclaimed as such
    when their holder is at the limit (quotas.py): the applicant's count is over by one until then, never under."""
    change = Transaction()
    for message in moved:
        give_back_pending_slots(change, message.sender_id, [message])
    change.commit()


def _drop(message: InboxMessage) -> None:
    change = Transaction()
    change.delete(
        message,
        condition=InboxMessage.message_id == message.message_id,
        error=lambda: NotFound("The application was decided or withdrawn meanwhile."),
    )
    give_back_pending_slots(change, message.sender_id, [message])
    change.commit()
