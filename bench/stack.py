"""The stack as the bench drives it: the functions' environment, an embedded moto, handlers by route.

The functions' handlers run in this process, called with API Gateway proxy events, so that a
measured operation is exactly what a request does (validation, domain, AWS calls) without HTTP.
The plumbing (ports, environment, embedded AWS) is the tests' and the local stack's: `devstack.plumbing`.
"""

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from devstack.aws import FAKE_CREDENTIALS, REGION
from devstack.code import Code, load_functions
from devstack.gateway import Router
from devstack.lambda_runtime import LocalFunction, proxy_event
from devstack.plumbing import functions_environment, run_functions_here
from devstack.template import ROOT, functions, load_template

__all__ = ["FAKE_CREDENTIALS", "LAYER", "REGION", "ROOT", "Api", "BenchError", "function_environment"]

LAYER = ROOT / "layers" / "shared"


class BenchError(RuntimeError):
    """The bench could not measure what it set out to: a step of a scripted flow was refused."""


def function_environment() -> dict[str, str]:
    """The variables template.yaml gives the functions, tables named by their logical ids (as the tests name them)."""
    return functions_environment()


def use_layer() -> None:
    """Put the shared layer on sys.path, as Lambda puts /opt/python there."""
    if str(LAYER) not in sys.path:
        sys.path.insert(0, str(LAYER))


def point_process_at(endpoint: str) -> None:
    """Run the functions in this process against the embedded AWS, before anything imports `chatgroup`.

    Powertools' tracing and metrics are off (no X-Ray daemon; metrics would print to stdout) and
    its logger says only warnings, so that the bench's own output stays readable. The fan-out's
    @connections calls go to the embedded AWS, which accepts PostToConnection (no socket behind it).
    """
    os.environ.update(
        POWERTOOLS_TRACE_DISABLED="true", POWERTOOLS_METRICS_DISABLED="true", POWERTOOLS_LOG_LEVEL="WARNING"
    )
    run_functions_here(endpoint)
    os.environ["WEBSOCKET_CALLBACK_URL"] = endpoint


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
def loaded_functions() -> dict[str, LocalFunction]:
    """Each function's module is imported once, as one warm Lambda execution environment would hold it."""
    template = load_template()
    return load_functions(template, functions(template).values(), Code())


@cache
def _router() -> Router:
    return Router(loaded_functions().values())
