"""The stack as the bench drives it: template.yaml's environment, an embedded moto, handlers by route.

The functions' handlers run in this process, called with API Gateway proxy events, so that a
measured operation is exactly what a request does (validation, domain, AWS calls) without HTTP.
"""

import json
import os
import socket
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
import requests

from devstack.code import Code, load_functions
from devstack.gateway import Router
from devstack.lambda_runtime import proxy_event
from devstack.template import (
    ROOT,
    functions,
    load_template,
    parameter_defaults,
    resolve,
    table_definitions,
)

LAYER = ROOT / "layers" / "shared"
REGION = "us-east-1"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


class BenchError(RuntimeError):
    """The bench could not measure what it set out to: a step of a scripted flow was refused."""


class _LocalNames(dict[str, str]):
    """References resolved as the tests resolve them; one the bench has no local name for keeps its own name."""

    def __missing__(self, key: str) -> str:
        return key


def local_refs() -> dict[str, str]:
    template = load_template()
    return _LocalNames(
        parameter_defaults(template) | {logical_id: logical_id for logical_id in table_definitions(template)}
    )


def function_environment() -> dict[str, str]:
    """The variables template.yaml gives the functions, tables named by their logical ids (as the tests name them)."""
    refs = local_refs()
    environment: dict[str, str] = {}
    for spec in functions(load_template()).values():
        environment |= {name: str(resolve(value, refs)) for name, value in spec.environment.items()}
    return environment


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def use_layer() -> None:
    """Put the shared layer on sys.path, as Lambda puts /opt/python there."""
    if str(LAYER) not in sys.path:
        sys.path.insert(0, str(LAYER))


def point_process_at(endpoint: str) -> None:
    """Set this process's environment as the tests do, before anything imports `chatgroup`.

    Powertools' tracing and metrics are off (no X-Ray daemon; metrics would print to stdout) and
    its logger says only warnings, so that the bench's own output stays readable.
    """
    os.environ.update(
        FAKE_CREDENTIALS
        | function_environment()
        | {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
    )


@contextmanager
def embedded_aws() -> Iterator[str]:
    """The embedded AWS of `make run` and the tests, on a free loopback port; yields its endpoint."""
    from devstack.aws import EmbeddedAws

    server = EmbeddedAws(port=0)
    server.start()
    try:
        yield server.endpoint_url
    finally:
        server.stop()


def reset_aws(endpoint: str) -> None:
    """Empty the embedded AWS and create template.yaml's tables again, so each part starts from nothing."""
    requests.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()
    dynamodb = raw_client("dynamodb", endpoint)
    for definition in table_definitions(load_template()).values():
        dynamodb.create_table(**definition)


def raw_client(service: str, endpoint: str) -> Any:
    """A client of the bench's own, for setting up and inspecting state; its calls are never counted."""
    sdk: Any = boto3
    return sdk.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any


class Api:
    """The API as API Gateway would call it: the local stack's router sends a method and a path to its function."""

    def has_route(self, method: str, resource: str) -> bool:
        return any(e.route.method == method and e.route.path == resource for e in _router().endpoints)

    def call(
        self,
        method: str,
        path: str,
        user: str,
        body: Any = None,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        found = _router().find(method, path)
        if found is None:
            raise BenchError(f"template.yaml has no route for {method} {path}")
        endpoint, parameters = found
        event = proxy_event(
            method,
            endpoint.route.path,
            claims={"cognito:username": user, "token_use": "id"},
            body=body,
            path=path,
            path_parameters=parameters or None,
            query=query,
            headers=headers,
        )
        response = endpoint.function.invoke(event)
        return Reply(response["statusCode"], json.loads(response["body"]) if response.get("body") else None)

    def ok(
        self,
        method: str,
        path: str,
        user: str,
        body: Any = None,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Call and insist on a 200: a scripted flow whose step is refused measures nothing."""
        reply = self.call(method, path, user, body, query, headers)
        if reply.status != 200:
            raise BenchError(f"{method} {path} as {user} answered {reply.status}: {reply.body}")
        return reply.body


@cache
def _router() -> Router:
    """Each function's module is imported once, as one warm Lambda execution environment would hold it."""
    template = load_template()
    return Router(load_functions(template, functions(template).values(), Code()).values())
