"""Creating, reading, updating and dismissing a chatgroup, without HTTP."""

import boto3
import pytest

from chatgroup import groups, inbox
from chatgroup.errors import Conflict, Forbidden, InvalidRequest, NotFound, ServiceUnavailable
from chatgroup.models import Chatgroup, InboxMessage, Membership
from chatgroup.schemas import ApplicationMessageRequest, ChatgroupChanges, CreateChatgroupRequest


def queue_names() -> list[str]:
    urls = boto3.client("sqs").list_queues().get("QueueUrls", [])
    return [url.rsplit("/", 1)[1] for url in urls]


def test_creator_is_the_first_member(new_group) -> None:
    group = new_group(creator="alice")
    assert groups.get_chatgroup(group.chatgroup_id).MemberList == "alice"


def test_memberlist_adds_initial_members_and_the_count_matches(new_group) -> None:
    group = new_group(creator="alice", members=("bob", "carol", "bob", "alice"))
    view = groups.get_chatgroup(group.chatgroup_id)
    assert view.MemberList == "alice;bob;carol"
    assert Chatgroup.get(group.chatgroup_id).member_count == 3


def test_creator_counts_toward_capacity(aws) -> None:
    request = CreateChatgroupRequest(name="Crew", capacity=2, memberlist=["bob", "carol"])
    with pytest.raises(InvalidRequest, match="exceed the capacity"):
        groups.create_chatgroup("alice", request)
    assert queue_names() == []
    assert list(Chatgroup.scan()) == []


def test_each_group_gets_an_encrypted_tagged_fifo_queue_whose_arn_is_returned(new_group) -> None:
    group = new_group(creator="alice")
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=f"chatgroup-dev-{group.chatgroup_id}.fifo")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["FifoQueue"] == "true"
    assert attributes["SqsManagedSseEnabled"] == "true"
    assert attributes["QueueArn"] == group.queue_arn
    tags = sqs.list_queue_tags(QueueUrl=url)["Tags"]
    assert tags == {"stack": "chatgroup-dev", "chatgroup_id": group.chatgroup_id, "creator_id": "alice"}


def test_failed_database_write_after_queue_creation_leaves_no_queue(aws) -> None:
    boto3.client("dynamodb").delete_table(TableName="MembershipTable")
    with pytest.raises(ServiceUnavailable):
        groups.create_chatgroup("alice", CreateChatgroupRequest(name="Crew", capacity=3))
    assert queue_names() == []
    assert list(Chatgroup.scan()) == []


def test_get_of_an_unknown_group_is_not_found(aws) -> None:
    with pytest.raises(NotFound):
        groups.get_chatgroup("0" * 32)


def test_get_shows_the_seed_fields(new_group) -> None:
    group = new_group(creator="alice", eventid="concert-1")
    view = groups.get_chatgroup(group.chatgroup_id)
    assert (view.ChatgroupID, view.EventID, view.CreatorID, view.Capacity) == (
        group.chatgroup_id,
        "concert-1",
        "alice",
        5,
    )
    assert group.queue_arn == view.SQS
    assert view.Timestamp.endswith("Z")


def test_creator_updates_name_capacity_photo_and_event(new_group) -> None:
    group = new_group(creator="alice")
    changes = ChatgroupChanges(name="New name", capacity=9, photo="https://example.com/p.png", eventid="gig")
    groups.update_chatgroup("alice", group.chatgroup_id, changes)
    view = groups.get_chatgroup(group.chatgroup_id)
    assert (view.Name, view.Capacity, view.PhotoID, view.EventID) == ("New name", 9, "https://example.com/p.png", "gig")


def test_update_can_clear_the_photo(aws) -> None:
    request = CreateChatgroupRequest(name="Crew", capacity=3, photo="https://example.com/p.png")
    group = groups.create_chatgroup("alice", request)
    groups.update_chatgroup("alice", group.chatgroup_id, ChatgroupChanges.model_validate({"photo": None}))
    assert groups.get_chatgroup(group.chatgroup_id).PhotoID is None


def test_only_the_creator_updates(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    with pytest.raises(Forbidden):
        groups.update_chatgroup("bob", group.chatgroup_id, ChatgroupChanges(name="Mine now"))
    assert groups.get_chatgroup(group.chatgroup_id).Name == "Front row crew"


def test_capacity_cannot_drop_below_the_member_count(new_group) -> None:
    group = new_group(creator="alice", members=("bob", "carol"))
    with pytest.raises(Conflict, match="below the current 3 members"):
        groups.update_chatgroup("alice", group.chatgroup_id, ChatgroupChanges(capacity=2))
    assert groups.get_chatgroup(group.chatgroup_id).Capacity == 5


def test_capacity_may_drop_to_the_member_count(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    groups.update_chatgroup("alice", group.chatgroup_id, ChatgroupChanges(capacity=2))
    assert groups.get_chatgroup(group.chatgroup_id).Capacity == 2


def test_dismiss_removes_group_members_queue_and_pending_messages(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    inbox.send_application("dave", ApplicationMessageRequest(type="application", chatgroup_id=group.chatgroup_id))
    groups.dismiss_chatgroup("alice", group.chatgroup_id, "alice")
    with pytest.raises(NotFound):
        groups.get_chatgroup(group.chatgroup_id)
    assert list(Membership.query(group.chatgroup_id)) == []
    assert list(InboxMessage.query("alice")) == []
    assert queue_names() == []


def test_only_the_creator_dismisses(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    with pytest.raises(Forbidden):
        groups.dismiss_chatgroup("bob", group.chatgroup_id, "bob")
    assert groups.get_chatgroup(group.chatgroup_id).CreatorID == "alice"


def test_dismiss_naming_someone_else_as_creator_is_forbidden(new_group) -> None:
    group = new_group(creator="alice", members=("bob",))
    with pytest.raises(Forbidden, match="creator_id"):
        groups.dismiss_chatgroup("bob", group.chatgroup_id, "alice")
    assert groups.get_chatgroup(group.chatgroup_id).CreatorID == "alice"


def test_dismiss_interrupted_half_way_is_finished_by_a_retry(new_group, queue_deletion_fails) -> None:
    group = new_group(creator="alice", members=("bob",))
    with pytest.raises(ServiceUnavailable):
        groups.dismiss_chatgroup("alice", group.chatgroup_id, "alice")
    with pytest.raises(NotFound):
        groups.get_chatgroup(group.chatgroup_id)
    queue_deletion_fails.undo()
    groups.dismiss_chatgroup("alice", group.chatgroup_id, "alice")
    assert queue_names() == []
    assert list(Chatgroup.scan()) == []


def test_dismissing_twice_is_not_found(new_group) -> None:
    group = new_group()
    groups.dismiss_chatgroup("alice", group.chatgroup_id, "alice")
    with pytest.raises(NotFound):
        groups.dismiss_chatgroup("alice", group.chatgroup_id, "alice")


def test_a_queue_that_cannot_be_rolled_back_is_logged_for_cleanup(aws, queue_deletion_fails, caplog) -> None:
    boto3.client("dynamodb").delete_table(TableName="MembershipTable")
    with pytest.raises(ServiceUnavailable):
        groups.create_chatgroup("alice", CreateChatgroupRequest(name="Crew", capacity=3))
    [orphan] = queue_names()
    [record] = [record for record in caplog.records if record.getMessage() == "Orphan chat queue left for cleanup"]
    assert record.queue_url.endswith(orphan)
