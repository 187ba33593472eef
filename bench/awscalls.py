"""Every AWS call this process makes, counted where all of them pass, and what each write costs.

Both SDK paths of the layer end in `botocore.client.BaseClient._make_api_call`: boto3's SQS
client and the botocore client PynamoDB creates from its own botocore session. Wrapping that
one method counts every call of every client, including clients created before the bench
started counting (PynamoDB and `chatgroup.queues` cache theirs). Retries are read from the
response metadata (`RetryAttempts`), so a call retried by botocore is one call with attempts > 1.

For DynamoDB writes the recorder reads each written item before and after the call, with a
client of its own whose calls are not counted, and bills it with `bench.itemsize`; for reads it
reads again, whole (without the call's projection or filter), what the call read, and bills that.
"""

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from botocore.client import BaseClient
from botocore.exceptions import ClientError

from bench.itemsize import Item, TableSpec, WriteCost, item_size, read_units, table_specs, write_cost
from devstack.aws_calls import outside_any_function

WRITE_OPERATIONS = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
_PLACEHOLDER = re.compile(r"[#:]\w+")
"""An expression attribute name (#n) or value (:v) in a key condition."""


@dataclass
class Call:
    service: str
    operation: str
    tables: tuple[str, ...]
    attempts: int
    ok: bool
    writes: list[WriteCost] = field(default_factory=list)
    read_units: float = 0.0

    @property
    def label(self) -> str:
        """`dynamodb.GetItem(ChatgroupTable)`: the call and what it touched."""
        where = f"({','.join(self.tables)})" if self.tables else ""
        return f"{self.service}.{self.operation}{where}"


@dataclass(frozen=True)
class _Target:
    """One item a write request touches."""

    table: str
    action: str
    key: dict[str, Any]
    transactional: bool


class Recorder:
    """Counts the calls made inside `operation()` blocks; given a client to read items with, bills their writes."""

    def __init__(self, inspect_client: Any = None) -> None:
        self._inspect = inspect_client
        self._tables: dict[str, TableSpec] = table_specs() if inspect_client is not None else {}
        self._calls: list[Call] | None = None
        self._quiet = threading.local()
        self._lock = threading.Lock()

    @contextmanager
    def installed(self) -> Iterator["Recorder"]:
        original = vars(BaseClient)["_make_api_call"]
        recorder = self

        def counted(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            return recorder._observe(client, operation, params, lambda: original(client, operation, params))

        with mock.patch.object(BaseClient, "_make_api_call", counted):
            yield self

    @contextmanager
    def operation(self) -> Iterator[list[Call]]:
        """Collect the calls made until the block ends; calls outside any block are not counted."""
        calls: list[Call] = []
        self._calls = calls
        try:
            yield calls
        finally:
            self._calls = None

    def _observe(self, client: BaseClient, operation: str, params: dict[str, Any], send: Callable[[], Any]) -> Any:
        if getattr(self._quiet, "on", False) or self._calls is None:
            return send()
        service = client.meta.service_model.service_name
        targets = self._targets(operation, params) if service == "dynamodb" and self._inspect else []
        before = [self._image(target) for target in targets]
        call = Call(service, operation, _tables_of(params), attempts=1, ok=False)
        try:
            result = send()
        except ClientError as error:
            call.attempts += error.response.get("ResponseMetadata", {}).get("RetryAttempts", 0)
            raise
        else:
            call.ok = True
            call.attempts += result.get("ResponseMetadata", {}).get("RetryAttempts", 0)
            if service == "dynamodb" and self._inspect is not None:
                call.read_units = self._read_cost(operation, params)
            return result
        finally:
            call.writes = self._bill(targets, before)
            with self._lock:
                if self._calls is not None:
                    self._calls.append(call)

    def _read_cost(self, operation: str, params: dict[str, Any]) -> float:
        """Read units of a successful read, from the whole items it read (0 for any other call)."""
        consistent = bool(params.get("ConsistentRead"))
        if operation == "GetItem":
            found = self._quietly(lambda: self._inspect.get_item(TableName=params["TableName"], Key=params["Key"]))
            return read_units([item_size(found.get("Item"))], consistent=consistent, per_item=True)
        if operation == "BatchGetItem":
            return sum(self._batch_read_cost(table, request) for table, request in params["RequestItems"].items())
        if operation == "Query":
            query = _whole_items_of(params)
            items = self._quietly(lambda: self._inspect.query(**query))["Items"]
            return read_units([item_size(item) for item in items], consistent=consistent, per_item=False)
        return 0.0

    def _batch_read_cost(self, table: str, request: dict[str, Any]) -> float:
        found = self._quietly(lambda: self._inspect.batch_get_item(RequestItems={table: {"Keys": request["Keys"]}}))
        sizes = [item_size(item) for item in found["Responses"].get(table, [])]
        missing = len(request["Keys"]) - len(sizes)
        return read_units([*sizes, *([0] * missing)], consistent=bool(request.get("ConsistentRead")), per_item=True)

    def _quietly(self, read: Callable[[], Any]) -> Any:
        """A read of the bench's own client, neither counted nor logged as a function's call."""
        self._quiet.on = True
        try:
            with outside_any_function():
                return read()
        finally:
            self._quiet.on = False

    def _bill(self, targets: list[_Target], before: list[Item | None]) -> list[WriteCost]:
        """Price each written item from its image before the call and now (a failed write still costs)."""
        after = [self._image(target) for target in targets]
        return [
            write_cost(self._tables[t.table], t.action, old, new, transactional=t.transactional)
            for t, old, new in zip(targets, before, after, strict=True)
        ]

    def _targets(self, operation: str, params: dict[str, Any]) -> list[_Target]:
        if operation not in WRITE_OPERATIONS:
            return []
        if operation == "TransactWriteItems":
            return [
                self._target(action, body, True) for entry in params["TransactItems"] for action, body in entry.items()
            ]
        if operation == "BatchWriteItem":
            return [
                self._target(action.removesuffix("Request"), body | {"TableName": table}, False)
                for table, requests in params["RequestItems"].items()
                for request in requests
                for action, body in request.items()
            ]
        return [self._target(operation.removesuffix("Item"), params, False)]

    def _target(self, action: str, body: dict[str, Any], transactional: bool) -> _Target:
        table = self._tables[body["TableName"]]
        key = body["Key"] if "Key" in body else table.key_of(body["Item"])
        return _Target(body["TableName"], action, key, transactional)

    def _image(self, target: _Target) -> Item | None:
        """The item as stored now, read consistently by the bench's own client, uncounted."""
        found = self._quietly(
            lambda: self._inspect.get_item(TableName=target.table, Key=target.key, ConsistentRead=True)
        )
        item: Item | None = found.get("Item")
        return item


def _tables_of(params: dict[str, Any]) -> tuple[str, ...]:
    """The tables a DynamoDB call touched, to tell one GetItem from another in the tables (none for SQS)."""
    if "TableName" in params:
        return (params["TableName"],)
    if "TransactItems" in params:
        names = [next(iter(entry.values()))["TableName"] for entry in params["TransactItems"]]
        return tuple(sorted(set(names)))
    if "RequestItems" in params:
        return tuple(sorted(params["RequestItems"]))
    return ()


def _whole_items_of(query: dict[str, Any]) -> dict[str, Any]:
    """The same Query (same page) without its projection or filter: the items DynamoDB read, whole."""
    condition = query["KeyConditionExpression"]
    used = set(_PLACEHOLDER.findall(condition))
    names = ("TableName", "IndexName", "ExclusiveStartKey", "Limit")
    kept: dict[str, Any] = {name: query[name] for name in names if name in query}
    kept |= {"KeyConditionExpression": condition, "ScanIndexForward": query.get("ScanIndexForward", True)}
    for placeholders in ("ExpressionAttributeNames", "ExpressionAttributeValues"):
        if named := {key: value for key, value in query.get(placeholders, {}).items() if key in used}:
            kept[placeholders] = named
    return kept
