"""What API Gateway itself does around the functions: routing, CORS, query strings, the request log."""

import http.client
import json
import re
import socket
import struct
import time
import uuid
from urllib.parse import urlsplit

import pytest
import requests

from devstack.stackfile import StackInfo
from tests.e2e.conftest import StackProcess, User


def test_unknown_route_is_missing_authentication_token(stack: StackInfo, alice: User) -> None:
    # When a signed-in user calls a path the template does not declare
    response = alice.call("GET", "/api/v1/chatgroup/everything")

    # Then API Gateway answers 403 "Missing Authentication Token", with the template's 4XX CORS header
    assert (response.status_code, response.json()) == (403, {"message": "Missing Authentication Token"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_declared_path_with_another_method_is_missing_authentication_token(alice: User) -> None:
    # When the create path, declared for POST, is called with GET
    response = alice.call("GET", "/api/v1/chatgroup/create")

    # Then no route matches
    assert (response.status_code, response.json()) == (403, {"message": "Missing Authentication Token"})


@pytest.mark.local_only  # the local gateway's emulation of API Gateway
@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "QUERY", "PATCH", "BREW"])
def test_a_method_the_api_lacks_is_missing_authentication_token(stack: StackInfo, alice: User, method: str) -> None:
    # Given a route the template declares for POST only
    address = urlsplit(stack.api_url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)

    # When a signed-in user sends it any other method, however unusual
    connection.request(method, "/api/v1/chatgroup/create", headers={"Authorization": alice.token})
    response = connection.getresponse()
    body = response.read()
    connection.close()

    # Then the answer is API Gateway's JSON 403, never a web server's own error page
    assert (response.status, response.getheader("Content-Type")) == (403, "application/json")
    assert json.loads(body) == {"message": "Missing Authentication Token"}


def test_cors_preflight_is_answered_without_a_token(stack: StackInfo) -> None:
    # When a browser sends a preflight for the create route, without a token
    response = requests.options(
        f"{stack.api_url}/api/v1/chatgroup/create",
        headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"},
        timeout=10,
    )

    # Then it gets the template's Cors settings
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Access-Control-Allow-Methods"] == "GET,POST,PUT,DELETE,OPTIONS"
    assert response.headers["Access-Control-Allow-Headers"] == "Content-Type,Authorization,Idempotency-Key"
    assert response.headers["Access-Control-Max-Age"] == "300"


def test_unauthorized_answer_carries_the_cors_header_of_the_gateway_responses(stack: StackInfo) -> None:
    # When a browser calls a route without a token
    response = requests.get(f"{stack.api_url}/api/v1/inbox/get", timeout=10)

    # Then the 401 carries DEFAULT_4XX's header, so the browser can read it
    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_query_string_reaches_the_function(stack: StackInfo, alice: User, dave: User) -> None:
    # Given dave has three invitations
    groups = {alice.create_group()["chatgroup_id"] for _ in range(3)}
    for group in groups:
        alice.send("invitation", group, who_to_invite="dave")

    # When he reads his inbox two messages at a time
    first = dave.call("GET", "/api/v1/inbox/get", limit=2).json()
    second = dave.call("GET", "/api/v1/inbox/get", limit=2, next_token=first["next_token"]).json()

    # Then the limit and the page token are honoured
    assert len(first["messages"]) == 2
    assert first["next_token"]
    pages = first["messages"] + second["messages"]
    assert groups <= {message["chatgroup_id"] for message in pages}


@pytest.mark.local_only  # the local stack's request log
def test_each_request_is_logged_in_one_line(running: StackProcess, alice: User) -> None:
    # When alice reads a group that does not exist
    missing = uuid.uuid4().hex
    assert alice.group(missing).status_code == 404

    # Then the stack logs method, path, status, duration and function in one line
    line = rf"GET /api/v1/chatgroup/get/{missing} 404 \d+\.\d ms GetChatgroupFunction"
    deadline = time.monotonic() + 5
    while not re.search(line, running.output()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert re.search(line, running.output())


@pytest.mark.local_only  # the local stack's request log
def test_tokens_are_not_logged(running: StackProcess, alice: User) -> None:
    # Given alice has made requests with her token
    assert alice.call("GET", "/api/v1/inbox/get").status_code == 200

    # Then the stack's output never shows it
    assert alice.token.split(".")[2] not in running.output()


def test_request_headers_reach_the_function(stack: StackInfo, alice: User) -> None:
    # Given a create alice sends twice with the same Idempotency-Key, as a client retrying would
    key = uuid.uuid4().hex
    headers = {"Authorization": alice.token, "Idempotency-Key": key}

    # When both reach the function
    answers = [
        requests.post(
            f"{stack.api_url}/api/v1/chatgroup/create",
            json={"name": "Retried", "capacity": 3},
            headers=headers,
            timeout=10,
        ).json()
        for _ in range(2)
    ]

    # Then the function saw the header: the retry got the first group back instead of a second one
    assert answers[0] == answers[1]
    assert "chatgroup_id" in answers[0]


def raw_exchange(stack: StackInfo, request: bytes) -> tuple[http.client.HTTPResponse, bytes]:
    """Send bytes as they are, however malformed, and read the answer as any HTTP client would."""
    address = urlsplit(stack.api_url)
    with socket.create_connection((address.hostname or "", address.port or 80), timeout=30) as connection:
        connection.sendall(request)
        response = http.client.HTTPResponse(connection)
        response.begin()
        return response, response.read()


MALFORMED_REQUESTS = {
    "http-2-request-line": (b"GET /api/v1/chatgroup/mine HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    "garbage-request-line": (b"\x16\x03\x01 garbage that is no request line\r\n\r\n", 400),
    "http-0.9-request-line": (b"GET /api/v1/chatgroup/mine\r\n", 400),
    "header-over-64-kib": (b"GET /api/v1/chatgroup/mine HTTP/1.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", 431),
    "request-line-over-64-kib": (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414),
    "negative-content-length": (b"POST /api/v1/chatgroup/create HTTP/1.1\r\nContent-Length: -1\r\n\r\n{}", 400),
    "two-content-lengths": (
        b"POST /api/v1/chatgroup/create HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        400,
    ),
    "negative-chunk-size": (
        b"POST /api/v1/chatgroup/create HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n{}\r\n0\r\n\r\n",
        400,
    ),
}


@pytest.mark.local_only  # the local gateway's own HTTP parsing
@pytest.mark.parametrize(("request_bytes", "status"), MALFORMED_REQUESTS.values(), ids=MALFORMED_REQUESTS)
def test_a_malformed_request_gets_api_gateways_json_error_at_once(
    stack: StackInfo, request_bytes: bytes, status: int
) -> None:
    # When a client sends a request no HTTP/1.1 server should take (the socket gives up after 30 s without answer)
    response, body = raw_exchange(stack, request_bytes)

    # Then the gateway answers at once, with a status line, the right status and a JSON message, and closes
    assert (response.status, response.getheader("Content-Type")) == (status, "application/json"), body
    assert set(json.loads(body)) == {"message"}
    assert response.getheader("Connection") == "close"


@pytest.mark.local_only  # the local stack's log
def test_a_client_that_goes_away_before_its_answer_is_dropped_without_a_traceback(running: StackProcess) -> None:
    # Given a client that asks for the OpenAPI document (100 KB) and resets the connection without reading it
    stack = StackInfo.read(running.stack_file)
    address = urlsplit(stack.api_url)
    with socket.create_connection((address.hostname or "", address.port or 80), timeout=30) as connection:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.sendall(b"GET /api/v1/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n")

    # When the gateway has tried to answer it
    deadline = time.monotonic() + 30
    while "closed the connection before it was answered" not in running.output():
        assert time.monotonic() < deadline, running.output()[-2000:]
        time.sleep(0.05)

    # Then the run log says so in one line, with no traceback, and the gateway still answers others
    assert "Traceback" not in running.output()
    assert requests.get(f"{stack.api_url}/api/v1/openapi.json", timeout=10).status_code == 200
