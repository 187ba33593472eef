"""`make invoke` and `make token`, run as their modules with the stack file of the test stack."""

import json
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from devstack.lambda_runtime import proxy_event
from devstack.stackfile import StackInfo
from devstack.template import ROOT
from tests.e2e.conftest import StackProcess, User, stack_environment

pytestmark = pytest.mark.local_only  # make invoke and make token run against the local stack

CLAIMS = {"cognito:username": "carol", "token_use": "id"}


def run_module(module: str, *arguments: str, stack_file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", module, *arguments],
        cwd=ROOT,
        env=stack_environment(stack_file.parent, STACK_FILE=str(stack_file)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def write_event(folder: Path, event: dict[str, Any]) -> Path:
    path = folder / "event.json"
    path.write_text(json.dumps(event))
    return path


def test_invoke_runs_against_the_running_stack(running: StackProcess, alice: User, tmp_path: Path) -> None:
    # Given a group alice created through the API, and an event reading it
    group = alice.create_group(name="Invoked")["chatgroup_id"]
    event = proxy_event(
        "GET",
        "/api/v1/chatgroup/get/{chatgroup_id}",
        claims=CLAIMS,
        path=f"/api/v1/chatgroup/get/{group}",
        path_parameters={"chatgroup_id": group},
    )

    # When GetChatgroupFunction is invoked with it
    result = run_module(
        "devstack.invoke", "GetChatgroupFunction", str(write_event(tmp_path, event)), stack_file=running.stack_file
    )

    # Then it ran against the stack's AWS: it found the group, and stdout is the response alone
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["Name"] == "Invoked"


def test_invoke_of_the_websocket_authorizer_allows_a_token_of_the_running_stack(
    running: StackProcess, bob: User, tmp_path: Path
) -> None:
    # Given the shipped $connect authorizer event, with bob's ID token in place of its placeholder (as the README says)
    event = json.loads((ROOT / "events" / "ws_authorizer.json").read_text())
    event["queryStringParameters"]["token"] = bob.token

    # When WebSocketAuthorizerFunction is invoked with it
    result = run_module(
        "devstack.invoke",
        "WebSocketAuthorizerFunction",
        str(write_event(tmp_path, event)),
        stack_file=running.stack_file,
    )

    # Then the token was checked against the stack's own user pool, and bob's connection is allowed
    assert result.returncode == 0, result.stderr
    policy = json.loads(result.stdout)
    assert policy["principalId"] == "bob"
    assert policy["policyDocument"]["Statement"][0]["Effect"] == "Allow"


def test_invoke_without_a_running_stack_starts_its_own_aws(tmp_path: Path) -> None:
    # Given no running stack, and an event creating a group
    event = proxy_event("POST", "/api/v1/chatgroup/create", claims=CLAIMS, body={"name": "Standalone", "capacity": 2})

    # When CreateChatgroupFunction is invoked with it
    result = run_module(
        "devstack.invoke",
        "CreateChatgroupFunction",
        str(write_event(tmp_path, event)),
        stack_file=tmp_path / "none.json",
    )

    # Then the function created the group in an embedded AWS of its own
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["sqs"].endswith(".fifo")


def test_invoke_of_an_unknown_function_names_the_known_ones(tmp_path: Path) -> None:
    # When a function the template does not declare is invoked
    event = write_event(tmp_path, {})
    result = run_module("devstack.invoke", "NoSuchFunction", str(event), stack_file=tmp_path / "none.json")

    # Then the error says so in one line, listing the functions there are
    assert result.returncode == 1
    assert "NoSuchFunction is not a function of template.yaml" in result.stderr
    assert "GetInboxFunction" in result.stderr


def test_token_command_prints_an_id_token_the_api_accepts(running: StackProcess, stack: StackInfo) -> None:
    # When `make token USER=bob` runs against the running stack
    result = run_module("devstack.signin", "bob", stack_file=running.stack_file)

    # Then it prints one token, with which bob reads his inbox
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert User(name="bob", api_url=stack.api_url, token=token).call("GET", "/api/v1/inbox/get").status_code == 200


def test_token_command_refuses_an_unknown_user(running: StackProcess) -> None:
    # When a token is asked for a user the stack does not have
    result = run_module("devstack.signin", "mallory", stack_file=running.stack_file)

    # Then the error names the users there are
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "make token: mallory is not a user of the local stack; its users are alice, bob, carol, dave"
    )


def stale_stack_file(folder: Path, stack: StackInfo) -> Path:
    """The file of a stack killed outright: what it wrote is there, its process is not."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    path = folder / "stale.json"
    path.write_text(json.dumps(asdict(stack) | {"pid": gone.pid}))
    return path


def test_token_command_says_plainly_that_the_named_stack_is_gone(stack: StackInfo, tmp_path: Path) -> None:
    # Given a stack file whose process was killed before it could remove the file
    path = stale_stack_file(tmp_path, stack)

    # When a token is asked for
    result = run_module("devstack.signin", "bob", stack_file=path)

    # Then it fails in one line that says the stack is not running and how to start one
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert "names a stack that is not running" in result.stderr
    assert "make run" in result.stderr


def test_invoke_says_it_does_not_use_a_stack_that_is_gone(stack: StackInfo, tmp_path: Path) -> None:
    # Given a stale stack file, and an event creating a group
    path = stale_stack_file(tmp_path, stack)
    event = proxy_event("POST", "/api/v1/chatgroup/create", claims=CLAIMS, body={"name": "Stale", "capacity": 2})

    # When CreateChatgroupFunction is invoked with it
    result = run_module(
        "devstack.invoke", "CreateChatgroupFunction", str(write_event(tmp_path, event)), stack_file=path
    )

    # Then it says the named stack is not running, and runs against an AWS of its own
    assert result.returncode == 0, result.stderr
    assert "names a stack that is not running" in result.stderr
    assert "embedded AWS of its own" in result.stderr
    assert json.loads(result.stdout)["statusCode"] == 200


def test_invoke_asks_to_restart_a_stack_written_by_an_older_make_run(running: StackProcess, tmp_path: Path) -> None:
    # Given the running stack's file as an older `make run` wrote it: without what its functions were configured with
    written = json.loads(running.stack_file.read_text())
    older = {key: value for key, value in written.items() if key not in ("refs", "websocket_callback_url")}
    path = tmp_path / "stack.json"
    path.write_text(json.dumps(older))

    # When a function is invoked against it
    event = proxy_event("GET", "/api/v1/inbox/get", claims=CLAIMS)
    result = run_module("devstack.invoke", "GetInboxFunction", str(write_event(tmp_path, event)), stack_file=path)

    # Then it says so in one line, and runs nothing
    assert result.returncode == 1
    restart = "was written by an older `make run`: stop it and start it again"
    assert result.stderr.strip() == f"make invoke: {path} {restart}"
