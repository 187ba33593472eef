"""The local stream driver (devstack/streams.py) does what Lambda's DynamoDB event source mapping does with a batch
that fails: bisect, retry, give up to the on-failure queue, move on; and filters as the template says."""

from typing import Any

import boto3

from chatgroup import timeline
from devstack.aws import create_queues
from devstack.streams import StreamDriver, StreamMapping, matches
from tests.conftest import AWS_ENDPOINT, TEMPLATE


def seqs_of(event: dict[str, Any]) -> list[int]:
    return [int(record["dynamodb"]["NewImage"]["seq"]["N"]) for record in event["Records"]]


def test_a_batch_failing_on_one_record_is_halved_until_that_record_goes_to_the_on_failure_queue(new_group) -> None:
    # Given a timeline of four messages, and a function that fails on any batch holding seq 3
    group = new_group(creator="alice")
    for number in range(4):
        timeline.send_message("alice", group.chatgroup_id, f"m{number}")
    batches: list[list[int]] = []

    def function(event: dict[str, Any]) -> None:
        batches.append(seqs_of(event))
        if 3 in batches[-1]:
            raise RuntimeError("poison record")

    queues = create_queues(AWS_ENDPOINT, TEMPLATE, {})
    mapping = StreamMapping(
        function="Poisoned",
        table="TimelineTable",
        bisect=True,
        max_retries=2,
        on_failure_queue="FanOutDeadLetterQueue",
    )
    driver = StreamDriver(AWS_ENDPOINT, [mapping], {"Poisoned": function}, queue_urls=queues)

    # When the driver handles the stream
    driver.drain()

    # Then the batch was halved around the failing record, which alone was given up on after its retries,
    # and every other record was handled once
    handled = [batch for batch in batches if 3 not in batch]
    assert sorted(seq for batch in handled for seq in batch) == [1, 2, 4]
    assert batches[0] == [1, 2, 3, 4]
    assert [3] in batches
    [failure] = boto3.client("sqs").receive_message(QueueUrl=queues["FanOutDeadLetterQueue"])["Messages"]
    assert '"batchSize": 1' in failure["Body"]


def notice_record(notice: str) -> dict[str, Any]:
    return {"dynamodb": {"NewImage": {"notice": {"S": notice}}}}


def test_the_anything_but_filter_matches_every_present_value_but_those_listed() -> None:
    # Given the notifier's kind of pattern: a notice, anything but `dismissed`
    pattern = {"dynamodb": {"NewImage": {"notice": {"S": [{"anything-but": ["dismissed"]}]}}}}

    # When records with and without a notice are matched
    matched = [matches(pattern, notice_record(notice)) for notice in ("joined", "dismissed")]

    # Then `joined` matches, `dismissed` and a record without the key do not
    assert matched == [True, False]
    assert matches(pattern, {"dynamodb": {"NewImage": {}}}) is False
