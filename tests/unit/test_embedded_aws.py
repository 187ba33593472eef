"""The embedded AWS applies requests as DynamoDB does where our correctness rests (devstack.faithful_aws).

These talk to it with plain boto3, on a table of their own, so that they prove the emulator
and nothing of ours: isolation between transactions, all-or-nothing, streams, ClientRequestToken.
"""

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from devstack import faithful_aws

TABLE = "Counters"
PLACES = 5
CONTENDERS = 30


@pytest.fixture
def dynamodb(aws: None) -> Any:
    """A client that never retries, so that each call is one request, and a table with a stream."""
    client = boto3.client("dynamodb", config=Config(retries={"mode": "standard", "max_attempts": 1}))
    client.create_table(
        TableName=TABLE,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    return client


def put(item_id: str, **attributes: str) -> dict[str, Any]:
    """A Put of a new item; refused if it exists."""
    item = {"id": {"S": item_id}} | {name: {"S": value} for name, value in attributes.items()}
    return {"Put": {"TableName": TABLE, "Item": item, "ConditionExpression": "attribute_not_exists(id)"}}


def add_one(item_id: str, below: int | None = None) -> dict[str, Any]:
    """An Update adding 1 to the item's `n`; with `below`, only while `n` is under it."""
    update: dict[str, Any] = {
        "TableName": TABLE,
        "Key": {"id": {"S": item_id}},
        "UpdateExpression": "ADD n :one",
        "ExpressionAttributeValues": {":one": {"N": "1"}},
    }
    if below is not None:
        update["ConditionExpression"] = "attribute_not_exists(n) OR n < :limit"
        update["ExpressionAttributeValues"][":limit"] = {"N": str(below)}
    return {"Update": update}


def item(dynamodb: Any, item_id: str) -> dict[str, Any] | None:
    return dynamodb.get_item(TableName=TABLE, Key={"id": {"S": item_id}}, ConsistentRead=True).get("Item")


def cancellation_codes(refused: ClientError) -> list[str]:
    return [reason["Code"] for reason in refused.response.get("CancellationReasons", [])]


def stream_reader(dynamodb: Any) -> Iterator[list[dict[str, Any]]]:
    """Reads the table's stream from its start, as a stream consumer does: each next() gives the new records."""
    streams = boto3.client("dynamodbstreams")
    arn = dynamodb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    [shard] = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    while True:
        page = streams.get_records(ShardIterator=iterator)
        iterator = page["NextShardIterator"]
        yield page["Records"]


def changes(records: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(record["eventName"], record["dynamodb"]["Keys"]["id"]["S"]) for record in records]


def test_transactions_racing_for_the_last_places_commit_exactly_as_many_as_there_are(dynamodb: Any) -> None:
    # Given a counter with 5 places and 30 transactions, each taking a place and recording its taker
    barrier = threading.Barrier(CONTENDERS)

    def take_a_place(index: int) -> str:
        barrier.wait(30)
        try:
            dynamodb.transact_write_items(TransactItems=[add_one("places", below=PLACES), put(f"taker{index:02d}")])
        except ClientError as refused:
            return refused.response["Error"]["Code"]
        return "committed"

    # When they all run at once
    with ThreadPoolExecutor(max_workers=CONTENDERS) as pool:
        outcomes = list(pool.map(take_a_place, range(CONTENDERS)))

    # Then 5 committed, the others were cancelled, and the counter agrees with the takers written
    assert outcomes.count("committed") == PLACES
    assert set(outcomes) == {"committed", "TransactionCanceledException"}
    takers = {f"taker{index:02d}" for index, outcome in enumerate(outcomes) if outcome == "committed"}
    written = {found["id"]["S"] for found in dynamodb.scan(TableName=TABLE, ConsistentRead=True)["Items"]}
    assert written == takers | {"places"}
    assert item(dynamodb, "places") == {"id": {"S": "places"}, "n": {"N": str(PLACES)}}


def test_a_cancelled_transaction_writes_nothing_and_names_the_failed_condition(dynamodb: Any) -> None:
    # Given an existing item
    dynamodb.put_item(TableName=TABLE, Item={"id": {"S": "taken"}})

    # When a transaction adds to a counter and puts that item again
    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(TransactItems=[add_one("counter"), put("taken", extra="x")])

    # Then it is cancelled for the put's condition alone, and the counter was not written
    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert cancellation_codes(refused.value) == ["None", "ConditionalCheckFailed"]
    assert item(dynamodb, "counter") is None
    assert item(dynamodb, "taken") == {"id": {"S": "taken"}}


def test_a_cancelled_transaction_returns_the_item_a_put_found_when_the_put_asks_for_it(dynamodb: Any) -> None:
    # Given two existing items
    for taken in ("asks", "silent"):
        dynamodb.put_item(TableName=TABLE, Item={"id": {"S": taken}, "v": {"S": f"old {taken}"}})

    # When a transaction puts both again, one asking for the item found (ALL_OLD), and adds to a counter
    asks = put("asks", v="new")
    asks["Put"]["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(TransactItems=[add_one("counter"), asks, put("silent", v="new")])

    # Then as in DynamoDB: the reason of the put that asked carries the stored item, the others no item
    reasons = refused.value.response["CancellationReasons"]
    assert [reason["Code"] for reason in reasons] == ["None", "ConditionalCheckFailed", "ConditionalCheckFailed"]
    assert [reason.get("Item") for reason in reasons] == [None, {"id": {"S": "asks"}, "v": {"S": "old asks"}}, None]


def test_a_stream_reader_keeps_seeing_records_after_a_cancelled_transaction(dynamodb: Any) -> None:
    # Given a stream reader that has seen the first write
    dynamodb.put_item(TableName=TABLE, Item={"id": {"S": "first"}})
    reader = stream_reader(dynamodb)
    assert changes(next(reader)) == [("INSERT", "first")]

    # When a transaction is cancelled, then another item is written
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(TransactItems=[put("refused"), put("first")])
    dynamodb.put_item(TableName=TABLE, Item={"id": {"S": "later"}})

    # Then the reader sees the later write, and nothing of the cancelled transaction
    assert changes(next(reader)) == [("INSERT", "later")]


def test_a_transaction_refused_half_way_through_its_writes_leaves_no_item_and_no_stream_record(dynamodb: Any) -> None:
    # Given an item whose `n` is text, and a stream reader that has seen it
    dynamodb.put_item(TableName=TABLE, Item={"id": {"S": "text"}, "n": {"S": "not a number"}})
    reader = stream_reader(dynamodb)
    assert changes(next(reader)) == [("INSERT", "text")]

    # When a transaction puts a new item, then adds to the text (refused only as it is applied)
    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(TransactItems=[put("new"), add_one("text")])

    # Then it is refused as invalid, the new item is not there, and the stream says nothing of it
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert item(dynamodb, "new") is None
    assert item(dynamodb, "text") == {"id": {"S": "text"}, "n": {"S": "not a number"}}
    dynamodb.put_item(TableName=TABLE, Item={"id": {"S": "later"}})
    assert changes(next(reader)) == [("INSERT", "later")]


def test_a_transaction_repeated_with_its_client_request_token_succeeds_without_writing_again(dynamodb: Any) -> None:
    # Given a committed transaction that put an item and counted it
    token = uuid.uuid4().hex
    transaction = [put("once"), add_one("count")]
    dynamodb.transact_write_items(TransactItems=transaction, ClientRequestToken=token)

    # When the same request is sent again with its token (a retry after a lost answer), then without one
    dynamodb.transact_write_items(TransactItems=transaction, ClientRequestToken=token)
    with pytest.raises(ClientError) as without_token:
        dynamodb.transact_write_items(TransactItems=transaction)

    # Then the repeat answered success and changed nothing, while a new request is refused by its condition
    assert item(dynamodb, "count") == {"id": {"S": "count"}, "n": {"N": "1"}}
    assert cancellation_codes(without_token.value) == ["ConditionalCheckFailed", "None"]


def test_a_cancelled_transaction_repeated_with_its_client_request_token_is_cancelled_again(dynamodb: Any) -> None:
    # Given a transaction cancelled because its item existed, and that item deleted since
    token = uuid.uuid4().hex
    dynamodb.put_item(TableName=TABLE, Item={"id": {"S": "blocker"}})
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(TransactItems=[put("blocker")], ClientRequestToken=token)
    dynamodb.delete_item(TableName=TABLE, Key={"id": {"S": "blocker"}})

    # When it is sent again with its token
    with pytest.raises(ClientError) as repeated:
        dynamodb.transact_write_items(TransactItems=[put("blocker")], ClientRequestToken=token)

    # Then it answers as the first time, and writes nothing
    assert cancellation_codes(repeated.value) == ["ConditionalCheckFailed"]
    assert item(dynamodb, "blocker") is None


def test_a_client_request_token_reused_with_other_parameters_is_refused(dynamodb: Any) -> None:
    # Given a committed transaction
    token = uuid.uuid4().hex
    dynamodb.transact_write_items(TransactItems=[put("first")], ClientRequestToken=token)

    # When its token is sent with another transaction
    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(TransactItems=[put("second")], ClientRequestToken=token)

    # Then DynamoDB's mismatch error answers, and the other transaction did not happen
    assert refused.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"
    assert item(dynamodb, "second") is None


def test_a_client_request_token_is_a_new_request_ten_minutes_after_its_first(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a committed transaction with a token
    now = [1000.0]
    monkeypatch.setattr(faithful_aws, "clock", lambda: now[0])
    token = uuid.uuid4().hex
    dynamodb.transact_write_items(TransactItems=[add_one("count")], ClientRequestToken=token)

    # When the same request comes just inside the window, then just after it
    now[0] += faithful_aws.IDEMPOTENCY_WINDOW_SECONDS - 1
    dynamodb.transact_write_items(TransactItems=[add_one("count")], ClientRequestToken=token)
    counted_inside = item(dynamodb, "count")
    now[0] += 2
    dynamodb.transact_write_items(TransactItems=[add_one("count")], ClientRequestToken=token)

    # Then the one inside was the first's answer, the one after a new transaction
    assert counted_inside == {"id": {"S": "count"}, "n": {"N": "1"}}
    assert item(dynamodb, "count") == {"id": {"S": "count"}, "n": {"N": "2"}}


def test_an_sqs_long_poll_receives_a_message_sent_while_it_waits(aws: None) -> None:
    # Given an empty queue and a receive that waits up to 10 s for a message
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName=f"long-poll-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    waiting = ThreadPoolExecutor(max_workers=1)
    received = waiting.submit(sqs.receive_message, QueueUrl=queue_url, WaitTimeSeconds=10)

    # When a message is sent while it waits
    threading.Event().wait(0.5)
    sqs.send_message(QueueUrl=queue_url, MessageBody="hello")

    # Then the waiting receive gets it: the wait did not hold every other request back
    assert [message["Body"] for message in received.result(timeout=30).get("Messages", [])] == ["hello"]
    waiting.shutdown()
