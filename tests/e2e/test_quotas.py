"""Quotas over HTTP, on a stack started with small ones of its own (PARAMETER_OVERRIDES, as `make run` takes it)."""

from collections.abc import Callable

import pytest

from devstack.stackfile import StackInfo
from tests.e2e.conftest import StackProcess, User, sign_in

pytestmark = pytest.mark.local_only  # each test starts a local stack with quotas of its own

INBOX_RETENTION_SECONDS = 30 * 86_400
"""How long an inbox message awaits a decision before it expires, as the README's quota table states it.

Stated here, not imported from the layer: its models read the functions' environment at import, which
`make e2e STACK_NAME=…` does not set, and a test over HTTP checks the service against what it promises.
"""


def user(stack: StackInfo, name: str) -> User:
    return User(name=name, api_url=stack.api_url, token=sign_in(stack, name, stack.users[name])["IdToken"])


def test_a_stack_with_small_quotas_answers_429_and_says_when_waiting_helps(
    start_stack: Callable[..., StackProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a stack whose users may each have one live group and one message awaiting a decision
    monkeypatch.setenv("PARAMETER_OVERRIDES", "MaxLiveGroupsPerUser=1 MaxPendingMessagesPerUser=1")
    process = start_stack()
    stack = process.wait_until_ready()
    alice, bob, dave = (user(stack, name) for name in ("alice", "bob", "dave"))
    group, other = alice.create_group()["chatgroup_id"], bob.create_group()["chatgroup_id"]
    dave.send("application", group)

    # When alice creates a second group and dave applies to a second one
    second_group = alice.call("POST", "/api/v1/chatgroup/create", {"name": "Second", "capacity": 5})
    second_application = dave.call("POST", "/api/v1/inbox/create", {"type": "application", "chatgroup_id": other})

    # Then both are 429: alice must dismiss a group, dave may retry when his application expires
    assert (second_group.status_code, second_group.json()["result"]) == (429, "fail")
    assert "Retry-After" not in second_group.headers
    assert (second_application.status_code, second_application.json()["result"]) == (429, "fail")
    assert INBOX_RETENTION_SECONDS - 60 <= int(second_application.headers["Retry-After"]) <= INBOX_RETENTION_SECONDS
    process.stop()


def test_a_stack_refuses_to_start_on_an_override_of_no_parameter(
    start_stack: Callable[..., StackProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARAMETER_OVERRIDES", "MaxLiveGroups=1")
    process = start_stack()
    assert process.process.wait(30) == 1
    assert "PARAMETER_OVERRIDES: 'MaxLiveGroups=1' is not Key=Value for a parameter" in process.output()
