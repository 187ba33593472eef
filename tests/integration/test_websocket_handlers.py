"""The WebSocket API's $connect and $default functions, called with the events of events/ as Lambda would."""

import json
from typing import Any

from devstack.lambda_runtime import Handler, LambdaContext
from tests.integration.conftest import EVENTS


def _call(handlers: dict[str, Handler], function: str, event: str, **changes: Any) -> dict[str, Any]:
    request = json.loads((EVENTS / f"{event}.json").read_text())
    request["requestContext"]["authorizer"]["principalId"] = changes.pop("user", "bob")
    request |= changes
    return dict(handlers[function](request, LambdaContext(function_name=function)))


def test_connect_refuses_an_account_name_the_rest_api_refuses_with_403(aws: None, handlers: dict[str, Handler]) -> None:
    # Given a verified token of a user whose name breaks the user-id rule (self sign-up allowed it)
    # When the user opens a WebSocket
    answer = _call(handlers, "WebSocketConnectFunction", "ws_connect", user="ev;il")

    # Then $connect refuses it, as the REST API does, with a reason
    assert (answer["statusCode"], "cannot use chatgroups" in answer["body"]) == (403, True)


def test_connect_accepts_a_usable_account_name(aws: None, handlers: dict[str, Handler]) -> None:
    # Given a user with a usable name
    # When the user opens a WebSocket
    answer = _call(handlers, "WebSocketConnectFunction", "ws_connect", user="bob")

    # Then the connection is accepted
    assert answer["statusCode"] == 200


def test_a_frame_nested_too_deeply_is_answered_with_an_error_frame(aws: None, handlers: dict[str, Handler]) -> None:
    # Given a 20,000-byte frame of nested arrays (under API Gateway's 32 KB frame limit)
    body = "[" * 10_000 + "]" * 10_000

    # When it reaches $default
    answer = _call(handlers, "WebSocketDefaultFunction", "ws_default_ping", body=body)

    # Then it is answered with the error frame and its reason, not a crash
    assert (answer["statusCode"], json.loads(answer["body"])["type"]) == (400, "error")


def test_a_ping_is_answered_with_pong(aws: None, handlers: dict[str, Handler]) -> None:
    # Given a ping frame
    # When it reaches $default
    answer = _call(handlers, "WebSocketDefaultFunction", "ws_default_ping")

    # Then the answer is a pong
    assert json.loads(answer["body"]) == {"type": "pong"}
