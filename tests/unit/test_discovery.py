"""Listings: my groups and an event's groups, paginated, never someone else's."""

import pytest

from chatgroup import discovery, groups, membership
from chatgroup.errors import InvalidRequest
from chatgroup.schemas import KickoutRequest


def listed(page: discovery.ChatgroupPage) -> list[str]:
    return [group.ChatgroupID for group in page.chatgroups]


def test_my_groups_are_listed_newest_first_across_pages(new_group) -> None:
    created = [new_group(creator="alice").chatgroup_id for _ in range(5)]
    first = discovery.my_chatgroups("alice", 2, None)
    second = discovery.my_chatgroups("alice", 2, first.next_token)
    third = discovery.my_chatgroups("alice", 2, second.next_token)
    assert listed(first) + listed(second) + listed(third) == list(reversed(created))
    assert third.next_token is None


def test_my_groups_include_those_i_was_added_to_with_their_member_count(new_group) -> None:
    group = new_group(creator="alice", members=("bob", "carol"))
    [summary] = discovery.my_chatgroups("bob", 20, None).chatgroups
    assert (summary.ChatgroupID, summary.MemberCount, summary.CreatorID) == (group.chatgroup_id, 3, "alice")
    assert "MemberList" not in summary.model_dump()


def test_other_users_groups_never_appear_in_mine(new_group) -> None:
    new_group(creator="alice")
    new_group(creator="bob")
    assert [group.CreatorID for group in discovery.my_chatgroups("bob", 20, None).chatgroups] == ["bob"]


def test_my_page_token_cannot_list_someone_elses_groups(new_group) -> None:
    new_group(creator="alice")
    new_group(creator="alice")
    token = discovery.my_chatgroups("alice", 1, None).next_token
    with pytest.raises(InvalidRequest):
        discovery.my_chatgroups("mallory", 1, token)


def test_a_group_i_was_kicked_out_of_disappears_from_mine(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    membership.kick_out("alice", KickoutRequest(type="kickout", chatgroup_id=group.chatgroup_id, who_to_kick_out="bob"))
    assert discovery.my_chatgroups("bob", 20, None).chatgroups == []


def test_a_dismissed_group_disappears_from_both_listings(new_group) -> None:
    group = new_group(creator="alice", members=("bob",), eventid="gig")
    groups.dismiss_chatgroup("alice", group.chatgroup_id, "alice")
    assert discovery.my_chatgroups("bob", 20, None).chatgroups == []
    assert discovery.event_chatgroups("gig", 20, None).chatgroups == []


def test_an_events_groups_are_listed_newest_first_across_pages(new_group) -> None:
    created = [new_group(creator=creator, eventid="gig").chatgroup_id for creator in ("alice", "bob", "carol")]
    new_group(creator="dave", eventid="other-gig")
    new_group(creator="erin")
    first = discovery.event_chatgroups("gig", 2, None)
    second = discovery.event_chatgroups("gig", 2, first.next_token)
    assert listed(first) + listed(second) == list(reversed(created))
    assert second.next_token is None


def test_an_event_page_token_cannot_be_used_for_another_event(new_group) -> None:
    for _ in range(2):
        new_group(eventid="gig")
    token = discovery.event_chatgroups("gig", 1, None).next_token
    with pytest.raises(InvalidRequest):
        discovery.event_chatgroups("other-gig", 1, token)
