"""Call each function's handler with the API Gateway events of events/, as Lambda would."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from devstack.lambda_runtime import Handler, LambdaContext, load_handler
from devstack.template import functions
from tests.conftest import TEMPLATE

EVENTS = Path(__file__).resolve().parents[2] / "events"


@dataclass
class Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    text: str
    """The body as the handler wrote it, before it is read as JSON."""


@pytest.fixture(scope="session")
def handlers() -> dict[str, Handler]:
    return {logical_id: load_handler(spec) for logical_id, spec in functions(TEMPLATE).items()}


Invoke = Callable[..., Reply]


@pytest.fixture
def invoke(aws: None, handlers: dict[str, Handler]) -> Invoke:
    """Send events/<event>.json to `function` as `user`, with body fields and path parameters replaced."""

    def send(
        function: str,
        event: str,
        user: str | None,
        body: dict[str, Any] | str | None = None,
        path_parameters: dict[str, str] | None = None,
        query: dict[str, str | list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        request = json.loads((EVENTS / f"{event}.json").read_text())
        if user is None:
            request["requestContext"]["authorizer"] = None
        else:
            request["requestContext"]["authorizer"]["claims"]["cognito:username"] = user
        if isinstance(body, str):
            request["body"] = body
        elif body is not None:
            request["body"] = json.dumps(json.loads(request["body"]) | body)
        if path_parameters is not None:
            request["pathParameters"] = path_parameters
            request["path"] = request["resource"].format(**path_parameters)
        if query is not None:  # a list: the parameter given that many times; API Gateway's single map has the last
            given = {name: value if isinstance(value, list) else [value] for name, value in query.items()}
            request["queryStringParameters"] = {name: values[-1] for name, values in given.items()}
            request["multiValueQueryStringParameters"] = given
        for name, value in (headers or {}).items():
            request["headers"][name] = value
            request["multiValueHeaders"][name] = [value]
        response = handlers[function](request, LambdaContext(function_name=function))
        response_headers = {name: values[-1] for name, values in response.get("multiValueHeaders", {}).items()}
        return Reply(response["statusCode"], json.loads(response["body"]), response_headers, response["body"])

    return send
