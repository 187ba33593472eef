"""The bench (`make bench`) on a tiny setting: structural facts that must hold; no timing is asserted."""

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench import coldstart, operations, report, writecost
from bench.__main__ import write_cost_part
from bench.awscalls import Recorder
from bench.itemsize import item_size, units
from bench.stack import Api, raw_client

FLOW = {"create", "get", "apply", "accept", "deny", "invite", "accept invitation", "leave", "kickout", "update"}


@pytest.fixture
def recorder(aws: None, moto_server: str) -> Iterator[Recorder]:
    counting = Recorder(raw_client("dynamodb", moto_server))
    with counting.installed():
        yield counting


def test_every_operation_makes_at_least_the_calls_it_needs(recorder: Recorder) -> None:
    results = operations.run_flow(Api(), recorder)

    names = {result.name for result in results}
    assert names >= FLOW | {"dismiss", "inbox list"}
    for result in results:
        assert result.count >= len(result.minimum.calls), (result.name, [call.label for call in result.calls])
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

    assert [summary.name for summary in summaries] == ["baseline", "GetChatgroupFunction"]
    assert summaries[0].ratio == 1
    assert all(len(summary.samples_ms) == 2 and min(summary.samples_ms) > 0 for summary in summaries)
    assert {"chatgroup + app (ours)", "pydantic", "pynamodb"} <= set(breakdown["by_package_ms"])
    assert any(entry["importer"].startswith("chatgroup.") for entry in breakdown["our_imports"])
