"""Defects the fuzzer found in the domain, fixed; each test states the right behaviour, over HTTP."""

import json
from typing import Any

import pytest
import requests

from devstack.stackfile import StackInfo
from tests.reliability.conftest import Accounts

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
