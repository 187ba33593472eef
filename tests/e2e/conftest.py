"""The stack under test and its signed-in users: the local stack by default, or a deployed one.

The local stack runs as a user starts it (`python -m devstack.run`), on free ports, in a
subprocess that writes its stack file to a temporary folder, so a developer's own `make run`
is never touched. `make e2e STACK_NAME=<name>` sets E2E_STACK_NAME instead: the tests then
run against that deployed stack, found from its CloudFormation outputs, with users created
for the run; tests marked `local_only` (they read the embedded AWS, or try the local stack's
own commands) are skipped. Tokens come from Cognito InitiateAuth, as any client gets them.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from devstack.aws import dynamodb
from devstack.deployed import UnusableStack, deployed_stack
from devstack.plumbing import free_port
from devstack.signin import public_cognito
from devstack.stackfile import StackInfo
from devstack.template import ROOT

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp.type_defs import AuthenticationResultTypeTypeDef

STARTUP_SECONDS = 60
STOP_SECONDS = 60
"""A stack exits in about a second; on a 2-core machine at a load average of 20 it took over 10."""
DEPLOYED_STACK = os.environ.get("E2E_STACK_NAME")
"""Set by `make e2e STACK_NAME=…`: the deployed stack to test instead of a local one."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if DEPLOYED_STACK:
        skip = pytest.mark.skip(reason=f"local stack only; the target is the deployed stack {DEPLOYED_STACK}")
        for item in items:
            if item.get_closest_marker("local_only"):
                item.add_marker(skip)


@dataclass
class StackProcess:
    """One `python -m devstack.run`, its stack file and its combined output."""

    folder: Path
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def stack_file(self) -> Path:
        return self.folder / "stack.json"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until_ready(self) -> StackInfo:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not self.stack_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"the local stack did not start:\n{self.output()}")
            time.sleep(0.05)
        return StackInfo.read(self.stack_file)

    def stop(self, signum: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"the local stack ignored {signal.Signals(signum).name}:\n{self.output()}")


def stack_environment(folder: Path, **variables: str) -> dict[str, str]:
    return os.environ | {"STACK_FILE": str(folder / "stack.json"), "PYTHONUNBUFFERED": "1"} | variables


def launch(folder: Path, *arguments: str, **variables: str) -> StackProcess:
    """Start `python -m devstack.run` from the repository, as `make run` does."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "output.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
            [sys.executable, "-m", "devstack.run", *arguments],
            cwd=ROOT,
            env=stack_environment(folder, **variables),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return StackProcess(folder=folder, process=process, log=log)


@pytest.fixture(scope="session")
def start_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., StackProcess]]:
    """Start stacks on free ports; each is stopped at the end of the session if a test has not stopped it."""
    started: list[StackProcess] = []

    def start(*arguments: str) -> StackProcess:
        folder = tmp_path_factory.mktemp("stack")
        ports = {name: str(free_port()) for name in ("PORT", "AWS_PORT", "WS_PORT", "WEB_PORT")}
        stack = launch(folder, *arguments, **ports)
        started.append(stack)
        return stack

    yield start
    for stack in started:
        stack.stop()


@pytest.fixture(scope="session")
def running(start_stack: Callable[..., StackProcess]) -> StackProcess:
    """The stack every flow test shares; each test makes its own groups, so they do not interfere."""
    stack = start_stack()
    stack.wait_until_ready()
    return stack


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest) -> Iterator[StackInfo]:
    """The target: the deployed stack named by `make e2e STACK_NAME=…`, else the shared local stack.

    A deployed stack that cannot be the target (no credentials, no such stack, no outputs) ends the
    run at once with one line saying why, rather than failing every test with the same traceback.
    """
    if DEPLOYED_STACK:
        with ExitStack() as users_removed:
            try:
                deployed = users_removed.enter_context(deployed_stack(DEPLOYED_STACK))
            except UnusableStack as unusable:
                pytest.exit(f"make e2e: {unusable}", returncode=pytest.ExitCode.USAGE_ERROR)
            yield deployed
    else:
        running: StackProcess = request.getfixturevalue("running")
        yield StackInfo.read(running.stack_file)


def sign_in(
    stack: StackInfo, user: str, password: str, client_id: str | None = None
) -> "AuthenticationResultTypeTypeDef":
    """The tokens of a USER_PASSWORD_AUTH sign-in, exactly as against real Cognito."""
    result = public_cognito(stack).initiate_auth(
        ClientId=client_id or stack.user_pool_client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user, "PASSWORD": password},
    )
    return result["AuthenticationResult"]


@dataclass
class User:
    """A signed-in user calling the API over HTTP with their ID token."""

    name: str
    api_url: str
    token: str
    http: requests.Session = field(default_factory=requests.Session)

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        return self.http.request(method, f"{self.api_url}{path}", json=body, params=params, headers=headers, timeout=30)

    def create_group(self, **body: Any) -> dict[str, str]:
        body = {"name": f"group {uuid.uuid4().hex[:8]}", "capacity": 5} | body
        response = self.call("POST", "/api/v1/chatgroup/create", body)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def group(self, chatgroup_id: str) -> requests.Response:
        return self.call("GET", f"/api/v1/chatgroup/get/{chatgroup_id}")

    def members(self, chatgroup_id: str) -> list[str]:
        response = self.group(chatgroup_id)
        assert response.status_code == 200, response.text
        return list(response.json()["MemberList"].split(";"))

    def inbox_about(self, chatgroup_id: str) -> list[dict[str, Any]]:
        response = self.call("GET", "/api/v1/inbox/get", limit=100)
        assert response.status_code == 200, response.text
        return [message for message in response.json()["messages"] if message["chatgroup_id"] == chatgroup_id]

    def send(self, message_type: str, chatgroup_id: str, **fields: Any) -> str:
        body = {"type": message_type, "chatgroup_id": chatgroup_id} | fields
        response = self.call("POST", "/api/v1/inbox/create", body)
        assert response.status_code == 200, response.text
        return str(response.json()["inbox_message_id"])


def _user(stack: StackInfo, name: str) -> User:
    return User(name=name, api_url=stack.api_url, token=sign_in(stack, name, stack.users[name])["IdToken"])


@pytest.fixture(scope="session")
def alice(stack: StackInfo) -> User:
    return _user(stack, "alice")


@pytest.fixture(scope="session")
def bob(stack: StackInfo) -> User:
    return _user(stack, "bob")


@pytest.fixture(scope="session")
def carol(stack: StackInfo) -> User:
    return _user(stack, "carol")


@pytest.fixture(scope="session")
def dave(stack: StackInfo) -> User:
    return _user(stack, "dave")


def groups_named(stack: StackInfo, name: str) -> list[dict[str, Any]]:
    """Groups with this name in the embedded DynamoDB: whether a create reached the function."""
    scan = dynamodb(stack.aws_endpoint_url).scan(
        TableName="ChatgroupTable",
        FilterExpression="#name = :name",
        ExpressionAttributeNames={"#name": "name"},
        ExpressionAttributeValues={":name": {"S": name}},
    )
    return list(scan["Items"])
