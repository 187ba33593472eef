"""chatgroup.db.Transaction: which error a cancelled transaction raises, and how lost races and answers are retried.

The transactions here are written on the membership table, one item per action, so that each
action's condition can be made to hold or fail on its own.
"""

import json
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest
import requests
from botocore.awsrequest import AWSPreparedRequest, AWSResponse, HTTPHeaders
from botocore.exceptions import ReadTimeoutError

from chatgroup import db
from chatgroup.db import ATTEMPTS, BACKOFF_SECONDS, Transaction
from chatgroup.errors import ChatgroupError, Conflict
from chatgroup.models import Membership

GROUP = "group-of-actions"
KINDS = ("check", "delete", "put", "update")


class Refused(ChatgroupError):
    """The error an action of these tests names, so that a test can tell which action it came from."""


def refused(kind: str) -> Callable[[], ChatgroupError]:
    return lambda: Refused(kind)


def member(user: str) -> Membership:
    return Membership(GROUP, user, joined_at=1)


def stored(user: str) -> int | None:
    """The joined_at of the user's item, None when there is none."""
    try:
        return int(Membership.get(GROUP, user, consistent_read=True).joined_at)
    except Membership.DoesNotExist:
        return None


def one_action_of_each_kind() -> Transaction:
    """Check, delete, put, update, each on its own item; added in the reverse of the order PynamoDB sends them."""
    transaction = Transaction()
    transaction.update(
        member("updated"),
        [Membership.joined_at.add(1)],
        condition=Membership.user_id.exists(),
        error=refused("update"),
    )
    transaction.put(member("put"), condition=Membership.user_id.does_not_exist(), error=refused("put"))
    transaction.delete(member("deleted"), condition=Membership.user_id.exists(), error=refused("delete"))
    transaction.check(Membership, GROUP, "checked", condition=Membership.user_id.exists(), error=refused("check"))
    return transaction


@pytest.mark.parametrize("failing", KINDS)
def test_the_one_failed_condition_of_a_transaction_raises_that_actions_error(aws: None, failing: str) -> None:
    # Given items that let every action's condition hold, except that of `failing`
    present = {"check": "checked", "delete": "deleted", "update": "updated"}
    for kind, user in present.items():
        if kind != failing:
            member(user).save()
    if failing == "put":
        member("put").save()

    # When a transaction with one action of each kind is committed
    with pytest.raises(Refused) as raised:
        one_action_of_each_kind().commit()

    # Then the failed action's error is raised, and no action was applied
    assert str(raised.value) == failing
    assert stored("updated") == (None if failing == "update" else 1)
    assert stored("deleted") == (None if failing == "delete" else 1)
    assert stored("put") == (1 if failing == "put" else None)


def test_a_claims_refusal_is_built_from_the_item_found_and_wins_over_other_failed_conditions(aws: None) -> None:
    # Given a claimed key (joined_at 7), and no item for a check that the same transaction makes
    Membership(GROUP, "claimed", joined_at=7).save()

    # When a transaction with that failing check, and a claim of the key, is committed
    transaction = Transaction()
    transaction.check(Membership, GROUP, "checked", condition=Membership.user_id.exists(), error=refused("check"))
    transaction.claim(
        member("claimed"),
        condition=Membership.user_id.does_not_exist(),
        taken=lambda found: Refused(f"claimed at {found.joined_at}"),
    )
    with pytest.raises(Refused) as raised:
        transaction.commit()

    # Then the claim's error is raised, told from the item that holds the key, and nothing was written
    assert str(raised.value) == "claimed at 7"
    assert stored("claimed") == 7


@pytest.fixture
def sent_tokens(aws: None) -> Iterator[list[str]]:
    """The ClientRequestToken of every TransactWriteItems sent, as the SDK sends it."""
    tokens: list[str] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        tokens.append(json.loads(params["body"])["ClientRequestToken"])

    events = db._connection().client.meta.events
    events.register("before-call.dynamodb.TransactWriteItems", record)
    yield tokens
    events.unregister("before-call.dynamodb.TransactWriteItems", record)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """How long the transaction waited before each retry; it does not really wait."""
    waited: list[float] = []
    monkeypatch.setattr(db, "sleep", waited.append)
    return waited


@pytest.fixture
def conflicts(sent_tokens: list[str]) -> Iterator[Callable[[int], None]]:
    """`conflicts(n)`: the first n TransactWriteItems are answered as DynamoDB answers a lost race."""
    remaining = [0]

    def answer(params: dict[str, Any], **_: Any) -> Any:
        """None lets the request through; a response is the answer instead (botocore's Stubber works so)."""
        if remaining[0] == 0:
            return None
        remaining[0] -= 1
        actions = json.loads(params["body"])["TransactItems"]
        reasons = [{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}]
        reasons += [{"Code": "None"}] * (len(actions) - 1)
        error = {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}
        return AWSResponse("", 400, HTTPHeaders(), None), {"Error": error, "CancellationReasons": reasons}

    events = db._connection().client.meta.events
    events.register("before-call.dynamodb.TransactWriteItems", answer)
    yield lambda count: remaining.__setitem__(0, count)
    events.unregister("before-call.dynamodb.TransactWriteItems", answer)


def join(user: str) -> Transaction:
    transaction = Transaction()
    transaction.put(member(user), condition=Membership.user_id.does_not_exist(), error=refused("put"))
    return transaction


def test_a_transaction_that_lost_races_is_retried_with_a_new_token_each_time_and_applied_once(
    conflicts: Callable[[int], None], sent_tokens: list[str], sleeps: list[float]
) -> None:
    # Given a database that reports a conflict with another transaction twice
    conflicts(2)

    # When a transaction is committed
    join("patient").commit()

    # Then it was sent three times, each with a token of its own, and applied
    assert len(sent_tokens) == 3
    assert len(set(sent_tokens)) == 3
    assert stored("patient") == 1
    assert len(sleeps) == 2
    assert all(0 <= waited <= BACKOFF_SECONDS * 2**retry for retry, waited in enumerate(sleeps, start=1))


def test_a_transaction_that_keeps_losing_races_gives_up_with_a_conflict(
    conflicts: Callable[[int], None], sent_tokens: list[str], sleeps: list[float]
) -> None:
    # Given a database that reports a conflict with another transaction every time
    conflicts(ATTEMPTS + 1)

    # When a transaction is committed
    with pytest.raises(Conflict):
        join("unlucky").commit()

    # Then it was sent ATTEMPTS times with distinct tokens, waited a bounded time between, and wrote nothing
    assert len(sent_tokens) == ATTEMPTS == len(set(sent_tokens))
    assert len(sleeps) == ATTEMPTS - 1
    assert all(0 <= waited <= BACKOFF_SECONDS * 2**retry for retry, waited in enumerate(sleeps, start=1))
    assert stored("unlucky") is None


@pytest.fixture
def first_answer_lost(aws: None) -> Iterator[None]:
    """The first TransactWriteItems reaches the database, but its answer never comes back (a read timeout)."""
    lost = [False]

    def deliver_then_time_out(request: AWSPreparedRequest, **_: Any) -> None:
        if lost[0]:
            return
        lost[0] = True
        body = cast(bytes, request.body)
        requests.post(request.url, data=body, headers=dict(request.headers), timeout=10).raise_for_status()
        raise ReadTimeoutError(endpoint_url=request.url)

    events = db._connection().client.meta.events
    events.register_first("before-send.dynamodb.TransactWriteItems", deliver_then_time_out)
    yield
    events.unregister("before-send.dynamodb.TransactWriteItems", deliver_then_time_out)


def test_a_committed_transaction_whose_answer_was_lost_is_answered_as_committed_on_the_sdks_retry(
    first_answer_lost: None,
) -> None:
    # Given a transaction whose first attempt commits but whose answer is lost
    transaction = join("lucky")

    # When it is committed (the SDK sends the same request again, with the same token)
    transaction.commit()

    # Then the repeat is answered as the commit was: no "already there" for a change that happened
    assert stored("lucky") == 1
