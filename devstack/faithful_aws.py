"""moto made faithful where our correctness rests: one request at a time, real transactions, ClientRequestToken.

moto 5.2.5 handles requests on as many threads as the server has, with no lock: two
TransactWriteItems interleave, and its transactions deep-copy every table they touch, then put
the copy back on failure, over the other requests' writes and with a stream shard that readers
no longer see. It also ignores ClientRequestToken, so a retried transaction that had committed
is evaluated again. `install()` changes three things, for every embedded AWS of this process
(`make run`, the tests, the bench):

- every request is handled under one process-wide lock, as if DynamoDB applied each request
  (a transaction included) atomically with respect to the others; an SQS long poll lets go of
  it while it waits;
- TransactWriteItems evaluates every condition first and applies only if all hold; it copies
  only the items it changes, to undo an apply that moto refuses half way (an invalid update);
- a TransactWriteItems that repeats a ClientRequestToken within 10 minutes answers as the first
  did; with other parameters it is refused with IdempotentParameterMismatchException.
"""

import copy
import functools
import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from moto.core.responses import ActionResult, BaseResponse
from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ERROR_TYPE_PREFIX,
    DynamodbException,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler
from moto.moto_api._internal.models import MotoAPIBackend
from moto.sqs.models import Queue, sqs_backends

MAX_TRANSACTION_ITEMS = 100
"""DynamoDB's limit on the actions of one TransactWriteItems."""
IDEMPOTENCY_WINDOW_SECONDS = 600.0
"""How long a ClientRequestToken is remembered after the request that used it completed (DynamoDB: 10 minutes)."""

clock: Callable[[], float] = time.monotonic
"""The clock a remembered token expires by."""

_ONE_AT_A_TIME = threading.Condition(threading.RLock())
"""Held while moto handles a request; notified after each, for the long polls waiting on it."""


def install() -> None:
    """Make every moto of this process faithful; idempotent, so each entry point may call it."""
    with _ONE_AT_A_TIME:
        if DynamoDBBackend.transact_write_items is transact_write_items:
            return
        BaseResponse._dispatch = _one_at_a_time(BaseResponse._dispatch)  # type: ignore[method-assign]
        MotoAPIBackend.reset = _one_at_a_time(MotoAPIBackend.reset)  # type: ignore[method-assign]
        Queue.wait_for_messages = _wait_for_messages  # type: ignore[method-assign]
        DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
        handle = DynamoHandler.transact_write_items
        DynamoHandler.transact_write_items = _idempotent(handle)  # type: ignore[method-assign, assignment]


def _one_at_a_time[**P, R](handle: Callable[P, R]) -> Callable[P, R]:
    """`handle`, run only while no other request is handled: every service, server mode or in-process."""

    @functools.wraps(handle)
    def serialized(*args: P.args, **kwargs: P.kwargs) -> R:
        with _ONE_AT_A_TIME:
            try:
                return handle(*args, **kwargs)
            finally:
                _ONE_AT_A_TIME.notify_all()

    return serialized


def _wait_for_messages(self: Queue, timeout: int) -> None:
    """An SQS long poll lets other requests run while it waits (a send among them), up to `timeout` seconds.

    moto's own wait holds the request that waits; under the lock it would stop every request,
    the send it waits for too, until it times out.
    """
    if not self.messages:
        _ONE_AT_A_TIME.wait(timeout)


@dataclass(frozen=True)
class _Action:
    """One action of a transaction: ConditionCheck, Put, Delete or Update, on the item with `key` in `table`."""

    kind: str
    table: Table
    key: dict[str, Any]
    request: dict[str, Any]

    @property
    def changes(self) -> bool:
        return self.kind != "ConditionCheck"


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    """All or nothing, as DynamoDB: every condition is evaluated before anything is written.

    Runs under the request lock, so no other request changes an item between the two phases.
    """
    actions = _actions(self, transact_items)
    failures = [_failed_condition(self, action) for action in actions]
    if any(failures):
        raise TransactionCanceledException([failure or (None, None, None) for failure in failures])
    changes = [action for action in actions if action.changes]
    before = _Snapshot(self, changes)
    try:
        for action in changes:
            _apply(self, action)
    except BaseException:
        before.restore()
        raise


def _actions(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> list[_Action]:
    """The request's actions, refused as DynamoDB refuses them: too many, or two on one item."""
    if len(transact_items) > MAX_TRANSACTION_ITEMS:
        raise TooManyTransactionsException()
    actions, targets = [], set()
    for transact_item in transact_items:
        if len(transact_item) != 1:
            raise TransactWriteSingleOpException()
        [(kind, request)] = transact_item.items()
        if kind not in ("ConditionCheck", "Put", "Delete", "Update"):
            raise MockValidationException(f"Unsupported transaction action: {kind}")
        table = backend.get_table(request["TableName"])
        key = _key_of(table, request["Item"]) if kind == "Put" else request["Key"]
        target = (table.name, json.dumps(key, sort_keys=True))
        if target in targets:
            raise MultipleTransactionsException()
        targets.add(target)
        actions.append(_Action(kind=kind, table=table, key=key, request=request))
    return actions


def _key_of(table: Table, item: dict[str, Any]) -> dict[str, Any]:
    names = [table.hash_key_attr, *([table.range_key_attr] if table.range_key_attr else [])]
    missing = [name for name in names if name not in item]
    if missing:
        raise MockValidationException(f"One or more parameter values were invalid: Missing the key {missing[0]}")
    return {name: item[name] for name in names}


def _failed_condition(backend: DynamoDBBackend, action: _Action) -> tuple[str, str, dict[str, Any] | None] | None:
    """The cancellation reason of `action`, or None when its condition holds (or it has none)."""
    current = backend.get_item(action.table.name, action.key)
    expression = action.request.get("ConditionExpression")
    if expression is None:
        return None
    condition = get_filter_expression(
        expression, action.request.get("ExpressionAttributeNames"), action.request.get("ExpressionAttributeValues")
    )
    if condition.expr(current):
        return None
    wants_item = action.request.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"
    item = current.to_json()["Attributes"] if wants_item and current is not None else None
    return ("ConditionalCheckFailed", "The conditional request failed", item)


def _apply(backend: DynamoDBBackend, action: _Action) -> None:
    """Write one action whose condition is known to hold; moto's own writes keep the stream and indexes."""
    table, request = action.table.name, action.request
    if action.kind == "Put":
        backend.put_item(table, request["Item"])
    elif action.kind == "Delete":
        backend.delete_item(table, action.key)
    else:
        backend.update_item(
            table,
            action.key,
            update_expression=request["UpdateExpression"],
            expression_attribute_names=request.get("ExpressionAttributeNames", {}),
            expression_attribute_values=request.get("ExpressionAttributeValues", {}),
        )


class _Snapshot:
    """The items a transaction changes, as they were, and each table's stream length: enough to undo it."""

    def __init__(self, backend: DynamoDBBackend, actions: Iterable[_Action]) -> None:
        self._items: list[tuple[Table, DynamoType, DynamoType | None, Item | None]] = []
        self._streams: dict[str, tuple[Table, int]] = {}
        for action in actions:
            hash_key, range_key = backend.get_keys_value(action.table, action.key)
            item = action.table.get_item(hash_key, range_key)
            self._items.append((action.table, hash_key, range_key, copy.deepcopy(item)))
            if action.table.stream_shard is not None:
                self._streams.setdefault(action.table.name, (action.table, len(action.table.stream_shard.items)))

    def restore(self) -> None:
        for table, hash_key, range_key, item in reversed(self._items):
            _place(table, hash_key, range_key, item)
        for table, length in self._streams.values():
            if table.stream_shard is not None:
                del table.stream_shard.items[length:]


def _place(table: Table, hash_key: DynamoType, range_key: DynamoType | None, item: Item | None) -> None:
    """Put `item` back under its key, or remove what is there when there was none; no stream record."""
    if range_key is None:
        if item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item  # type: ignore[assignment]  # moto types every table as a range table
    elif item is None:
        table.items[hash_key].pop(range_key, None)
    else:
        table.items[hash_key][range_key] = item


class IdempotentParameterMismatch(DynamodbException):
    """DynamoDB's answer to a ClientRequestToken reused with other parameters within its window."""

    def __init__(self) -> None:
        super().__init__(
            ERROR_TYPE_PREFIX + "IdempotentParameterMismatchException",
            "The request uses the same client token as a previous, but non-identical request.",
        )


@dataclass(frozen=True)
class _Answer:
    """What a TransactWriteItems answered: its result, or the cancellation it raised."""

    parameters: str
    result: ActionResult | TransactionCanceledException
    expires_at: float

    def again(self) -> ActionResult:
        if isinstance(self.result, TransactionCanceledException):
            raise self.result
        return self.result


class _ClientRequestTokens:
    """The answers of one backend's TransactWriteItems by token, each kept for the idempotency window."""

    def __init__(self) -> None:
        self._answers: OrderedDict[str, _Answer] = OrderedDict()

    def find(self, token: str) -> _Answer | None:
        now = clock()
        while self._answers and next(iter(self._answers.values())).expires_at <= now:
            self._answers.popitem(last=False)
        return self._answers.get(token)

    def keep(self, token: str, parameters: str, result: ActionResult | TransactionCanceledException) -> None:
        self._answers[token] = _Answer(parameters, result, clock() + IDEMPOTENCY_WINDOW_SECONDS)


_TOKENS_ATTRIBUTE = "_faithful_client_request_tokens"
"""Where a backend keeps its tokens: in its own attributes, so that a moto reset forgets them with its tables."""


def _tokens_of(backend: DynamoDBBackend) -> _ClientRequestTokens:
    tokens = getattr(backend, _TOKENS_ATTRIBUTE, None)
    if tokens is None:
        tokens = _ClientRequestTokens()
        setattr(backend, _TOKENS_ATTRIBUTE, tokens)
    return tokens


def _idempotent(handle: Callable[[DynamoHandler], ActionResult]) -> Callable[[DynamoHandler], ActionResult]:
    """TransactWriteItems with a ClientRequestToken: a repeat answers as the first, whatever changed since.

    Only answers to a transaction that was evaluated are kept (success or cancellation); a
    request refused as invalid was never accepted, so its token stays free.
    """

    @functools.wraps(handle)
    def transact_write_items(self: DynamoHandler) -> ActionResult:
        token = self.body.get("ClientRequestToken")
        if token is None:
            return handle(self)
        tokens = _tokens_of(self.dynamodb_backend)
        parameters = _fingerprint({name: value for name, value in self.body.items() if name != "ClientRequestToken"})
        earlier = tokens.find(token)
        if earlier is not None:
            if earlier.parameters != parameters:
                raise IdempotentParameterMismatch()
            return earlier.again()
        try:
            result = handle(self)
        except TransactionCanceledException as cancelled:
            tokens.keep(token, parameters, cancelled)
            raise
        tokens.keep(token, parameters, result)
        return result

    return transact_write_items


def _fingerprint(parameters: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(parameters, sort_keys=True).encode()).hexdigest()


def state(groups: Iterable[str]) -> dict[str, Any]:
    """What the embedded AWS holds at one instant (under the lock), for tests that check a request changed nothing.

    Every table's item count, every queue's name, and every item whose `chatgroup_id` is one of
    `groups`, as DynamoDB JSON. Read here rather than through the APIs: a Scan per table and a
    ListQueues cost ~6 ms each in moto, and a fuzz run takes one snapshot per refused request.
    """
    wanted = set(groups)
    counts: dict[str, int] = {}
    items: list[str] = []
    with _ONE_AT_A_TIME:
        for backend in (backend for regions in dynamodb_backends.values() for backend in regions.values()):
            for name, table in backend.tables.items():
                counts[name] = len(table)
                items += [
                    f"{name} {json.dumps(item.to_json()['Attributes'], sort_keys=True, default=str)}"
                    for item in table.all_items()
                    if _group_of(item) in wanted
                ]
        queues = [name for regions in sqs_backends.values() for backend in regions.values() for name in backend.queues]
    return {"counts": counts, "queues": sorted(queues), "items": sorted(items)}


def _group_of(item: Item) -> str | None:
    group = item.attrs.get("chatgroup_id")
    return group.value if group is not None and group.type == "S" else None
