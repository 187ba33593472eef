"""`make orphan-queues` against the embedded AWS: a queue whose group is gone is found, and deleted when asked."""

import os
import time

import boto3
import pytest

from chatgroup.models import Chatgroup
from chatgroup.settings import get_settings
from scripts import orphan_queues
from scripts.orphan_queues import Place, find_orphans

PREFIX = "chatgroup-dev"


def place() -> Place:
    return Place(table="ChatgroupTable", prefix=PREFIX, session=boto3.Session())


def queue_urls() -> set[str]:
    return set(boto3.client("sqs").list_queues().get("QueueUrls", []))


def orphan(new_group) -> str:
    """A group whose item is gone but whose queue is not, as a dismissal stopped half way leaves it."""
    group = new_group(creator="alice")
    Chatgroup.get(group.chatgroup_id).delete()
    return str(group.queue_url)


def test_a_queue_whose_group_is_gone_is_an_orphan_and_a_live_groups_queue_is_not(new_group) -> None:
    # Given a live group, a group whose item is gone, and a queue under another prefix
    live = new_group(creator="bob")
    lost = orphan(new_group)
    boto3.client("sqs").create_queue(QueueName="other-stack-0f8b.fifo", Attributes={"FifoQueue": "true"})

    # When the stack's orphans are looked for
    findings = find_orphans(place(), min_age_seconds=0)

    # Then only the lost group's queue is one, out of the stack's two queues
    assert [queue.url for queue in findings.orphans] == [lost]
    assert findings.queues == 2
    assert live.queue_url in queue_urls()


def test_a_queue_of_a_stack_whose_prefix_extends_ours_is_not_ours(new_group) -> None:
    # Given a queue of another stack whose prefix starts with this stack's (chatgroup-dev-eu beside chatgroup-dev)
    prefix = get_settings().queue_name_prefix
    other = f"{prefix}-eu-0123456789abcdef0123456789abcdef.fifo"
    boto3.client("sqs").create_queue(QueueName=other, Attributes={"FifoQueue": "true"})

    # When this stack's orphans are looked for
    findings = find_orphans(place(), min_age_seconds=0)

    # Then that queue is neither counted nor taken for an orphan of a group "eu-0123…"
    assert (findings.orphans, findings.queues) == ([], 0)


def test_a_dismissal_under_way_keeps_its_queue(new_group) -> None:
    # Given a group marked dismissed whose item, and so queue, are still there
    group = new_group(creator="alice")
    Chatgroup.get(group.chatgroup_id).update([Chatgroup.dismissed_at.set(1)])

    # When orphans are looked for
    findings = find_orphans(place(), min_age_seconds=0)

    # Then its queue is not one: the dismissal deletes it
    assert findings.orphans == []


def test_a_queue_younger_than_the_grace_period_is_left_alone(new_group) -> None:
    # Given a queue without a group, created a moment ago (its group may be being created)
    lost = orphan(new_group)

    # When orphans at least 15 minutes old are looked for
    findings = find_orphans(place(), min_age_seconds=15 * 60)

    # Then it is reported as too young, not as an orphan
    assert findings.orphans == []
    assert [queue.url for queue in findings.too_young] == [lost]


def test_the_same_queue_is_an_orphan_once_old_enough(new_group) -> None:
    lost = orphan(new_group)

    findings = find_orphans(place(), min_age_seconds=15 * 60, now=time.time() + 16 * 60)

    assert [queue.url for queue in findings.orphans] == [lost]


def test_the_command_lists_without_deleting(new_group, capsys: pytest.CaptureFixture[str]) -> None:
    # Given an orphan queue
    lost = orphan(new_group)

    # When the command runs without --delete
    status = orphan_queues.main(["--table", "ChatgroupTable", "--prefix", PREFIX, "--min-age-minutes", "0"])

    # Then it names the queue and its group, and the queue is still there
    output = capsys.readouterr().out
    assert status == 0
    assert lost in output
    assert "1 orphan queues of 1 found" in output
    assert lost in queue_urls()


def test_the_command_deletes_the_orphans_only_when_asked(new_group, capsys: pytest.CaptureFixture[str]) -> None:
    # Given an orphan queue and a live group's queue
    lost = orphan(new_group)
    live = new_group(creator="bob")

    # When the command runs with --delete
    status = orphan_queues.main(["--table", "ChatgroupTable", "--prefix", PREFIX, "--min-age-minutes", "0", "--delete"])

    # Then the orphan is gone and the live group's queue is not
    assert status == 0
    assert "1 orphan queues of 2 deleted" in capsys.readouterr().out
    assert lost not in queue_urls()
    assert live.queue_url in queue_urls()


def test_the_command_reads_the_running_local_stack(new_group, tmp_path, monkeypatch, capsys) -> None:
    # Given a stack file naming the embedded AWS, as `make run` writes it, and an orphan queue there
    from devstack.stackfile import StackInfo
    from tests.conftest import AWS_ENDPOINT

    StackInfo("http://api", AWS_ENDPOINT, "us-east-1", "pool", "client", {}, pid=os.getpid()).write(
        tmp_path / "stack.json"
    )
    monkeypatch.setenv("STACK_FILE", str(tmp_path / "stack.json"))
    lost = orphan(new_group)

    # When the command runs with --local
    status = orphan_queues.main(["--local", "--min-age-minutes", "0"])

    # Then it finds the orphan there
    assert status == 0
    assert lost in capsys.readouterr().out
