"""DynamoDB transactions whose failed conditions become domain errors."""

import random
from collections.abc import Callable
from dataclasses import dataclass
from time import sleep
from typing import Any
from uuid import uuid4

from pynamodb.constants import ALL_OLD
from pynamodb.exceptions import CancellationReason, PynamoDBException, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chatgroup.clients import dynamodb as _connection
from chatgroup.errors import ChatgroupError, Conflict, ServiceUnavailable

ErrorFactory = Callable[[], ChatgroupError]

ATTEMPTS = 4
"""How many times a transaction that loses a race (TransactionConflict) is sent before giving up."""
BACKOFF_SECONDS = 0.02
"""The wait before retry n is random, up to BACKOFF_SECONDS * 2**n: 0.28 s at most in all."""
# PynamoDB sends a transaction's items grouped in this order, and DynamoDB returns one
# cancellation reason per item in the order sent; tests/unit/test_db.py pins it.
_ORDER = ("check", "delete", "put", "update")


def _unreachable() -> ChatgroupError:
    raise AssertionError("an unconditional write cannot fail its condition")


@dataclass(frozen=True)
class _Step:
    """One action: how it joins a TransactWrite, and what its failed condition raises."""

    add: Callable[[TransactWrite], None]
    refusal: Callable[[CancellationReason], Exception]
    claim: bool = False
    """A claim's refusal is raised before any other step's."""


def _plain(error: ErrorFactory) -> Callable[[CancellationReason], Exception]:
    return lambda _: error()


class Transaction:
    """All-or-nothing writes; each condition names the error raised when it is what failed."""

    def __init__(self) -> None:
        self._steps: dict[str, list[_Step]] = {kind: [] for kind in _ORDER}

    def check(
        self, model: type[Model], key: Any, range_key: Any = None, *, condition: Condition, error: ErrorFactory
    ) -> None:
        self._steps["check"].append(
            _Step(lambda tx: tx.condition_check(model, key, range_key, condition=condition), _plain(error))
        )

    def delete(self, item: Model, *, condition: Condition | None = None, error: ErrorFactory = _unreachable) -> None:
        self._steps["delete"].append(_Step(lambda tx: tx.delete(item, condition=condition), _plain(error)))

    def put(self, item: Model, *, condition: Condition | None = None, error: ErrorFactory = _unreachable) -> None:
        self._steps["put"].append(_Step(lambda tx: tx.save(item, condition=condition), _plain(error)))

    def claim[M: Model](self, item: M, *, condition: Condition, taken: Callable[[M], Exception]) -> None:
        """Put `item` where `condition` allows; else raise `taken(the item found)`, whatever else failed too.

        The item found comes back with the cancellation (ReturnValuesOnConditionCheckFailure), so
        telling what holds the key costs no read. Its refusal wins because it says what happened
        already: a resent message's first answer explains why its seq is taken or its sender gone.
        `condition` must fail only where an item exists (e.g. "none, or an expired one").
        """

        def refusal(reason: CancellationReason) -> Exception:
            if reason.raw_item is None:
                raise AssertionError("a claim's condition failed where no item was")
            return taken(type(item).from_raw_data(reason.raw_item))

        self._steps["put"].append(
            _Step(lambda tx: tx.save(item, condition=condition, return_values=ALL_OLD), refusal, claim=True)
        )

    def update(
        self,
        item: Model,
        actions: list[Action],
        *,
        condition: Condition | None = None,
        error: ErrorFactory = _unreachable,
    ) -> None:
        self._steps["update"].append(_Step(lambda tx: tx.update(item, actions, condition=condition), _plain(error)))

    def commit(self) -> None:
        """Write everything or nothing; a lost race with another transaction is retried briefly.

        Each attempt has a ClientRequestToken of its own: the SDK's retries of one attempt (after
        a timeout) repeat its token, so an attempt that committed is answered as committed; a
        retry after a conflict is a new transaction, whose conditions must be evaluated anew.
        """
        steps = [step for kind in _ORDER for step in self._steps[kind]]
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with TransactWrite(connection=_connection(), client_request_token=uuid4().hex) as transaction:
                    for step in steps:
                        step.add(transaction)
                return
            except TransactWriteError as failure:
                reasons = failure.cancellation_reasons
                refused = [
                    (step, reason)
                    for step, reason in zip(steps, reasons, strict=False)
                    if reason is not None and reason.code == "ConditionalCheckFailed"
                ]
                if refused:
                    # The first claim refused, else the first step refused (min keeps the first of equals).
                    step, reason = min(refused, key=lambda refusal: not refusal[0].claim)
                    raise step.refusal(reason) from failure
                codes = [reason.code if reason else None for reason in reasons]
                if "TransactionConflict" not in codes:
                    raise ServiceUnavailable("The database did not accept the change; please retry.") from failure
                if attempt == ATTEMPTS:
                    raise Conflict("The group changed while your request was handled; please retry.") from failure
                sleep(random.uniform(0, BACKOFF_SECONDS * 2**attempt))


def conditional[T](write: Callable[[], T], error: ErrorFactory) -> T:
    """Run a single conditional write, turning its failed condition into a domain error."""
    try:
        return write()
    except PynamoDBException as failure:
        if getattr(failure, "cause_response_code", None) == "ConditionalCheckFailedException":
            raise error() from failure
        raise
