"""Timeline stream batches, delivered in seq order per group, with partial failures Lambda can retry.

DynamoDB Streams keeps each item's records in order, and a group's timeline items share its
partition key, so a batch holds each group's records in seq order. Lambda retries a batch from
the lowest sequence number reported failed; reporting a record *and every later record of its
group* as failed means a retry never delivers seq n+1 of a group before seq n.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

from chatgroup.models import TimelineItem
from chatgroup.observability import logger


@dataclass(frozen=True)
class Record:
    """A timeline insert as the stream delivered it."""

    sequence_number: str
    item: TimelineItem


GroupDelivery = Callable[[str, list[Record]], int | None]
"""Delivers one group's records in order; returns the index of the first it could not deliver, or None."""


def records_of(event: Mapping[str, Any]) -> list[Record]:
    return [
        Record(record["dynamodb"]["SequenceNumber"], TimelineItem.from_raw_data(record["dynamodb"]["NewImage"]))
        for record in event.get("Records", [])
    ]


def removed_keys(event: Mapping[str, Any], key: str) -> list[str]:
    """The string key `key` of each item a stream batch reports deleted (a KEYS_ONLY stream suffices)."""
    return [
        record["dynamodb"]["Keys"][key]["S"] for record in event.get("Records", []) if record["eventName"] == "REMOVE"
    ]


def deliver_in_group_order(event: Mapping[str, Any], deliver: GroupDelivery) -> dict[str, list[dict[str, str]]]:
    """Run `deliver` once per group of the batch; the `batchItemFailures` answer for Lambda.

    An AWS dependency failing for a group fails all of that group's records (they are retried);
    any other exception is a bug and fails the whole invocation, which Lambda bisects.
    """
    groups: dict[str, list[Record]] = {}
    for record in records_of(event):
        groups.setdefault(record.item.chatgroup_id, []).append(record)
    failed: list[str] = []
    for chatgroup_id, records in groups.items():
        try:
            first_undelivered = deliver(chatgroup_id, records)
        except (BotoCoreError, ClientError, PynamoDBException):
            logger.exception("Group's records not delivered", extra={"chatgroup_id": chatgroup_id})
            first_undelivered = 0
        if first_undelivered is not None:
            failed += [record.sequence_number for record in records[first_undelivered:]]
    return {"batchItemFailures": [{"itemIdentifier": sequence_number} for sequence_number in failed]}
