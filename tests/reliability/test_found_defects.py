"""Defects the fuzzer found in the domain, fixed; each test states the right behaviour, over HTTP."""

import base64
import json
from typing import Any

import pytest
import requests

from devstack.stackfile import StackInfo
from tests.reliability.conftest import Accounts, AwsSnapshots

BODIES: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/api/v1/chatgroup/create", {"name": "Form", "capacity": 3}),
    ("PUT", "/api/v1/chatgroup/put", {"type": "leave", "chatgroup_id": "0f8b", "who_leave": "alice"}),
    ("DELETE", "/api/v1/chatgroup/delete", {"type": "dismiss", "chatgroup_id": "0f8b", "creator_id": "alice"}),
    ("POST", "/api/v1/inbox/create", {"type": "application", "chatgroup_id": "0f8b"}),
]


@pytest.mark.parametrize(("method", "path", "body"), BODIES, ids=[f"{m} {p}" for m, p, _ in BODIES])
def test_a_multipart_content_type_without_a_boundary_is_refused_as_bad_input(
    stack: StackInfo, accounts: Accounts, method: str, path: str, body: dict[str, Any]
) -> None:
    # When a client labels its body multipart/form-data, and gives no boundary
    headers = {"Authorization": accounts("alice").token, "Content-Type": "multipart/form-data"}
    response = requests.request(method, f"{stack.api_url}{path}", data=json.dumps(body), headers=headers, timeout=30)

    # Then it is bad input, as for any other body that is not JSON, not a failure of the service
    assert (response.status_code, response.json()["result"]) == (400, "fail")


CREATE = "/api/v1/chatgroup/create"
HOSTILE_BODIES = {
    "50,000 nested [": ('{"name": "x", "capacity": 3, "z": ' + "[" * 50_000, "nests arrays or objects too deeply"),
    "5,000-digit capacity": ('{"name": "x", "capacity": ' + "9" * 5000 + "}", "an integer of more than 38 digits"),
    "lone surrogate escape": ('{"name": "a\\ud800b", "capacity": 3}', "lone UTF-16 surrogate"),
    "9 MiB member list": (
        json.dumps({"name": "x", "capacity": 3, "memberlist": ";".join(f"u{index}" for index in range(1_200_000))}),
        "The request body is larger than 64 KiB.",
    ),
}


@pytest.mark.parametrize(("body", "reason"), HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_a_body_python_cannot_read_as_is_is_refused_as_bad_input_and_changes_nothing(
    stack: StackInfo, accounts: Accounts, aws_snapshots: AwsSnapshots, body: str, reason: str
) -> None:
    # Given what the embedded AWS holds
    before = aws_snapshots.take()

    # When a client sends a body that once failed the service (500: RecursionError, int limit; 503: DynamoDB)
    headers = {"Authorization": accounts("alice").token, "Content-Type": "application/json"}
    response = requests.post(f"{stack.api_url}{CREATE}", data=body.encode(), headers=headers, timeout=60)

    # Then it is bad input with its reason, and nothing changed
    assert (response.status_code, response.json()["result"]) == (400, "fail")
    assert reason in response.json()["reason"]
    assert aws_snapshots.take().changes_since(before) == []


def test_a_forged_page_token_is_refused_as_bad_input(stack: StackInfo, accounts: Accounts) -> None:
    key = {"recipient_id": {"S": "alice"}, "pending_key": {"S": "x"}, "created_at": {"N": "not a number"}}
    token = base64.urlsafe_b64encode(json.dumps(key).encode()).decode()

    response = accounts("alice").call("GET", "/api/v1/inbox/get", next_token=token)

    assert (response.status_code, response.json()["result"]) == (400, "fail")


@pytest.mark.parametrize("chatgroup_id", ["%22", "a%5Cb", "%23", "%F0%9F%8E%89"], ids=['"', "\\", "#", "emoji"])
def test_a_group_id_outside_the_routes_pattern_is_refused_not_a_failure(
    stack: StackInfo, accounts: Accounts, chatgroup_id: str
) -> None:
    response = accounts("alice").call("GET", f"/api/v1/chatgroup/get/{chatgroup_id}")

    # Then it is refused: 400 when the event's path is percent-encoded (the id fails validation), 404 when it is
    # decoded (Powertools' route pattern does not match it); it was a 500 for a decoded path
    assert (response.status_code in (400, 404), response.json()["result"]) == (True, "fail")
