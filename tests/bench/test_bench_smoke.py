"""The bench (`make bench`) on a tiny setting: structural facts that must hold; no timing is asserted."""

import statistics
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench import coldstart, operations, report, writecost
from bench.__main__ import write_cost_part
from bench.awscalls import Recorder
from bench.itemsize import item_size, units
from bench.stack import Api, raw_client

CALLS = {
    "create": ["dynamodb.GetItem", "sqs.CreateQueue", "dynamodb.TransactWriteItems"],
    "create, Idempotency-Key": [
        "dynamodb.PutItem",
        "dynamodb.GetItem",
        "sqs.CreateQueue",
        "dynamodb.TransactWriteItems",
        "dynamodb.UpdateItem",
    ],
    "create, replayed key": ["dynamodb.PutItem"],
    "get": ["dynamodb.GetItem", "dynamodb.Query"],
    "apply": ["dynamodb.GetItem", "dynamodb.TransactWriteItems"],
    "accept": ["dynamodb.GetItem", "dynamodb.TransactWriteItems"],
    "deny": ["dynamodb.GetItem", "dynamodb.TransactWriteItems"],
    "invite": ["dynamodb.GetItem", "dynamodb.TransactWriteItems"],
    "accept invitation": ["dynamodb.GetItem", "dynamodb.TransactWriteItems"],
    "inbox list": ["dynamodb.Query"],
    "list mine": ["dynamodb.Query", "dynamodb.BatchGetItem"],
    "list event": ["dynamodb.Query"],
    "leave": ["dynamodb.GetItem", "dynamodb.TransactWriteItems"],
    "kickout": ["dynamodb.GetItem", "dynamodb.TransactWriteItems"],
    "update": ["dynamodb.GetItem", "dynamodb.TransactWriteItems"],
    "dismiss": [
        "dynamodb.GetItem",
        "dynamodb.Query",
        "dynamodb.TransactWriteItems",
        "dynamodb.Query",
        "dynamodb.BatchWriteItem",
        "dynamodb.BatchWriteItem",
        "dynamodb.BatchGetItem",
        "dynamodb.TransactWriteItems",
        "sqs.DeleteQueue",
        "dynamodb.DeleteItem",
    ],
}
"""The AWS calls each operation of the bench's flow makes today, in order: one more, one fewer or another fails
the test. A change that alters them updates this table and, through `make bench`, docs/BENCHMARKS.md."""


@pytest.fixture
def recorder(aws: None, moto_server: str) -> Iterator[Recorder]:
    counting = Recorder(raw_client("dynamodb", moto_server))
    with counting.installed():
        yield counting


def test_every_operation_makes_exactly_its_known_aws_calls(recorder: Recorder) -> None:
    results = operations.run_flow(Api(), recorder)

    made = {result.name: [f"{call.service}.{call.operation}" for call in result.calls] for result in results}
    assert made == CALLS
    assert all(Counter(made[result.name]) >= Counter(result.minimum.calls) for result in results)
    writes = {result.name: result.wcu for result in results}
    assert writes["get"] == writes["inbox list"] == 0
    assert writes["accept"] > 0


def test_write_cost_of_a_join_a_leave_and_a_kickout_is_the_same_in_a_bigger_group(
    recorder: Recorder, moto_server: str
) -> None:
    costs = writecost.run(Api(), recorder, raw_client("dynamodb", moto_server), (2, 3))

    assert {(cost.operation, cost.size) for cost in costs} == {
        (op, size) for op in writecost.OPERATIONS for size in (2, 3)
    }
    assert writecost.constant_in_size(costs) == dict.fromkeys(writecost.OPERATIONS, True)
    assert all(cost.wcu >= 2 for cost in costs), "a transactional write costs at least 2 WCU"
    assert "| join |" in report.write_cost(write_cost_part(costs, (2, 3)))


def test_item_size_counts_names_and_values_as_dynamodb_bills_them() -> None:
    item: dict[str, dict[str, Any]] = {"id": {"S": "abc"}, "n": {"N": "1000"}, "flag": {"BOOL": True}}

    assert item_size(item) == (2 + 3) + (1 + 2) + (4 + 1)
    assert [units(size) for size in (0, 1, 1024, 1025)] == [1, 1, 1, 2]


def test_cold_start_times_a_function_beside_the_baseline_and_breaks_its_imports_down() -> None:
    python = Path(sys.executable)
    targets = [coldstart.baseline_target(), *coldstart.function_targets(only=("GetChatgroupFunction",))]

    summaries = coldstart.summarize(coldstart.sample(python, targets, rounds=2, warm_up=False))
    breakdown = coldstart.import_breakdown(python, targets[1], runs=1)

    baseline, function = summaries
    assert [baseline.name, function.name] == ["baseline", "GetChatgroupFunction"]
    assert all(len(summary.samples_ms) == 2 and min(summary.samples_ms) > 0 for summary in summaries)
    # The function's ratio is over the baseline of the same run, not over itself or another figure
    assert function.baseline_ms == statistics.median(baseline.samples_ms)
    assert function.ratio == statistics.median(function.samples_ms) / statistics.median(baseline.samples_ms)
    assert function.samples_ms != baseline.samples_ms
    assert {"chatgroup + app (ours)", "pydantic", "pynamodb"} <= set(breakdown["by_package_ms"])
    assert any(entry["importer"].startswith("chatgroup.") for entry in breakdown["our_imports"])
