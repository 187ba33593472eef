"""What API Gateway itself does around the functions: routing, CORS, query strings, the request log."""

import http.client
import json
import re
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
