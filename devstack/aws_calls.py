"""A log of the AWS calls each function makes, so tests/iam can check them against the functions' IAM policies.

With CHATGROUP_AWS_CALLS naming a folder, every process that loads a function (the test session
itself, and each `python -m devstack.run` it starts, which inherits the variable) writes the calls
its functions make to a file of its own there: one JSON line per distinct call. A call is
attributed to the function whose handler (or module, at import) is running in that thread or
task, as `devstack.lambda_runtime` marks it; calls made by the tests themselves are not logged.

Every SDK path of the layer ends in `botocore.client.BaseClient._make_api_call` (boto3's clients,
PynamoDB's botocore client, ours for SQS), so wrapping that one method sees every call of every
client, including clients created before the log was opened. A call is logged before it is sent:
IAM decides before the service does, so a call that fails its condition still needed the grant.
"""

import json
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from botocore.client import BaseClient

LOG_FOLDER_VARIABLE = "CHATGROUP_AWS_CALLS"

_running_function: ContextVar[str | None] = ContextVar("running_function", default=None)

_NAMING_PARAMETERS = ("TableName", "IndexName", "QueueUrl", "QueueName", "StreamArn", "ConnectionId")
"""Top-level request parameters that name the resource a call acts on."""


@dataclass(frozen=True)
class AwsCall:
    """One call as IAM sees it: who made it, to which service and operation, on what.

    `parameters` keeps only what names resources: the `_NAMING_PARAMETERS`, each
    `TransactItems` entry's kind and table, the tables of `RequestItems`; `given` lists the
    names of every top-level parameter sent (CreateQueue with `tags` needs sqs:TagQueue too).
    """

    function: str
    service: str
    operation: str
    region: str
    endpoint: str
    parameters: dict[str, Any] = field(default_factory=dict)
    given: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, line: str) -> "AwsCall":
        fields = json.loads(line)
        return cls(**(fields | {"given": tuple(fields.get("given", ()))}))

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def naming_parameters(params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters of a request that name what it acts on, and nothing else (no keys, no item values)."""
    named: dict[str, Any] = {name: params[name] for name in _NAMING_PARAMETERS if isinstance(params.get(name), str)}
    if isinstance(params.get("TransactItems"), list):
        named["TransactItems"] = [
            {kind: {"TableName": body.get("TableName")}}
            for entry in params["TransactItems"]
            for kind, body in entry.items()
        ]
    if isinstance(params.get("RequestItems"), Mapping):
        named["RequestItems"] = sorted(params["RequestItems"])
    return named


@contextmanager
def running_as(function: str) -> Iterator[None]:
    """Attribute the AWS calls made in this block (this thread or task) to `function`."""
    token = _running_function.set(function)
    try:
        yield
    finally:
        _running_function.reset(token)


@contextmanager
def outside_any_function() -> Iterator[None]:
    """Log none of the calls made in this block: a test's own reads in the middle of a function's call."""
    token = _running_function.set(None)
    try:
        yield
    finally:
        _running_function.reset(token)


class _CallLog:
    """This process's file in the log folder; each distinct call is written once, as soon as it is made."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._path = folder / f"calls-{os.getpid()}.jsonl"
        self._written: set[str] = set()
        self._lock = threading.Lock()

    def write(self, call: AwsCall) -> None:
        line = call.to_json()
        with self._lock:
            if line in self._written:
                return
            self._written.add(line)
            with self._path.open("a") as log:
                log.write(line + "\n")


_installed: _CallLog | None = None


def log_calls_if_asked() -> None:
    """Log this process's function calls to the folder CHATGROUP_AWS_CALLS names, if it names one (once)."""
    global _installed
    folder = os.environ.get(LOG_FOLDER_VARIABLE)
    if not folder or _installed is not None:
        return
    log = _installed = _CallLog(Path(folder))
    send = BaseClient._make_api_call  # type: ignore[attr-defined]

    def logged(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        function = _running_function.get()
        if function is not None:
            log.write(
                AwsCall(
                    function=function,
                    service=client.meta.service_model.service_name,
                    operation=operation,
                    region=client.meta.region_name,
                    endpoint=client.meta.endpoint_url,
                    parameters=naming_parameters(params),
                    given=tuple(sorted(params)),
                )
            )
        return send(client, operation, params)

    BaseClient._make_api_call = logged  # type: ignore[attr-defined]


def read_calls(folder: Path) -> list[AwsCall]:
    """Every distinct call logged in `folder`, by every process that wrote there."""
    lines = {line.strip() for path in folder.glob("calls-*.jsonl") for line in path.read_text().splitlines()}
    return [AwsCall.from_json(line) for line in sorted(lines) if line]
