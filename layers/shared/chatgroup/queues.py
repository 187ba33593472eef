"""The one place that talks to SQS: each group's FIFO chat queue."""

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from chatgroup.clients import create_client
from chatgroup.errors import ServiceUnavailable
from chatgroup.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


@dataclass(frozen=True)
class GroupQueue:
    url: str
    arn: str


@cache
def _client() -> "SQSClient":
    """A botocore client: PynamoDB already loads botocore, and boto3 would add ~20 ms to a cold start."""
    settings = get_settings()
    return create_client(
        "sqs",
        region_name=settings.region,
        endpoint_url=settings.sqs_endpoint,
        config=Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3}),
    )


def queue_name(chatgroup_id: str) -> str:
    """FIFO queue name under the stack's prefix, which the functions' IAM policies are scoped to."""
    return f"{get_settings().queue_name_prefix}-{chatgroup_id}.fifo"


def create_group_queue(chatgroup_id: str, creator_id: str) -> GroupQueue:
    """Create the group's chat queue, encrypted at rest, tagged with its stack and group.

    Encryption with SQS-managed keys is explicit rather than left to the account's default. The
    `stack` tag (the stack's queue name prefix) lets an operator find a stack's queues with the
    tagging API, and `chatgroup_id` traces an orphan to its group (`make orphan-queues`).
    """
    prefix = get_settings().queue_name_prefix
    try:
        url = _client().create_queue(
            QueueName=queue_name(chatgroup_id),
            Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "false", "SqsManagedSseEnabled": "true"},
            tags={"stack": prefix, "chatgroup_id": chatgroup_id, "creator_id": creator_id},
        )["QueueUrl"]
    except (BotoCoreError, ClientError) as error:
        raise ServiceUnavailable("The chat queue could not be created; please retry.") from error
    return GroupQueue(url=url, arn=_arn_of(url))


def delete_group_queue(url: str) -> None:
    """Delete a group's queue; a queue that is already gone counts as deleted, so retries are safe."""
    try:
        _client().delete_queue(QueueUrl=url)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in _QUEUE_GONE:
            return
        raise ServiceUnavailable("The chat queue could not be deleted; please retry.") from error
    except BotoCoreError as error:
        raise ServiceUnavailable("The chat queue could not be deleted; please retry.") from error


_QUEUE_GONE = {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}


def _arn_of(url: str) -> str:
    """Derive the ARN from the URL (`.../<account>/<name>`), saving a GetQueueAttributes round trip."""
    account, name = urlparse(url).path.strip("/").split("/")[-2:]
    return f"arn:{_client().meta.partition}:sqs:{_client().meta.region_name}:{account}:{name}"


def group_queue_url(chatgroup_id: str) -> str:
    """The group's queue URL, from its name alone: `<SQS endpoint>/<account>/<name>`, as SQS forms it.

    No call and no read of the group, which may be dismissed by the time its notices are sent.
    """
    account = get_settings().account_id
    if account is None:
        raise RuntimeError("ACCOUNT_ID is not set: template.yaml sets it for the function that posts notices")
    return f"{_client().meta.endpoint_url}/{account}/{queue_name(chatgroup_id)}"


def send_to_group(queue_url: str, chatgroup_id: str, body: str, deduplication_id: str) -> bool:
    """Post to a group's FIFO queue: one message group per chatgroup keeps its notices in order.

    False if the queue is gone (its group was dismissed: nobody can read it any more); any
    other failure is raised, for the caller to retry.
    """
    try:
        _client().send_message(
            QueueUrl=queue_url,
            MessageBody=body,
            MessageGroupId=chatgroup_id,
            MessageDeduplicationId=deduplication_id,
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in _QUEUE_GONE:
            return False
        raise
    return True
