"""Fixtures shared by every test: an embedded AWS (moto in server mode) and the stack's tables.

The embedded AWS is `make run`'s (devstack.aws.EmbeddedAws): it handles one request at a
time and applies transactions as DynamoDB does (devstack.faithful_aws), so that a race the
concurrency tests find is one in our code, not in the emulator. The functions' environment
comes from template.yaml, so the tests run with exactly what a deployment sets.
"""

import functools
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from devstack import plumbing
from devstack.aws import create_queues
from devstack.lambda_runtime import LambdaContext, load_handler
from devstack.streams import StreamDriver, stream_mappings
from devstack.template import functions, load_template, table_definitions

AWS_PORT = plumbing.free_port()
AWS_ENDPOINT = f"http://127.0.0.1:{AWS_PORT}"
TEMPLATE = load_template()
TABLES = table_definitions(TEMPLATE)

os.environ.setdefault("PARAMETER_OVERRIDES", "MaxLiveGroupsPerUser=1000 MaxPendingMessagesPerUser=1000")
"""Quotas no flow of the suite reaches (the authorization matrix creates hundreds of groups as one user), in this
process and every local stack it starts; the quota tests set small ones (`quota_limits`)."""
os.environ.update(POWERTOOLS_TRACE_DISABLED="true", POWERTOOLS_METRICS_DISABLED="true")
plumbing.run_functions_here(AWS_ENDPOINT, TEMPLATE)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    with plumbing.embedded_aws(AWS_PORT) as endpoint:
        yield endpoint


def reset_aws() -> None:
    """Empty the embedded AWS and create the template's tables again."""
    plumbing.reset_aws(AWS_ENDPOINT, TEMPLATE)


@pytest.fixture
def aws(moto_server: str) -> None:
    """A fresh embedded AWS with the template's tables, for one test."""
    reset_aws()


@pytest.fixture
def queue_deletion_fails(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """SQS refuses to delete queues until the returned monkeypatch is undone."""
    from chatgroup import groups
    from chatgroup.errors import ServiceUnavailable

    def refuse(url: str) -> None:
        raise ServiceUnavailable("The chat queue could not be deleted; please retry.")

    monkeypatch.setattr(groups, "delete_group_queue", refuse)
    return monkeypatch


@pytest.fixture
def new_group(aws: None):
    """Create a group as `creator` with extra `members`, the way the API does."""
    from chatgroup.groups import create_chatgroup
    from chatgroup.schemas import CreateChatgroupRequest

    def create(creator: str = "alice", capacity: int = 5, members: tuple[str, ...] = (), eventid: str | None = None):
        request = CreateChatgroupRequest(
            name="Front row crew", capacity=capacity, memberlist=list(members), eventid=eventid
        )
        return create_chatgroup(creator, request)

    return create


@pytest.fixture
def quota_limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Small per-user quotas for one test, set as template.yaml sets them: in the functions' environment."""
    from chatgroup.settings import get_settings

    def limit(*, live_groups: int | None = None, pending_messages: int | None = None) -> None:
        limits = {"MAX_LIVE_GROUPS_PER_USER": live_groups, "MAX_PENDING_MESSAGES_PER_USER": pending_messages}
        for name, value in limits.items():
            if value is not None:
                monkeypatch.setenv(name, str(value))
        get_settings.cache_clear()

    yield limit
    get_settings.cache_clear()


@pytest.fixture
def stream_driver(aws: None) -> Callable[..., StreamDriver]:
    """The template's DynamoDB stream triggers of the named functions, driven from the embedded AWS as in `make run`.

    The functions' handlers are the template's, attributed to them for tests/iam; each mapping
    starts at the start of the fresh tables' streams and has the template's on-failure queue.
    """

    def driver(*names: str) -> StreamDriver:
        specs = functions(TEMPLATE)
        handlers = {name: load_handler(specs[name]) for name in names}
        return StreamDriver(
            AWS_ENDPOINT,
            [mapping for mapping in stream_mappings(TEMPLATE) if mapping.function in names],
            {name: functools.partial(_invoke, handler, name) for name, handler in handlers.items()},
            queue_urls=create_queues(AWS_ENDPOINT, TEMPLATE, {}),
        )

    return driver


def _invoke(handler: Callable[..., Any], name: str, event: dict[str, Any]) -> Any:
    return handler(event, LambdaContext(function_name=name))
