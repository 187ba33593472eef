"""The AWS SDK objects a function shares: one botocore session, one DynamoDB connection for every table.

PynamoDB gives each model a Connection of its own, each with its own botocore session and client:
a first request that touched three tables loaded DynamoDB's service model and the endpoint rules
three times, and opened three connection pools. One session loads each service's model once (SQS,
@connections and Powertools idempotency create their clients from it too); one Connection is one
DynamoDB client. Measured in `make bench` (docs/decisions/1401-cold-start-and-snapstart.md).
"""

from functools import cache
from typing import TYPE_CHECKING, Any, cast

from botocore.client import BaseClient
from pynamodb.connection import Connection

from chatgroup.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

CONNECT_TIMEOUT_SECONDS = 2
READ_TIMEOUT_SECONDS = 5
MAX_RETRY_ATTEMPTS = 3


@cache
def dynamodb() -> Connection:
    """The DynamoDB connection every model (and every transaction) sends through."""
    settings = get_settings()
    return Connection(
        region=settings.region,
        host=settings.dynamodb_endpoint,
        connect_timeout_seconds=CONNECT_TIMEOUT_SECONDS,
        read_timeout_seconds=READ_TIMEOUT_SECONDS,
        max_retry_attempts=MAX_RETRY_ATTEMPTS,
    )


def dynamodb_client() -> "DynamoDBClient":
    """The botocore DynamoDB client under `dynamodb()`, for libraries that take a client (idempotency)."""
    return cast("DynamoDBClient", dynamodb().client)


def create_client(service: str, **options: Any) -> Any:
    """A botocore client of `service` from the shared session; `drop_connections` closes its pool too."""
    client = dynamodb().session.create_client(service, **options)
    _other_clients.append(client)
    return client


_other_clients: list[BaseClient] = []


def drop_connections() -> None:
    """Close every pooled HTTP connection of the clients created so far; their next call opens a fresh one.

    After a SnapStart restore, sockets opened before the snapshot point at peers that have long
    forgotten them."""
    created = dynamodb()._client
    for client in [created, *_other_clients] if created is not None else _other_clients:
        client.close()
