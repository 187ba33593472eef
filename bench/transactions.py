"""`python -m bench.transactions`: what one TransactWriteItems costs in moto, as tables grow, before and after.

Before: moto 5.2.5's own transact_write_items, which deep-copies every table a transaction
names. After: devstack.faithful_aws's, which copies only the items it changes. Both run in this
process, through boto3 and moto's in-process mock (the full request path: parsing, dispatch,
serializing), against the same tables, alternately call by call; the time is this process's
CPU time, so that other work on the machine weighs on neither. The transaction is an accept's
core: a conditional counter update on the group and a conditional put of a membership item,
committed or cancelled (the member exists).
"""

import argparse
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends

from bench.report import table
from devstack import faithful_aws
from devstack.template import load_template, table_definitions

REGION = "us-east-1"
GROUP = "bench-group"
Implementation = Callable[[DynamoDBBackend, list[dict[str, Any]]], None]
IMPLEMENTATIONS: dict[str, Implementation] = {
    "moto": DynamoDBBackend.transact_write_items,
    "faithful": faithful_aws.transact_write_items,
}


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.transactions", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,50000", help="membership items in the table")
    parser.add_argument("--rounds", type=int, default=7, help="calls of each implementation and outcome per size")
    return parser.parse_args()


@contextmanager
def using(implementation: Implementation) -> Iterator[None]:
    original = DynamoDBBackend.transact_write_items
    DynamoDBBackend.transact_write_items = implementation  # type: ignore[method-assign, assignment]
    try:
        yield
    finally:
        DynamoDBBackend.transact_write_items = original  # type: ignore[method-assign]


def fill(backend: DynamoDBBackend, size: int) -> None:
    """`size` membership items in all, in groups of 100, written straight into moto (no request each)."""
    for index in range(size):
        backend.put_item(
            "MembershipTable",
            {
                "chatgroup_id": {"S": f"filler-{index // 100}"},
                "user_id": {"S": f"user-{index}"},
                "joined_at": {"N": str(index)},
            },
        )


def join(user: str) -> list[dict[str, Any]]:
    return [
        {
            "Update": {
                "TableName": "ChatgroupTable",
                "Key": {"chatgroup_id": {"S": GROUP}},
                "UpdateExpression": "ADD member_count :one",
                "ConditionExpression": "member_count < #capacity",
                "ExpressionAttributeNames": {"#capacity": "capacity"},
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        },
        {
            "Put": {
                "TableName": "MembershipTable",
                "Item": {"chatgroup_id": {"S": GROUP}, "user_id": {"S": user}, "joined_at": {"N": "0"}},
                "ConditionExpression": "attribute_not_exists(user_id)",
            }
        },
    ]


def timed(client: Any, transaction: list[dict[str, Any]], committed: bool) -> float:
    start = time.process_time()
    try:
        client.transact_write_items(TransactItems=transaction)
    except client.exceptions.TransactionCanceledException:
        if committed:
            raise
    else:
        if not committed:
            raise AssertionError("a transaction meant to be cancelled committed")
    return time.process_time() - start


def measure(size: int, rounds: int) -> dict[tuple[str, str], float]:
    """Median CPU milliseconds per (implementation, outcome), the implementations taking turns call by call."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        for definition in table_definitions(load_template()).values():
            if definition["TableName"] in ("ChatgroupTable", "MembershipTable"):
                client.create_table(**definition)
        client.put_item(
            TableName="ChatgroupTable",
            Item={"chatgroup_id": {"S": GROUP}, "member_count": {"N": "0"}, "capacity": {"N": "1000000"}},
        )
        fill(dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION], size)
        client.put_item(TableName="MembershipTable", Item=join("existing")[1]["Put"]["Item"])
        samples: dict[tuple[str, str], list[float]] = {}
        for round_ in range(rounds):
            for name, implementation in IMPLEMENTATIONS.items():
                with using(implementation):
                    committed = timed(client, join(f"{name}-{round_}"), committed=True)
                    cancelled = timed(client, join("existing"), committed=False)
                samples.setdefault((name, "committed"), []).append(committed)
                samples.setdefault((name, "cancelled"), []).append(cancelled)
    return {key: statistics.median(values) * 1000 for key, values in samples.items()}


def main() -> None:
    options = parse()
    rows = []
    for size in (int(size) for size in options.sizes.split(",")):
        medians = measure(size, options.rounds)
        for outcome in ("committed", "cancelled"):
            before, after = medians[("moto", outcome)], medians[("faithful", outcome)]
            rows.append([size, outcome, f"{before:.2f}", f"{after:.2f}", f"{before / after:.1f}x"])
    print(table(["items", "outcome", "moto CPU ms", "faithful CPU ms", "ratio"], rows))


if __name__ == "__main__":
    main()
