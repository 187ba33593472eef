"""Lambda's DynamoDB stream event source mappings, driven from the embedded DynamoDB's stream.

Each `Type: DynamoDB` event of a function in template.yaml becomes a mapping with its own
position in the table's stream, read with GetShardIterator/GetRecords as Lambda's pollers read
it. A mapping honours what the template sets: FilterCriteria (records that match no pattern
are skipped), BatchSize, FunctionResponseTypes ReportBatchItemFailures (a retry starts at the
lowest failed record), BisectBatchOnFunctionError (a failing batch is halved), MaximumRetryAttempts
and MaximumRecordAgeInSeconds (then the batch's description goes to the OnFailure queue and the
mapping moves on). One batch at a time per mapping: ParallelizationFactor 1.

A fresh iterator is asked for on every poll, after the last record handled: moto's iterators
hold on to the shard they were made for, so a reader that kept one would miss records if the
shard object were replaced.
"""

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import boto3

from devstack.aws import FAKE_CREDENTIALS, REGION
from devstack.template import UnsupportedTemplate, resources_of_type

logger = logging.getLogger("devstack.streams")
Invoke = Callable[[dict[str, Any]], Any]
IDLE_POLL_SECONDS = 0.05
RETRY_DELAY_SECONDS = 0.2
"""Locally a failed batch is retried after this; Lambda backs off for longer."""


@dataclass(frozen=True)
class StreamMapping:
    """One `Type: DynamoDB` event of a function: which table's stream, and how its batches are made."""

    function: str
    table: str
    batch_size: int = 100
    patterns: tuple[dict[str, Any], ...] = ()
    report_failures: bool = False
    bisect: bool = False
    max_retries: int = -1
    max_record_age_seconds: int = -1
    on_failure_queue: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.function, self.table


def stream_mappings(template: Mapping[str, Any]) -> list[StreamMapping]:
    """The template's DynamoDB stream events; a setting the local driver does not emulate is refused."""
    mappings = []
    for logical_id, resource in resources_of_type(template, "AWS::Serverless::Function").items():
        for event in resource["Properties"].get("Events", {}).values():
            if event["Type"] != "DynamoDB":
                continue
            properties = event["Properties"]
            if int(properties.get("ParallelizationFactor", 1)) != 1:
                raise UnsupportedTemplate(f"{logical_id}: the local stream driver runs one batch at a time")
            destination = properties.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
            mappings.append(
                StreamMapping(
                    function=logical_id,
                    table=_table_of(properties["Stream"]),
                    batch_size=int(properties.get("BatchSize", 100)),
                    patterns=tuple(
                        json.loads(entry["Pattern"])
                        for entry in properties.get("FilterCriteria", {}).get("Filters", [])
                    ),
                    report_failures="ReportBatchItemFailures" in properties.get("FunctionResponseTypes", []),
                    bisect=bool(properties.get("BisectBatchOnFunctionError", False)),
                    max_retries=int(properties.get("MaximumRetryAttempts", -1)),
                    max_record_age_seconds=int(properties.get("MaximumRecordAgeInSeconds", -1)),
                    on_failure_queue=_logical_id_of(destination) if destination else None,
                )
            )
    return mappings


def _table_of(stream: Any) -> str:
    """`!GetAtt Table.StreamArn` names the table."""
    if isinstance(stream, dict) and "Fn::GetAtt" in stream and stream["Fn::GetAtt"][1] == "StreamArn":
        return str(stream["Fn::GetAtt"][0])
    raise UnsupportedTemplate(f"a DynamoDB event's Stream must be !GetAtt <Table>.StreamArn, not {stream}")


def _logical_id_of(reference: Any) -> str:
    if isinstance(reference, dict) and "Fn::GetAtt" in reference:
        return str(reference["Fn::GetAtt"][0])
    raise UnsupportedTemplate(f"an OnFailure destination must be !GetAtt <Queue>.Arn, not {reference}")


def matches(pattern: Mapping[str, Any], record: Mapping[str, Any]) -> bool:
    """Lambda event filtering's patterns: every key present, its value one of the listed ones (or anything but)."""
    for key, expected in pattern.items():
        if key not in record:
            return False
        if isinstance(expected, dict):
            if not isinstance(record[key], dict) or not matches(expected, record[key]):
                return False
        elif isinstance(expected, list):
            if not any(_matches_value(option, record[key]) for option in expected):
                return False
        else:
            raise UnsupportedTemplate(f"a filter pattern's values must be lists: {key}: {expected}")
    return True


def _matches_value(option: Any, value: Any) -> bool:
    """One option of a pattern's list: an exact value, or `{"anything-but": [...]}` (any value but those)."""
    if not isinstance(option, dict):
        return bool(value == option)
    if set(option) != {"anything-but"}:
        raise UnsupportedTemplate(f"only the anything-but filter operator is emulated locally: {option}")
    excluded = option["anything-but"]
    return value not in (excluded if isinstance(excluded, list) else [excluded])


@dataclass
class _Position:
    """Where a mapping stands: the last record handled, and the attempts at the batch that starts after it."""

    after: str | None = None
    attempts: int = 0
    size: int = 0


@dataclass
class StreamDriver:
    """Polls the streams of the mappings' tables and invokes their functions, one batch at a time each."""

    endpoint_url: str
    mappings: list[StreamMapping]
    functions: Mapping[str, Invoke]
    queue_urls: Mapping[str, str] = field(default_factory=dict)
    _positions: dict[tuple[str, str], _Position] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        session = boto3.Session(
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=REGION,
        )
        self._dynamodb = session.client("dynamodb", endpoint_url=self.endpoint_url)
        self._streams = session.client("dynamodbstreams", endpoint_url=self.endpoint_url)
        self._sqs = session.client("sqs", endpoint_url=self.endpoint_url)
        self._thread: threading.Thread | None = None

    def start_at_latest(self) -> None:
        """Start every mapping after the records already in its stream (StartingPosition LATEST)."""
        for mapping in self.mappings:
            records = self._records_after(mapping.table, None)
            latest = records[-1]["dynamodb"]["SequenceNumber"] if records else None
            self._positions[mapping.key] = _Position(after=latest)

    def drain(self, timeout_seconds: float = 30) -> None:
        """Poll until every mapping has handled every record there is (retries included), or time runs out."""
        deadline = time.monotonic() + timeout_seconds
        while self.poll() and time.monotonic() < deadline:
            pass

    def poll(self) -> bool:
        """One batch per mapping that has records waiting; True if any mapping did something."""
        with self._lock:
            worked = [self._poll(mapping) for mapping in self.mappings]
        return any(worked)

    def run_in_background(self) -> None:
        self._thread = threading.Thread(target=self._run, name="stream-driver", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.poll()
            except Exception:  # the driver outlives any one failure, as Lambda's poller does
                logger.exception("Stream poll failed")
                busy = False
            if not busy:
                self._stop.wait(IDLE_POLL_SECONDS)

    def _poll(self, mapping: StreamMapping) -> bool:
        position = self._positions.setdefault(mapping.key, _Position())
        records = self._records_after(mapping.table, position.after)
        if not records:
            return False
        wanted = [
            record for record in records if not mapping.patterns or any(matches(p, record) for p in mapping.patterns)
        ]
        if not wanted:
            position.after = records[-1]["dynamodb"]["SequenceNumber"]
            return True
        skipped_to = wanted[0]["dynamodb"]["SequenceNumber"]
        if skipped_to != records[0]["dynamodb"]["SequenceNumber"]:
            position.after = _before(skipped_to)
        batch = wanted[: position.size or mapping.batch_size]
        if position.attempts and self._expired(mapping, position, batch):
            self._give_up(mapping, batch, position)
            return True
        if position.attempts:
            time.sleep(RETRY_DELAY_SECONDS)
        self._invoke(mapping, batch, position)
        return True

    def _invoke(self, mapping: StreamMapping, batch: list[dict[str, Any]], position: _Position) -> None:
        event = {"Records": [self._lambda_record(mapping, record) for record in batch]}
        try:
            response = self.functions[mapping.function](event)
        except Exception:
            logger.exception("%s failed on a batch of %d", mapping.function, len(batch))
            position.attempts += 1
            if mapping.bisect and len(batch) > 1:
                position.size = (len(batch) + 1) // 2
            return
        failed = self._failed(mapping, response, batch)
        if not failed:
            position.after = batch[-1]["dynamodb"]["SequenceNumber"]
            position.attempts = 0
            position.size = 0
            return
        lowest = min(failed, key=int)
        logger.info("%s reported records from %s failed; retrying from there", mapping.function, lowest)
        resumed = _before(lowest)
        if resumed != position.after:
            position.after = resumed
            position.attempts = 0
        position.attempts += 1

    @staticmethod
    def _failed(mapping: StreamMapping, response: Any, batch: list[dict[str, Any]]) -> list[str]:
        if not mapping.report_failures or not isinstance(response, dict):
            return []
        known = {record["dynamodb"]["SequenceNumber"] for record in batch}
        failures = response.get("batchItemFailures") or []
        return [str(entry["itemIdentifier"]) for entry in failures if str(entry.get("itemIdentifier")) in known]

    def _expired(self, mapping: StreamMapping, position: _Position, batch: list[dict[str, Any]]) -> bool:
        retries_spent = mapping.max_retries >= 0 and position.attempts > mapping.max_retries
        age = time.time() - float(batch[0]["dynamodb"]["ApproximateCreationDateTime"])
        too_old = mapping.max_record_age_seconds >= 0 and age > mapping.max_record_age_seconds
        return retries_spent or too_old

    def _give_up(self, mapping: StreamMapping, batch: list[dict[str, Any]], position: _Position) -> None:
        """As Lambda: the batch's description (not its records) to the OnFailure queue, then move on."""
        first, last = batch[0]["dynamodb"], batch[-1]["dynamodb"]
        logger.warning(
            "%s gave up on records %s..%s", mapping.function, first["SequenceNumber"], last["SequenceNumber"]
        )
        if mapping.on_failure_queue is not None:
            description = {
                "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": position.attempts},
                "DDBStreamBatchInfo": {
                    "startSequenceNumber": first["SequenceNumber"],
                    "endSequenceNumber": last["SequenceNumber"],
                    "batchSize": len(batch),
                    "streamArn": self._stream_arn(mapping.table),
                },
            }
            self._sqs.send_message(
                QueueUrl=self.queue_urls[mapping.on_failure_queue], MessageBody=json.dumps(description)
            )
        position.after = last["SequenceNumber"]
        position.attempts = 0
        position.size = 0

    def _lambda_record(self, mapping: StreamMapping, record: dict[str, Any]) -> dict[str, Any]:
        """A record as Lambda hands it on: the stream's record plus its ARN, times as epoch seconds."""
        dynamodb = dict(record["dynamodb"])
        dynamodb["ApproximateCreationDateTime"] = float(dynamodb["ApproximateCreationDateTime"])
        return {**record, "dynamodb": dynamodb, "eventSourceARN": self._stream_arn(mapping.table)}

    def _stream_arn(self, table: str) -> str:
        return str(self._dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"])

    def _records_after(self, table: str, after: str | None) -> list[dict[str, Any]]:
        arn = self._stream_arn(table)
        shard = self._streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        if after is None:
            iterator = self._streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        else:
            iterator = self._streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard, ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=after
            )
        records = self._streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=1000)["Records"]
        return [_plain(record) for record in records]


def _before(sequence_number: str) -> str:
    """The sequence number just before this one, so that a read 'after' it starts there (moto numbers them 1 by 1)."""
    return str(int(sequence_number) - 1)


def _plain(record: Any) -> dict[str, Any]:
    """A record with its datetime as epoch seconds, as Lambda's event carries it."""
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = created.timestamp()
    return {**record, "dynamodb": dynamodb}
