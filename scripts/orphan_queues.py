"""`make orphan-queues`: a stack's chat queues whose group no longer exists; deleted when asked.

A group's queue is created just before the group's item is written and deleted just before
the item is: a queue outlives its group only when the rollback of a failed create, or a
dismissal, stopped half way (the function then logs "Orphan chat queue left for cleanup"). A
queue is an orphan when the group its name carries has no item in the chatgroup table, in
any state (a dismissal still under way deletes its own queue). Queues younger than
`--min-age-minutes` are left alone: their group may be being created at this moment.

    python -m scripts.orphan_queues --stack chatgroup-prod [--delete]   # a deployed stack, your AWS credentials
    python -m scripts.orphan_queues --local [--delete]                   # the running `make run`
    python -m scripts.orphan_queues --table NAME --prefix PREFIX [--endpoint-url URL] [--delete]
"""

import argparse
import re
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from devstack.aws import FAKE_CREDENTIALS
from devstack.stackfile import StackInfo, stack_file
from devstack.template import load_template, parameter_defaults

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient

GROUP_TABLE = "ChatgroupTable"
"""The logical id of the groups' table in template.yaml (and its name in the local stack)."""
DEFAULT_MIN_AGE_MINUTES = 15
"""Far beyond a create's duration (the function times out after 10 s): a queue this old has lost its group."""
_BATCH_GET_LIMIT = 100


@dataclass(frozen=True)
class Place:
    """Where a stack's groups and queues are: the groups' table, the queue name prefix, and AWS."""

    table: str
    prefix: str
    session: boto3.Session
    endpoint_url: str | None = None

    def dynamodb(self) -> "DynamoDBClient":
        return self.session.client("dynamodb", endpoint_url=self.endpoint_url)

    def sqs(self) -> "SQSClient":
        return self.session.client("sqs", endpoint_url=self.endpoint_url)


@dataclass(frozen=True)
class Queue:
    url: str
    chatgroup_id: str
    age_seconds: float

    def line(self) -> str:
        return f"{self.url}  group {self.chatgroup_id}  {self.age_seconds / 3600:.1f} h old"


@dataclass(frozen=True)
class Findings:
    orphans: list[Queue]
    too_young: list[Queue]
    queues: int


def find_orphans(place: Place, min_age_seconds: float, now: float | None = None) -> Findings:
    """The stack's queues whose group has no item, split by whether they are old enough to be judged."""
    sqs = place.sqs()
    by_group = dict(_group_queues(sqs, place.prefix))
    missing = [group for group in by_group if group not in _existing_groups(place.dynamodb(), place.table, by_group)]
    moment = time.time() if now is None else now
    orphans: list[Queue] = []
    too_young: list[Queue] = []
    for group in sorted(missing):
        created = _created_at(sqs, by_group[group])
        if created is None:
            continue
        queue = Queue(by_group[group], group, moment - created)
        (orphans if queue.age_seconds >= min_age_seconds else too_young).append(queue)
    return Findings(orphans=orphans, too_young=too_young, queues=len(by_group))


_GROUP_ID = re.compile(r"[0-9a-f]{32}")


def _group_queues(sqs: "SQSClient", prefix: str) -> Iterator[tuple[str, str]]:
    """(group id, queue URL) of every queue named `<prefix>-<group id>.fifo`.

    A group id is 32 hex digits (`uuid4().hex`): another stack whose prefix starts with this one's
    (`chatgroup-dev-eu` beside `chatgroup-dev`) names its queues otherwise, so they are never taken for ours.
    """
    start = f"{prefix}-"
    for page in sqs.get_paginator("list_queues").paginate(QueueNamePrefix=start, PaginationConfig={"PageSize": 1000}):
        for url in page.get("QueueUrls", []):
            name = url.rsplit("/", 1)[-1]
            group = name.removeprefix(start).removesuffix(".fifo")
            if name.startswith(start) and name.endswith(".fifo") and _GROUP_ID.fullmatch(group):
                yield group, url


def _existing_groups(dynamodb: "DynamoDBClient", table: str, groups: Iterable[str]) -> set[str]:
    """The groups among `groups` that have an item, read 100 at a time, consistently."""
    ids = list(groups)
    found: set[str] = set()
    for start in range(0, len(ids), _BATCH_GET_LIMIT):
        request: dict[str, Any] = {
            table: {
                "Keys": [{"chatgroup_id": {"S": group}} for group in ids[start : start + _BATCH_GET_LIMIT]],
                "ProjectionExpression": "chatgroup_id",
                "ConsistentRead": True,
            }
        }
        while request:
            answer = dynamodb.batch_get_item(RequestItems=request)
            found |= {item["chatgroup_id"]["S"] for item in answer["Responses"].get(table, [])}
            request = dict(answer.get("UnprocessedKeys") or {})
    return found


def _created_at(sqs: "SQSClient", url: str) -> float | None:
    """When the queue was created (epoch seconds), or None if it is gone already."""
    try:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["CreatedTimestamp"])["Attributes"]
    except sqs.exceptions.QueueDoesNotExist:
        return None
    return float(attributes["CreatedTimestamp"])


def delete(place: Place, queues: Sequence[Queue]) -> None:
    sqs = place.sqs()
    for queue in queues:
        try:
            sqs.delete_queue(QueueUrl=queue.url)
        except sqs.exceptions.QueueDoesNotExist:
            continue


def deployed_stack(stack: str) -> Place:
    """A deployed stack's groups table and queue prefix, read from CloudFormation with your credentials."""
    session = boto3.Session()
    cloudformation = session.client("cloudformation")
    table = cloudformation.describe_stack_resource(StackName=stack, LogicalResourceId=GROUP_TABLE)
    parameters = cloudformation.describe_stacks(StackName=stack)["Stacks"][0].get("Parameters", [])
    prefix = next(
        (p["ParameterValue"] for p in parameters if p["ParameterKey"] == "QueueNamePrefix"),
        parameter_defaults(load_template())["QueueNamePrefix"],
    )
    return Place(table=table["StackResourceDetail"]["PhysicalResourceId"], prefix=prefix, session=session)


def local_stack() -> Place:
    """The running `make run`: its embedded AWS, where tables are named by logical id and parameters are defaults."""
    stack = StackInfo.read(stack_file())
    session = boto3.Session(
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=stack.region,
    )
    prefix = parameter_defaults(load_template())["QueueNamePrefix"]
    return Place(table=GROUP_TABLE, prefix=prefix, session=session, endpoint_url=stack.aws_endpoint_url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make orphan-queues", description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--stack", help="a deployed stack's name (its table and prefix come from CloudFormation)")
    where.add_argument("--local", action="store_true", help="the running `make run` (STACK_FILE)")
    where.add_argument("--table", help="the groups' table name (with --prefix)")
    parser.add_argument("--prefix", help="the stack's QueueNamePrefix (with --table)")
    parser.add_argument("--endpoint-url", help="an AWS endpoint other than AWS's own (with --table)")
    parser.add_argument("--delete", action="store_true", help="delete the orphan queues found")
    parser.add_argument("--min-age-minutes", type=float, default=DEFAULT_MIN_AGE_MINUTES)
    arguments = parser.parse_args(argv)
    if arguments.table and not arguments.prefix:
        parser.error("--table needs --prefix")
    try:
        if arguments.stack:
            place = deployed_stack(arguments.stack)
        elif arguments.local:
            place = local_stack()
        else:
            place = Place(arguments.table, arguments.prefix, boto3.Session(), arguments.endpoint_url)
        findings = find_orphans(place, arguments.min_age_minutes * 60)
        if arguments.delete:
            delete(place, findings.orphans)
    except (OSError, ValueError, BotoCoreError, ClientError) as failure:
        print(f"make orphan-queues: {failure}", file=sys.stderr)
        return 1
    print(report(findings, deleted=arguments.delete, min_age_minutes=arguments.min_age_minutes))
    return 0


def report(findings: Findings, *, deleted: bool, min_age_minutes: float) -> str:
    verb = "deleted" if deleted else "found (add --delete, or DELETE=1, to delete them)"
    lines = [queue.line() for queue in findings.orphans]
    lines.append(f"{len(findings.orphans)} orphan queues of {findings.queues} {verb}")
    if findings.too_young:
        lines.append(
            f"{len(findings.too_young)} queues without a group are younger than {min_age_minutes:g} minutes: left alone"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
