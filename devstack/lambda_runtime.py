"""Run a function's handler in this process the way Lambda behind API Gateway would."""

import functools
import importlib.util
import json
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from aws_lambda_powertools import Metrics

from devstack.aws_calls import log_calls_if_asked, running_as
from devstack.template import FunctionSpec, UnsupportedTemplate, resolve

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that Powertools and handlers read."""

    function_name: str
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = ""
    log_group_name: str = ""
    log_stream_name: str = ""
    deadline_ms: int = field(default_factory=lambda: int(time.time() * 1000) + 10_000)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self.deadline_ms - int(time.time() * 1000))


def load_handler(spec: FunctionSpec) -> Handler:
    """Import a function's module under its own name (every function's file is `app.py`).

    The AWS calls of its import and of every invocation are attributed to the function, for
    `devstack.aws_calls` to log when asked (tests/iam checks them against its IAM policy).
    """
    log_calls_if_asked()
    module_file, function_name = spec.handler.rsplit(".", 1)
    path = spec.code_uri / f"{module_file.replace('.', '/')}.py"
    module_spec = importlib.util.spec_from_file_location(f"function_{spec.logical_id}", path)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module: ModuleType = importlib.util.module_from_spec(module_spec)
    with running_as(spec.logical_id):
        module_spec.loader.exec_module(module)
    handler: Handler = getattr(module, function_name)

    @functools.wraps(handler)
    def invoke_as_function(event: dict[str, Any], context: Any) -> dict[str, Any]:
        with running_as(spec.logical_id):
            return handler(event, context)

    return invoke_as_function


def proxy_event(
    method: str,
    resource: str,
    *,
    claims: Mapping[str, str] | None,
    body: Any = None,
    path: str | None = None,
    path_parameters: Mapping[str, str] | None = None,
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    stage: str = "dev",
) -> dict[str, Any]:
    """A REST API (v1) proxy event as API Gateway delivers it after the Cognito authorizer."""
    raw_body = body if body is None or isinstance(body, str) else json.dumps(body)
    request_headers = {"Content-Type": "application/json"} | dict(headers or {})
    return {
        "resource": resource,
        "path": path or resource,
        "httpMethod": method,
        "headers": request_headers,
        "multiValueHeaders": {name: [value] for name, value in request_headers.items()},
        "queryStringParameters": dict(query) if query else None,
        "multiValueQueryStringParameters": {name: [value] for name, value in query.items()} if query else None,
        "pathParameters": dict(path_parameters) if path_parameters else None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/{stage}{path or resource}",
            "stage": stage,
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": "127.0.0.1", "userAgent": request_headers.get("User-Agent", "")},
            "authorizer": {"claims": dict(claims)} if claims is not None else None,
        },
        "body": raw_body,
        "isBase64Encoded": False,
    }


def function_environment(spec: FunctionSpec, refs: Mapping[str, str]) -> dict[str, str]:
    """The variables Lambda sets for a function: Globals' and its own, references resolved to local names."""
    return {name: str(resolve(value, refs)) for name, value in spec.environment.items()}


def shared_environment(specs: Iterable[FunctionSpec], refs: Mapping[str, str]) -> dict[str, str]:
    """One process runs every function, so their variables must agree; a conflict is refused, not guessed."""
    merged: dict[str, str] = {}
    owners: dict[str, str] = {}
    for spec in specs:
        for name, value in function_environment(spec, refs).items():
            if merged.setdefault(name, value) != value:
                raise UnsupportedTemplate(
                    f"{owners[name]} and {spec.logical_id} set {name} differently; "
                    "the local stack runs every function in one process and cannot give each its own value"
                )
            owners.setdefault(name, spec.logical_id)
    return merged


def prepend_to_path(directories: Iterable[Path]) -> None:
    """Put layer folders first on sys.path, as Lambda puts /opt/python before the runtime's packages."""
    for directory in reversed(list(directories)):
        sys.path.insert(0, str(directory))


_ONE_EVENT_AT_A_TIME = threading.Lock()
"""Powertools keeps the current event in state shared by every resolver of a process, so the local
stack, which runs every function in one process, handles one event at a time across all of them."""


def _drop_metrics() -> None:
    """Empty the invocation's metrics, as Lambda's flush at the end of each invocation does.

    The local stack turns Powertools' metrics off (POWERTOOLS_METRICS_DISABLED), and then its flush
    keeps them; the set, shared by every Metrics of the process, grew across invocations until
    Powertools printed it anyway, at 100 values of one metric, to the stack's output."""
    Metrics().clear_metrics()


@dataclass
class LocalFunction:
    """A loaded function, invoked like one warm execution environment (see `_ONE_EVENT_AT_A_TIME`)."""

    spec: FunctionSpec
    handler: Handler
    timeout_seconds: int
    memory_mb: int
    arn: str

    def invoke(self, event: dict[str, Any]) -> Any:
        with _ONE_EVENT_AT_A_TIME:
            try:
                return self.handler(event, self.context())
            finally:
                _drop_metrics()

    def context(self) -> LambdaContext:
        return LambdaContext(
            function_name=self.spec.logical_id,
            memory_limit_in_mb=self.memory_mb,
            invoked_function_arn=self.arn,
            log_group_name=f"/aws/lambda/{self.spec.logical_id}",
            log_stream_name=f"local/{uuid.uuid4().hex}",
            deadline_ms=int(time.time() * 1000) + self.timeout_seconds * 1000,
        )
