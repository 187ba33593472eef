"""Faults: every AWS call of every operation fails in turn; state stays whole and a retry completes it.

A failure is injected at the botocore level (after botocore's own retries), so PynamoDB's
DynamoDB calls and the SQS calls fail exactly as an outage would make them.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from chatgroup.models import Chatgroup, InboxMessage, Membership, QuotaUsage, is_pending
from tests.conftest import reset_aws
from tests.integration.conftest import Invoke, Reply

Context = dict[str, str]


@dataclass(frozen=True)
class Scenario:
    name: str
    setup: Callable[[Invoke], Context]
    act: Callable[[Invoke, Context], Reply]
    done: Callable[[Context], bool]


class Outage:
    """Counts AWS calls and fails the one numbered `fail_at` (1-based) with a server error."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.fail_at = fail_at
        self.calls: list[str] = []

    def __call__(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            self.calls.append(operation)
            if len(self.calls) == self.fail_at:
                error = {"Error": {"Code": "InternalServerError", "Message": "injected fault"}}
                raise ClientError(error, operation)  # type: ignore[arg-type]
            return original(client, operation, params)

        return call


@contextmanager
def outage(monkeypatch: pytest.MonkeyPatch, fail_at: int | None = None) -> Iterator[Outage]:
    injector = Outage(fail_at)
    monkeypatch.setattr(BaseClient, "_make_api_call", injector(BaseClient._make_api_call))  # type: ignore[attr-defined]
    yield injector
    monkeypatch.undo()


def group_with_pending(invoke: Invoke, pending: str) -> Context:
    created = invoke("CreateChatgroupFunction", "create_chatgroup", "alice").body["chatgroup_id"]
    if pending == "application":
        invoke("CreateInboxMessageFunction", "inbox_create_application", "dave", {"chatgroup_id": created})
    if pending == "invitation":
        invoke("CreateInboxMessageFunction", "inbox_create_invitation", "bob", {"chatgroup_id": created})
    return {"chatgroup_id": created}


def members(context: Context) -> set[str]:
    return {membership.user_id for membership in Membership.query(context["chatgroup_id"])}


def live(context: Context) -> bool:
    return Chatgroup.count(context["chatgroup_id"]) == 1


def pending_of(recipient: str) -> list[InboxMessage]:
    return [message for message in InboxMessage.query(recipient) if is_pending(message.pending_key)]


def pending_slots(sender: str) -> set[str]:
    return {slot for usage in QuotaUsage.query(sender) for slot in usage.pending or ()}


SCENARIOS = [
    Scenario(
        "create",
        lambda invoke: {},
        lambda invoke, context: invoke("CreateChatgroupFunction", "create_chatgroup", "alice"),
        lambda context: Chatgroup.count() >= 1,
    ),
    Scenario(
        "create with 99 initial members",
        lambda invoke: {},
        lambda invoke, context: invoke(
            "CreateChatgroupFunction",
            "create_chatgroup",
            "alice",
            {"memberlist": ";".join(f"user{index:02d}" for index in range(99)), "capacity": 100},
        ),
        lambda context: [group.member_count for group in Chatgroup.scan()] == [100],
    ),
    Scenario(
        "apply",
        lambda invoke: group_with_pending(invoke, ""),
        lambda invoke, c: invoke("CreateInboxMessageFunction", "inbox_create_application", "dave", c),
        lambda context: len(pending_of("alice")) == 1,
    ),
    Scenario(
        "accept application",
        lambda invoke: group_with_pending(invoke, "application"),
        lambda invoke, c: invoke("PutChatgroupFunction", "put_application_accept", "alice", c),
        lambda context: "dave" in members(context) and pending_of("alice") == [],
    ),
    Scenario(
        "deny application",
        lambda invoke: group_with_pending(invoke, "application"),
        lambda invoke, c: invoke("PutChatgroupFunction", "put_application_deny", "alice", c),
        lambda context: "dave" not in members(context) and pending_of("alice") == [],
    ),
    Scenario(
        "accept invitation",
        lambda invoke: group_with_pending(invoke, "invitation"),
        lambda invoke, c: invoke("PutChatgroupFunction", "put_invitation_accept", "dave", c),
        lambda context: "dave" in members(context) and pending_of("dave") == [],
    ),
    Scenario(
        "withdraw application",
        lambda invoke: group_with_pending(invoke, "application"),
        lambda invoke, c: invoke("DeleteInboxMessageFunction", "inbox_delete_application", "dave", c),
        lambda context: pending_of("alice") == [] and not pending_slots("dave"),
    ),
    Scenario(
        "revoke invitation",
        lambda invoke: group_with_pending(invoke, "invitation"),
        lambda invoke, c: invoke("DeleteInboxMessageFunction", "inbox_delete_invitation", "alice", c),
        lambda context: pending_of("dave") == [] and not pending_slots("bob"),
    ),
    Scenario(
        "leave",
        lambda invoke: group_with_pending(invoke, ""),
        lambda invoke, c: invoke("PutChatgroupFunction", "put_leave", "bob", c),
        lambda context: "bob" not in members(context),
    ),
    Scenario(
        "kickout",
        lambda invoke: group_with_pending(invoke, ""),
        lambda invoke, c: invoke("DeleteChatgroupFunction", "delete_kickout", "alice", c),
        lambda context: "carol" not in members(context),
    ),
    Scenario(
        "update",
        lambda invoke: group_with_pending(invoke, ""),
        lambda invoke, c: invoke("PutChatgroupFunction", "put_update", "alice", c),
        lambda context: Chatgroup.get(context["chatgroup_id"]).name == "Back row crew",
    ),
    Scenario(
        "dismiss",
        lambda invoke: group_with_pending(invoke, "application"),
        lambda invoke, c: invoke("DeleteChatgroupFunction", "delete_dismiss", "alice", c),
        lambda context: not live(context) and members(context) == set() and pending_of("alice") == [],
    ),
]


def assert_whole() -> None:
    """No live group without its queue, no queue or member without a group, counts equal items within capacity."""
    queue_urls = boto3.client("sqs").list_queues().get("QueueUrls", [])
    queues = {url.rsplit("-", 1)[1].removesuffix(".fifo") for url in queue_urls}
    groups = {group.chatgroup_id: group for group in Chatgroup.scan()}
    assert queues <= set(groups), "a queue outlived its group"
    for group in groups.values():
        if group.dismissed_at is None:
            assert group.chatgroup_id in queues, "a live group has no queue"
            count = len(list(Membership.query(group.chatgroup_id)))
            assert group.member_count == count <= group.capacity
    orphans = {membership.chatgroup_id for membership in Membership.scan()} - set(groups)
    assert not orphans, "members of a group that does not exist were left behind"
    for message in InboxMessage.scan():
        if is_pending(message.pending_key):
            assert message.chatgroup_id in groups, "a pending message outlived its group"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.name)
def test_every_failed_aws_call_leaves_state_whole_and_a_retry_completes(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch, scenario: Scenario
) -> None:
    context = scenario.setup(invoke)
    with outage(monkeypatch) as counted:
        assert scenario.act(invoke, context).status == 200
    statuses = []
    for fail_at in range(1, len(counted.calls) + 1):
        reset_aws()
        context = scenario.setup(invoke)
        with outage(monkeypatch, fail_at):
            failed = scenario.act(invoke, context)
        statuses.append(int(failed.status))
        assert failed.status in (200, 503), failed.body
        assert failed.status == 200 or "retry" in failed.body["reason"]
        assert_whole()
        retried = scenario.act(invoke, context)
        assert retried.status in (200, 404, 409), retried.body
        assert scenario.done(context), f"{scenario.name} not completed after call {fail_at} failed"
        assert_whole()
    print(f"{scenario.name}: calls {counted.calls}, status when each failed {statuses}")
    assert 503 in statuses
