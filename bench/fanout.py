"""The fan-out: AWS calls and read capacity per chat message in groups of N connected members, and its latency.

A group of N members is built straight into the tables (`writecost.build_group`), each member
with one open connection in the connections table. A member sends a message through the
SendMessage handler; the local stream driver (`devstack.streams`, as `make run` drives it) reads
the insert from the embedded DynamoDB's stream and invokes the FanOut handler in this process,
whose calls are counted and billed (`bench.awscalls`). Its PostToConnection calls go to the
embedded AWS, which answers 200 without a socket behind it.

Latency is from just before the send to the fan-out handler's return (every post answered):
a regression figure of this machine, moto and one process, not a prediction for AWS.
"""

import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.awscalls import Call, Recorder
from bench.itemsize import item_size
from bench.stack import Api, BenchError, function_environment, loaded_functions
from bench.writecost import BATCH, _batch_write, _member, build_group
from devstack.streams import StreamDriver, stream_mappings
from devstack.template import load_template

FUNCTION = "FanOutFunction"
MESSAGES = "/api/v1/chatgroup/{chatgroup_id}/messages"
CONNECTIONS_PER_BATCH_GET = 100
"""BatchGetItem reads at most 100 keys."""


@dataclass
class Delivery:
    """What one fan-out invocation did: its calls, and when it returned."""

    calls: list[Call] = field(default_factory=list)
    returned_at: float = 0.0


@dataclass(frozen=True)
class FanOutResult:
    members: int
    messages_per_batch: int
    calls: Counter[str]
    read_units: float
    minimum_calls: Counter[str]
    minimum_read_units: float
    latencies_ms: list[float]
    send: list[Call]

    def as_dict(self) -> dict[str, Any]:
        per_message = self.messages_per_batch
        return {
            "members": self.members,
            "messages_per_batch": per_message,
            "calls_per_message": round(sum(self.calls.values()) / per_message, 2),
            "minimum_calls_per_message": round(sum(self.minimum_calls.values()) / per_message, 2),
            "calls": dict(sorted(self.calls.items())),
            "minimum_calls": dict(sorted(self.minimum_calls.items())),
            "above_minimum": dict(sorted((self.calls - self.minimum_calls).items())),
            "read_units_per_message": round(self.read_units / per_message, 2),
            "minimum_read_units_per_message": round(self.minimum_read_units / per_message, 2),
            "p50_ms": round(statistics.median(self.latencies_ms), 1) if self.latencies_ms else None,
            "p99_ms": round(_p99(self.latencies_ms), 1) if self.latencies_ms else None,
            "samples": len(self.latencies_ms),
            "send_calls": [call.label for call in self.send],
            "send_write_units": sum(write.total for call in self.send for write in call.writes),
            "send_read_units": sum(call.read_units for call in self.send),
        }


def _p99(values: list[float]) -> float:
    """The 99th percentile (with fewer than 100 samples, close to the largest)."""
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def minimum(members: int, membership_bytes: int, messages: int) -> tuple[Counter[str], float]:
    """The fewest calls and read units a stream batch of `messages` needs: one consistent membership read,
    one BatchGetItem per 100 members (eventually consistent, each item under 4 KB), one post per connection."""
    batch_gets = -(-members // CONNECTIONS_PER_BATCH_GET)
    calls = Counter(
        {
            "dynamodb.Query(MembershipTable)": 1,
            "dynamodb.BatchGetItem(ConnectionsTable)": batch_gets,
            "apigatewaymanagementapi.PostToConnection": members,
        }
    )
    return calls, max(1, -(-membership_bytes // 4096)) + 0.5 * members


def connect_everyone(dynamodb: Any, members: list[str]) -> None:
    """One open connection per member, written as `$connect` writes it (user -> {connection id: opened ms})."""
    table = function_environment()["CONNECTIONS_TABLE"]
    opened = int(time.time() * 1000)
    items = [
        {
            "PutRequest": {
                "Item": {
                    "user_id": {"S": user},
                    "connections": {"M": {f"conn-{user}": {"N": str(opened)}}},
                    "expires_at": {"N": str(opened // 1000 + 7200)},
                }
            }
        }
        for user in members
    ]
    for start in range(0, len(items), BATCH):
        _batch_write(dynamodb, {table: items[start : start + BATCH]})


def _membership_bytes(dynamodb: Any, group: str) -> int:
    table = function_environment()["MEMBERSHIP_TABLE"]
    pages = dynamodb.get_paginator("query").paginate(
        TableName=table,
        KeyConditionExpression="chatgroup_id = :g",
        ExpressionAttributeValues={":g": {"S": group}},
        ConsistentRead=True,
    )
    return sum(item_size(item) for page in pages for item in page["Items"])


def _driver(endpoint: str, recorder: Recorder, deliveries: list[Delivery]) -> StreamDriver:
    """The template's stream mapping of the fan-out, its invocations counted one by one."""
    function = loaded_functions()[FUNCTION]

    def invoke(event: dict[str, Any]) -> Any:
        delivery = Delivery()
        with recorder.operation() as calls:
            response = function.invoke(event)
        delivery.calls, delivery.returned_at = list(calls), time.perf_counter()
        deliveries.append(delivery)
        if response.get("batchItemFailures"):
            raise BenchError(f"the fan-out failed to deliver: {response}")
        return response

    mappings = [mapping for mapping in stream_mappings(load_template()) if mapping.function == FUNCTION]
    driver = StreamDriver(endpoint, mappings, {FUNCTION: invoke})
    driver.start_at_latest()
    return driver


def measure(
    api: Api, recorder: Recorder, dynamodb: Any, endpoint: str, members: int, messages: int, per_batch: int
) -> FanOutResult:
    """`messages` messages into a fresh group of `members` connected members, `per_batch` per stream batch."""
    group = build_group(api, dynamodb, members)
    everyone = ["creator", *(_member(index) for index in range(1, members))]
    connect_everyone(dynamodb, everyone)
    deliveries: list[Delivery] = []
    driver = _driver(endpoint, recorder, deliveries)
    path = MESSAGES.format(chatgroup_id=group)
    with recorder.operation() as send:
        api.ok("POST", path, "creator", {"text": "A first message, untimed: the fan-out's first call warms it up"})
    driver.drain()
    latencies = []
    for round_ in range(messages // per_batch):
        senders = [everyone[(round_ * per_batch + n) % members] for n in range(per_batch)]
        started = time.perf_counter()
        for n, sender in enumerate(senders):
            api.ok("POST", path, sender, {"text": f"Message {round_}.{n} from {sender}"})
        before = len(deliveries)
        driver.drain()
        if len(deliveries) != before + 1:
            raise BenchError(f"{per_batch} messages took {len(deliveries) - before} fan-out invocations, not one")
        latencies.append((deliveries[-1].returned_at - started) * 1000)
    first = deliveries[-1]
    calls = Counter(call.label for call in first.calls)
    least, least_units = minimum(members, _membership_bytes(dynamodb, group), per_batch)
    return FanOutResult(
        members=members,
        messages_per_batch=per_batch,
        calls=calls,
        read_units=sum(call.read_units for call in first.calls),
        minimum_calls=least,
        minimum_read_units=least_units,
        latencies_ms=latencies if per_batch == 1 else [],
        send=list(send),
    )


def run(
    api: Api, recorder: Recorder, dynamodb: Any, endpoint: str, sizes: tuple[int, ...], messages: int
) -> list[FanOutResult]:
    """Each size one message per stream batch, timed `messages` times (a tenth of that from 1,000 members on, at
    least 3: moto answers the posts one at a time), then the largest with five messages per stream batch."""
    results = [
        measure(api, recorder, dynamodb, endpoint, size, messages if size < 1000 else max(3, messages // 10), 1)
        for size in sizes
    ]
    results.append(measure(api, recorder, dynamodb, endpoint, sizes[-1], 5, 5))
    return results
