"""The timeline: messages and membership notices, one seq per group, assigned in the transaction that writes them."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from chatgroup import discovery, groups, inbox, membership, timeline
from chatgroup.errors import Conflict, Forbidden, InvalidRequest, NotFound, TooManyRequests
from chatgroup.models import Chatgroup, TimelineItem
from chatgroup.schemas import (
    ApplicationDecision,
    ApplicationMessageRequest,
    ChatgroupChanges,
    KickoutRequest,
    LeaveRequest,
    SentMessage,
)
from chatgroup.settings import get_settings


def stored(chatgroup_id: str) -> list[tuple[int, str, str]]:
    """(seq, type, what) of every item stored in the group's timeline, in seq order."""
    return [
        (int(item.seq), item.type, item.text if item.type == "message" else f"{item.notice} {item.user}")
        for item in TimelineItem.query(chatgroup_id, consistent_read=True)
    ]


def join(chatgroup_id: str, user: str) -> None:
    inbox.send_application(user, ApplicationMessageRequest(type="application", chatgroup_id=chatgroup_id))
    decision = ApplicationDecision(type="application", choice="accept", chatgroup_id=chatgroup_id, who_apply=user)
    membership.decide("alice", decision)


def page(user: str, chatgroup_id: str, after: int | None = None, before: int | None = None, limit: int = 50):
    return timeline.list_messages(user, chatgroup_id, after, before, limit)


def test_each_message_takes_the_next_seq_of_its_group(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    first = timeline.send_message("alice", group.chatgroup_id, "hello")
    second = timeline.send_message("bob", group.chatgroup_id, "hi alice")
    assert (first.seq, second.seq) == (1, 2)
    assert stored(group.chatgroup_id) == [(1, "message", "hello"), (2, "message", "hi alice")]
    assert Chatgroup.get(group.chatgroup_id).last_seq == 2


def test_groups_count_their_seqs_apart(new_group) -> None:
    one, other = new_group(creator="alice"), new_group(creator="alice")
    timeline.send_message("alice", one.chatgroup_id, "in one")
    assert timeline.send_message("alice", other.chatgroup_id, "in the other").seq == 1


def test_membership_changes_write_their_notices_in_order_between_messages(new_group) -> None:
    group = new_group(creator="alice", members=("bob", "carol"))
    timeline.send_message("alice", group.chatgroup_id, "welcome")
    join(group.chatgroup_id, "dave")
    membership.leave("bob", LeaveRequest(type="leave", chatgroup_id=group.chatgroup_id, who_leave="bob"))
    kick = KickoutRequest(type="kickout", chatgroup_id=group.chatgroup_id, who_to_kick_out="carol")
    membership.kick_out("alice", kick)
    groups.update_chatgroup("alice", group.chatgroup_id, ChatgroupChanges(capacity=9))
    timeline.send_message("dave", group.chatgroup_id, "bye")
    assert stored(group.chatgroup_id) == [
        (1, "message", "welcome"),
        (2, "notice", "joined dave"),
        (3, "notice", "left bob"),
        (4, "notice", "kicked carol"),
        (5, "notice", "updated alice"),
        (6, "message", "bye"),
    ]


def test_a_notice_names_who_made_the_change_and_what_changed(new_group) -> None:
    group = new_group(creator="alice")
    groups.update_chatgroup("alice", group.chatgroup_id, ChatgroupChanges(name="Back row", photo=None))
    [notice] = page("alice", group.chatgroup_id).messages
    assert notice.model_dump() == {
        "type": "notice",
        "seq": 1,
        "message_id": notice.message_id,
        "chatgroup_id": group.chatgroup_id,
        "notice": "updated",
        "user": "alice",
        "by": "alice",
        "created_at": notice.created_at,
        "changes": {"name": "Back row", "photo": None},
    }


def test_a_refused_membership_change_writes_no_notice(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    with pytest.raises(Conflict):
        groups.update_chatgroup("alice", group.chatgroup_id, ChatgroupChanges(capacity=1))
    with pytest.raises(Forbidden):
        membership.kick_out(
            "bob", KickoutRequest(type="kickout", chatgroup_id=group.chatgroup_id, who_to_kick_out="alice")
        )
    assert stored(group.chatgroup_id) == []
    assert Chatgroup.get(group.chatgroup_id).last_seq is None


def test_a_non_member_cannot_send_and_nothing_is_stored(new_group) -> None:
    group = new_group(creator="alice")
    with pytest.raises(Forbidden):
        timeline.send_message("mallory", group.chatgroup_id, "let me in")
    assert stored(group.chatgroup_id) == []
    assert Chatgroup.get(group.chatgroup_id).last_seq is None


def test_a_member_who_left_can_no_longer_send(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    membership.leave("bob", LeaveRequest(type="leave", chatgroup_id=group.chatgroup_id, who_leave="bob"))
    with pytest.raises(Forbidden):
        timeline.send_message("bob", group.chatgroup_id, "one more thing")


def test_sending_to_an_unknown_or_dismissed_group_is_not_found(new_group) -> None:
    group = new_group(creator="alice")
    groups.dismiss_chatgroup("alice", group.chatgroup_id, "alice")
    for chatgroup_id in (group.chatgroup_id, "f" * 32):
        with pytest.raises(NotFound):
            timeline.send_message("alice", chatgroup_id, "anyone?")


def test_five_members_sending_at_once_get_five_distinct_seqs_without_gaps(new_group) -> None:
    senders = ("alice", "bob", "carol", "dave", "erin")
    group = new_group(creator="alice", members=senders[1:])
    with ThreadPoolExecutor(max_workers=5) as pool:
        sent = list(pool.map(lambda user: timeline.send_message(user, group.chatgroup_id, f"from {user}"), senders))
    assert sorted(message.seq for message in sent) == [1, 2, 3, 4, 5]
    assert sorted(text for _, _, text in stored(group.chatgroup_id)) == sorted(f"from {user}" for user in senders)


def test_identical_sends_racing_under_one_client_msg_id_store_one_message_and_get_one_answer(new_group) -> None:
    # Given bob's phone sending one message four times at once, while alice sends two of her own
    group = new_group(creator="alice", members=("bob",))

    def send(number: int) -> SentMessage:
        if number < 4:
            return timeline.send_message("bob", group.chatgroup_id, "on my way", client_msg_id="phone-1")
        return timeline.send_message("alice", group.chatgroup_id, f"alice {number}")

    # When they all run at once
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(send, range(6)))

    # Then bob's four sends got one answer, and his message is stored once among alice's two
    assert len({answer.model_dump_json() for answer in answers[:4]}) == 1
    assert sorted(text for _, _, text in stored(group.chatgroup_id)) == ["alice 4", "alice 5", "on my way"]
    assert answers[0].seq in (1, 2, 3)


def test_a_send_over_the_rate_is_refused_with_when_to_retry_and_stores_nothing(new_group) -> None:
    group = new_group(creator="alice")
    limit = get_settings().send_rate_limit

    def send_until_refused() -> None:
        for number in range(2 * limit + 1):
            timeline.send_message("alice", group.chatgroup_id, f"message {number}")

    with pytest.raises(TooManyRequests) as refused:
        send_until_refused()
    assert refused.value.retry_after is not None
    assert 1 <= refused.value.retry_after <= get_settings().send_rate_window_seconds
    assert refused.value.headers() == {"Retry-After": str(refused.value.retry_after)}
    assert len(stored(group.chatgroup_id)) == Chatgroup.get(group.chatgroup_id).last_seq


def test_the_newest_page_comes_in_ascending_seq_and_says_older_items_exist(new_group) -> None:
    group = new_group(creator="alice")
    for number in range(1, 6):
        timeline.send_message("alice", group.chatgroup_id, f"m{number}")
    newest = page("alice", group.chatgroup_id, limit=3)
    assert [item.seq for item in newest.messages] == [3, 4, 5]
    assert newest.has_more is True
    assert page("alice", group.chatgroup_id, limit=5).has_more is False


def test_after_seq_catches_up_from_the_oldest_missing_item(new_group) -> None:
    group = new_group(creator="alice")
    for number in range(1, 6):
        timeline.send_message("alice", group.chatgroup_id, f"m{number}")
    caught_up = page("alice", group.chatgroup_id, after=1, limit=2)
    assert ([item.seq for item in caught_up.messages], caught_up.has_more) == ([2, 3], True)
    rest = page("alice", group.chatgroup_id, after=3, limit=2)
    assert ([item.seq for item in rest.messages], rest.has_more) == ([4, 5], False)


def test_before_seq_scrolls_back(new_group) -> None:
    group = new_group(creator="alice")
    for number in range(1, 6):
        timeline.send_message("alice", group.chatgroup_id, f"m{number}")
    older = page("alice", group.chatgroup_id, before=4, limit=2)
    assert ([item.seq for item in older.messages], older.has_more) == ([2, 3], True)
    oldest = page("alice", group.chatgroup_id, before=2, limit=2)
    assert ([item.seq for item in oldest.messages], oldest.has_more) == ([1], False)


def test_both_cursors_at_once_are_refused(new_group) -> None:
    group = new_group(creator="alice")
    with pytest.raises(InvalidRequest):
        page("alice", group.chatgroup_id, after=1, before=3)


def test_a_new_member_reads_what_was_said_before_they_joined(new_group) -> None:
    group = new_group(creator="alice")
    timeline.send_message("alice", group.chatgroup_id, "before dave")
    join(group.chatgroup_id, "dave")
    assert [item.seq for item in page("dave", group.chatgroup_id).messages] == [1, 2]


def test_only_current_members_read_the_timeline(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    timeline.send_message("alice", group.chatgroup_id, "members only")
    membership.leave("bob", LeaveRequest(type="leave", chatgroup_id=group.chatgroup_id, who_leave="bob"))
    for outsider in ("bob", "mallory"):
        with pytest.raises(Forbidden):
            page(outsider, group.chatgroup_id)


def test_a_dismissed_groups_timeline_is_not_found_at_once(new_group) -> None:
    group = new_group(creator="alice")
    timeline.send_message("alice", group.chatgroup_id, "last words")
    groups.dismiss_chatgroup("alice", group.chatgroup_id, "alice")
    with pytest.raises(NotFound):
        page("alice", group.chatgroup_id)


def test_listings_show_each_groups_newest_seq(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    timeline.send_message("alice", group.chatgroup_id, "one")
    timeline.send_message("bob", group.chatgroup_id, "two")
    assert groups.get_chatgroup(group.chatgroup_id).LastSeq == 2
    [summary] = discovery.my_chatgroups("bob", 10, None).chatgroups
    assert summary.LastSeq == 2
