"""Listings: a user's groups and an event's groups, each one Query on an index per page."""

from chatgroup.clock import iso
from chatgroup.models import Chatgroup, Membership
from chatgroup.pagination import newest_first
from chatgroup.schemas import ChatgroupPage, ChatgroupView
from chatgroup.timeline import last_seq


def my_chatgroups(caller: str, limit: int, next_token: str | None) -> ChatgroupPage:
    """The caller's groups, most recently joined first: a Query on `by_user`, then one BatchGetItem."""
    page = newest_first(Membership.by_user, "user_id", caller, limit, next_token)
    chatgroup_ids = [membership.chatgroup_id for membership in page.items]
    found = {group.chatgroup_id: group for group in Chatgroup.batch_get(chatgroup_ids)} if chatgroup_ids else {}
    return _page([found[chatgroup_id] for chatgroup_id in chatgroup_ids if chatgroup_id in found], page.next_token)


def event_chatgroups(event_id: str, limit: int, next_token: str | None) -> ChatgroupPage:
    """An event's groups, newest first: a Query on the sparse `by_event` index."""
    page = newest_first(Chatgroup.by_event, "event_id", event_id, limit, next_token)
    return _page(page.items, page.next_token)


def _page(groups: list[Chatgroup], next_token: str | None) -> ChatgroupPage:
    return ChatgroupPage(
        chatgroups=[chatgroup_view(group) for group in groups if group.dismissed_at is None],
        next_token=next_token,
    )


def chatgroup_view(group: Chatgroup, members: list[str] | None = None) -> ChatgroupView:
    """A group as the API shows it: with its `members` (a read of one group), else with their count (a listing)."""
    return ChatgroupView(
        ChatgroupID=group.chatgroup_id,
        EventID=group.event_id,
        Name=group.name,
        CreatorID=group.creator_id,
        MemberList=None if members is None else ";".join(members),
        MemberCount=group.member_count if members is None else None,
        Capacity=group.capacity,
        PhotoID=group.photo,
        SQS=group.queue_arn,
        Timestamp=iso(group.created_at),
        LastSeq=last_seq(group),
    )
