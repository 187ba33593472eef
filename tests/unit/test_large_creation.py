"""The contract's largest creation: the creator and 99 initial members, over DynamoDB's 100-item transaction.

The members that do not fit with the group and the creator's quota slot are written first, while
no group item exists; the group, its slot and the other members come in the last transaction. A
failure at any point leaves no group, no membership, no queue and no quota slot behind.
"""

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from chatgroup import discovery, groups
from chatgroup.errors import NotFound, ServiceUnavailable, TooManyRequests
from chatgroup.models import Chatgroup, Membership, QuotaUsage
from chatgroup.rules import MAX_INITIAL_MEMBERS
from chatgroup.schemas import CreateChatgroupRequest

MEMBERS = [f"user{index:02d}" for index in range(MAX_INITIAL_MEMBERS)]


def largest(memberlist: list[str] = MEMBERS) -> CreateChatgroupRequest:
    return CreateChatgroupRequest(name="Everyone", capacity=100, memberlist=memberlist)


def record_calls(monkeypatch: pytest.MonkeyPatch, failing_transaction: int | None = None) -> list[str]:
    """The AWS calls made from now on; the `failing_transaction`th TransactWriteItems (1-based) fails with a
    server error, as in an outage."""
    calls: list[str] = []
    original = BaseClient._make_api_call  # type: ignore[attr-defined]

    def call(client: BaseClient, operation: str, params: dict) -> object:
        calls.append(operation)
        if operation == "TransactWriteItems" and calls.count("TransactWriteItems") == failing_transaction:
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, operation)
        return original(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", call)
    return calls


def assert_nothing_left() -> None:
    assert list(Chatgroup.scan()) == []
    assert list(Membership.scan()) == []
    assert boto3.client("sqs").list_queues().get("QueueUrls", []) == []
    assert [usage.groups for usage in QuotaUsage.scan()] in ([], [None])


def test_the_creator_and_99_initial_members_make_a_group_of_100(aws) -> None:
    # When alice creates a group with the contract's maximum of 99 initial members
    group = groups.create_chatgroup("alice", largest())

    # Then all 100 are members, counted, and the creator is listed first
    view = groups.get_chatgroup(group.chatgroup_id)
    assert str(view.MemberList).split(";") == ["alice", *MEMBERS]
    assert Chatgroup.get(group.chatgroup_id).member_count == 100
    assert len(list(Membership.query(group.chatgroup_id))) == 100
    assert QuotaUsage.get("alice").groups == {group.chatgroup_id}


def test_a_group_that_fits_one_transaction_is_written_in_one(aws, monkeypatch) -> None:
    calls = record_calls(monkeypatch)
    groups.create_chatgroup("alice", largest(MEMBERS[:97]))
    assert calls.count("TransactWriteItems") == 1


def test_a_group_of_100_takes_two_transactions(aws, monkeypatch) -> None:
    calls = record_calls(monkeypatch)
    groups.create_chatgroup("alice", largest())
    assert calls.count("TransactWriteItems") == 2


@pytest.mark.parametrize("failing", [1, 2], ids=["the early members' transaction", "the group's transaction"])
def test_a_creation_failing_half_way_leaves_nothing_and_a_retry_succeeds(aws, monkeypatch, failing: int) -> None:
    # Given the creation's first or second transaction fails
    record_calls(monkeypatch, failing_transaction=failing)
    with pytest.raises(ServiceUnavailable):
        groups.create_chatgroup("alice", largest())
    monkeypatch.undo()

    # Then no group, member, queue or quota slot is left
    assert_nothing_left()
    assert discovery.my_chatgroups("user98", 20, None).chatgroups == []

    # And the same creation, retried, succeeds
    group = groups.create_chatgroup("alice", largest())
    assert Chatgroup.get(group.chatgroup_id).member_count == 100


def test_early_members_of_a_group_never_written_are_seen_by_nobody(aws, monkeypatch) -> None:
    # Given the group's transaction failed and removing the early members failed too
    record_calls(monkeypatch, failing_transaction=2)
    monkeypatch.setattr(groups, "_remove_all", lambda model, items: (_ for _ in ()).throw(ServiceUnavailable("down")))
    with pytest.raises(ServiceUnavailable):
        groups.create_chatgroup("alice", largest())
    monkeypatch.undo()
    [orphan] = {membership.chatgroup_id for membership in Membership.scan()}

    # Then their groups list does not show it, and the group answers 404
    assert discovery.my_chatgroups("user98", 20, None).chatgroups == []
    with pytest.raises(NotFound):
        groups.get_chatgroup(orphan)


def test_a_creator_at_the_group_limit_leaves_no_early_members(aws, quota_limits, monkeypatch) -> None:
    # Given alice's live groups are at the limit, and the early check is raced past
    quota_limits(live_groups=1)
    groups.create_chatgroup("alice", CreateChatgroupRequest(name="First", capacity=2))
    monkeypatch.setattr(groups, "require_group_slot", lambda creator: None)

    # When she creates the largest group, Then the last transaction refuses it and undoes the early members
    with pytest.raises(TooManyRequests):
        groups.create_chatgroup("alice", largest())
    assert len(list(Chatgroup.scan())) == 1
    assert {membership.chatgroup_id for membership in Membership.scan()} == {
        group.chatgroup_id for group in Chatgroup.scan()
    }
