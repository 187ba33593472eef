"""The bench (`make bench`) on a tiny setting: structural facts that must hold; no timing is asserted."""

import json
import statistics
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient

from bench import coldstart, costs, fanout, firstcall, operations, report, writecost
from bench.__main__ import write_cost_part
from bench.awscalls import Recorder
from bench.itemsize import item_size, read_units, units
from bench.stack import Api, BenchError
from devstack.aws import dynamodb
from devstack.template import functions, load_template

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
    "accept": ["dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.TransactWriteItems"],
    "deny": ["dynamodb.GetItem", "dynamodb.TransactWriteItems"],
    "invite": ["dynamodb.GetItem", "dynamodb.TransactWriteItems"],
    "accept invitation": ["dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.TransactWriteItems"],
    "inbox list": ["dynamodb.Query"],
    "list mine": ["dynamodb.Query", "dynamodb.BatchGetItem"],
    "list event": ["dynamodb.Query"],
    "leave": ["dynamodb.GetItem", "dynamodb.TransactWriteItems"],
    "kickout": ["dynamodb.GetItem", "dynamodb.GetItem", "dynamodb.TransactWriteItems"],
    "update": ["dynamodb.GetItem", "dynamodb.TransactWriteItems"],
    "send": ["dynamodb.GetItem", "dynamodb.TransactWriteItems"],
    "send, resent client_msg_id": ["dynamodb.GetItem", "dynamodb.TransactWriteItems"],
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


def answered_here(send: Callable[..., Any]) -> Callable[..., Any]:
    """@connections stand-in: a PostToConnection is answered at once (the template's callback URL is in AWS);
    every other call goes on."""

    def call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        return {} if operation == "PostToConnection" else send(client, operation, params)

    return call


@pytest.fixture
def recorder(aws: None, moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    """Counts every call, the fan-out's posts included (they reach the stand-in after being counted)."""
    monkeypatch.setattr(BaseClient, "_make_api_call", answered_here(BaseClient._make_api_call))  # type: ignore[attr-defined]
    counting = Recorder(dynamodb(moto_server))
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
    measured = writecost.run(Api(), recorder, dynamodb(moto_server), (2, 3))

    assert {(cost.operation, cost.size) for cost in measured} == {
        (op, size) for op in writecost.OPERATIONS for size in (2, 3)
    }
    assert writecost.constant_in_size(measured) == dict.fromkeys(writecost.OPERATIONS, True)
    assert all(cost.wcu >= 2 for cost in measured), "a transactional write costs at least 2 WCU"
    assert "| join " in report.write_cost(write_cost_part(measured, (2, 3)))


def test_fan_out_of_a_message_makes_one_post_per_connected_member_and_its_known_reads(
    recorder: Recorder, moto_server: str
) -> None:
    # Given groups of 3 and 150 connected members (150: two BatchGetItem of at most 100 keys)
    # When a member sends, one message per stream batch, and then five in one batch
    rows = [row.as_dict() for row in fanout.run(Api(), recorder, dynamodb(moto_server), moto_server, (3, 150), 2)]

    # Then each message makes the minimum's calls plus the removals' Query, and five in a batch share the posts
    small, large, batched = rows
    assert small["calls"] == {
        "apigatewaymanagementapi.PostToConnection": 3,
        "dynamodb.BatchGetItem(ConnectionsTable)": 1,
        "dynamodb.Query(MembershipTable)": 1,
        "dynamodb.Query(TimelineTable)": 1,
    }
    assert large["calls"]["dynamodb.BatchGetItem(ConnectionsTable)"] == 2
    assert large["calls"]["apigatewaymanagementapi.PostToConnection"] == 150
    assert all(row["above_minimum"] == {"dynamodb.Query(TimelineTable)": 1} for row in rows)
    assert batched["messages_per_batch"] == 5
    assert batched["calls"]["apigatewaymanagementapi.PostToConnection"] == 150
    assert batched["calls_per_message"] == large["calls_per_message"] / 5
    # And read units follow DynamoDB's rules: half a unit per connections key, each Query at least one unit
    assert small["read_units_per_message"] == 1 + 1 + 3 * 0.5
    assert large["read_units_per_message"] >= 150 * 0.5 + 2
    assert small["samples"] == 2
    assert small["p50_ms"] > 0
    assert "150" in report.fan_out(rows)
    per_message = {row["members"]: sum(costs.per_message(row).values()) for row in rows[:2]}
    assert per_message[150] > per_message[3] > costs.PRICES["rest_request"].usd


def test_item_size_counts_names_and_values_as_dynamodb_bills_them() -> None:
    item: dict[str, dict[str, Any]] = {"id": {"S": "abc"}, "n": {"N": "1000"}, "flag": {"BOOL": True}}

    assert item_size(item) == (2 + 3) + (1 + 2) + (4 + 1)
    assert [units(size) for size in (0, 1, 1024, 1025)] == [1, 1, 1, 2]
    assert read_units([100, 5000], consistent=False, per_item=True) == 0.5 + 1.0
    assert read_units([3000, 3000], consistent=True, per_item=False) == 2


@dataclass(frozen=True)
class ColdRun:
    """Two interleaved rounds of the baseline, both floors and GetChatgroup, with each non-baseline's breakdown."""

    samples: coldstart.Samples
    breakdowns: dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def cold_run(moto_server: str) -> ColdRun:
    """One run for the tests below: each cold start costs a fresh interpreter (the scenario resets the AWS)."""
    python = Path(sys.executable)
    with firstcall.scenario(moto_server) as scenario:
        overrides = scenario.environment()
        targets = [
            coldstart.baseline_target(overrides),
            *coldstart.floor_targets(overrides),
            *coldstart.function_targets(only=("GetChatgroupFunction",), overrides=overrides),
        ]
        inputs = coldstart.round_inputs(scenario, targets)
        # Each child must answer its request with a 200 to count
        samples = coldstart.sample(python, targets, 2, inputs, warm_up=False)
        breakdowns = {target.name: coldstart.import_breakdown(python, target, 1, inputs) for target in targets[1:]}
    return ColdRun(samples, breakdowns)


def test_cold_start_times_a_function_and_its_first_request_beside_the_baseline(cold_run: ColdRun) -> None:
    summaries = {summary.name: summary for summary in coldstart.summarize(cold_run.samples)}
    breakdown = cold_run.breakdowns["GetChatgroupFunction"]

    baseline, function = summaries["baseline"], summaries["GetChatgroupFunction"]
    assert all(len(summary.samples_ms) == 2 and min(summary.samples_ms) > 0 for summary in summaries.values())
    # The function's ratio is over the baseline of the same run, not over itself or another figure
    assert function.baseline_ms == statistics.median(baseline.samples_ms)
    assert function.ratio == statistics.median(function.samples_ms) / statistics.median(baseline.samples_ms)
    assert function.samples_ms != baseline.samples_ms
    assert "floor_ratio" not in function.as_dict()
    assert {"chatgroup + app (ours)", "pydantic", "pynamodb"} <= set(breakdown["by_package_ms"])
    assert any(entry["importer"].startswith("chatgroup.") for entry in breakdown["our_imports"])


def test_a_rest_function_is_also_timed_against_the_powertools_floor_with_validation(cold_run: ColdRun) -> None:
    # Given the two floors (Powertools' event handler without and with validation) timed beside a REST function
    samples = cold_run.samples

    # When the run is summed up with GetChatgroup named as a REST function
    summaries = {summary.name: summary for summary in coldstart.summarize(samples, rest=["GetChatgroupFunction"])}

    # Then the function's floor ratio is over the validated floor of the same run
    floor = statistics.median(samples.wall_ms[coldstart.FLOOR_VALIDATED])
    function = summaries["GetChatgroupFunction"].as_dict()
    assert function["floor_ratio"] == round(statistics.median(samples.wall_ms["GetChatgroupFunction"]) / floor, 3)
    assert "floor_ratio" not in summaries[coldstart.FLOOR].as_dict()
    # And only the validated floor brings pydantic, and neither runs code of ours
    unvalidated, validated = (
        set(cold_run.breakdowns[name]["by_package_ms"]) for name in (coldstart.FLOOR, coldstart.FLOOR_VALIDATED)
    )
    assert "pydantic" in validated
    assert "pydantic" not in unvalidated
    assert "chatgroup + app (ours)" not in validated | unvalidated


def test_every_function_of_the_template_has_a_first_request_to_time(aws: None, moto_server: str) -> None:
    # Given the first-call scenario's round
    with firstcall.scenario(moto_server) as scenario:
        invocations = scenario.next_round()

    # Then it holds an event for every function of template.yaml and the floor, so `make bench` can time each one
    assert set(invocations) == set(functions(load_template())) | {firstcall.FLOOR}


def test_a_cold_start_whose_first_request_is_refused_is_not_counted(aws: None, moto_server: str) -> None:
    # Given GetChatgroup's first request asks for a group that does not exist (a cheap 404)
    python = Path(sys.executable)
    with firstcall.scenario(moto_server) as scenario:
        target = coldstart.function_targets(only=("GetChatgroupFunction",), overrides=scenario.environment())[0]
        event = json.loads(coldstart.round_inputs(scenario, [target])()[target.name])
        missing = "0" * 32
        event["event"] |= {"path": f"/api/v1/chatgroup/get/{missing}", "pathParameters": {"chatgroup_id": missing}}

        # When it is timed, Then the bench stops rather than time a short cut
        with pytest.raises(BenchError, match="expected status 200"):
            coldstart.time_once(python, target, json.dumps(event))
