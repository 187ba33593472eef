"""The reliability suite's local stack, as many signed-in users as it needs, and a snapshot of its AWS.

Stacks are started as the end-to-end tests start them (`python -m devstack.run` on free
ports), but this folder has its own: fuzzing and races leave a lot behind, which other
tests should not have to read past (the authorization matrix starts stacks of its own
too). Users are created in the stack's user pool on first use: the matrix needs more
kinds of caller, and the races more applicants, than the four demo users.
"""
# ruff: noqa: F811 - the end-to-end fixture imported below is, as pytest wants, a parameter of the ones here

import threading
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from devstack.aws import STATE_PATH, UserPool, cognito, create_users
from devstack.stackfile import StackInfo
from tests.e2e.conftest import StackProcess, User, start_stack  # noqa: F401 - a fixture of this folder too

TIMEOUT_SECONDS = 30


@dataclass
class Caller(User):
    """A user of the API whose every request opens its own connection; no token at all when `token` is empty.

    One connection per request makes a caller safe to share between threads, and fast: on a
    kept-alive connection the local gateway's answer waits ~40 ms for the client's delayed ACK
    (it sends headers and body in two writes and keeps Nagle's algorithm on), ~5 ms otherwise.
    """

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return requests.request(
            method, f"{self.api_url}{path}", json=body, params=params, headers=headers, timeout=TIMEOUT_SECONDS
        )


class Accounts:
    """Users of the stack's user pool by name: created on first use, signed in once, shared by every test.

    A boto3 client costs ~70 ms to make, ten times a sign-in: `sign_up` creates many users with
    one, and every sign-in goes through one kept here.
    """

    def __init__(self, stack: StackInfo) -> None:
        self._stack = stack
        self._password = next(iter(stack.users.values()))
        self._pool = UserPool(id=stack.user_pool_id, arn="", password_policy={})
        self._cognito = cognito(stack.aws_endpoint_url)
        self._signed_in: dict[str, Caller] = {}
        self._lock = threading.Lock()

    def __call__(self, name: str) -> Caller:
        return self.sign_up(name)[0]

    def sign_up(self, *names: str) -> list[Caller]:
        """The users, created in the pool and signed in unless they were."""
        with self._lock:
            unknown = [name for name in names if name not in self._signed_in and name not in self._stack.users]
            if unknown:
                create_users(self._stack.aws_endpoint_url, self._pool, list(dict.fromkeys(unknown)), self._password)
            for name in names:
                if name not in self._signed_in:
                    self._signed_in[name] = Caller(name=name, api_url=self._stack.api_url, token=self._id_token(name))
            return [self._signed_in[name] for name in names]

    def _id_token(self, name: str) -> str:
        """As tests/e2e's sign_in, with this instance's client."""
        result = self._cognito.initiate_auth(
            ClientId=self._stack.user_pool_client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": name, "PASSWORD": self._password},
        )
        return result["AuthenticationResult"]["IdToken"]

    def anonymous(self) -> Caller:
        """Someone who sends no Authorization header at all."""
        return Caller(name="(no token)", api_url=self._stack.api_url, token="")

    def forged(self, name: str) -> Caller:
        """`name`'s real ID token with its signature altered: well formed, but not signed by the pool."""
        header, payload, signature = self(name).token.split(".")
        altered = ("B" if signature[0] == "A" else "A") + signature[1:]
        return Caller(name="(invalid token)", api_url=self._stack.api_url, token=f"{header}.{payload}.{altered}")


STOP_SECONDS = 60
"""A stack that served thousands of requests spends seconds collecting garbage as it exits: past e2e's 10."""


def stop(*processes: StackProcess) -> None:
    """SIGTERM to every stack first, then wait for each: they collect their garbage side by side."""
    for process in processes:
        process.process.terminate()
    for process in processes:
        process.process.wait(STOP_SECONDS)


@pytest.fixture(scope="package")
def stack(start_stack: Callable[..., StackProcess]) -> Iterator[StackInfo]:
    process = start_stack()
    yield process.wait_until_ready()
    stop(process)


@pytest.fixture(scope="package")
def accounts(stack: StackInfo) -> Accounts:
    return Accounts(stack)


@dataclass(frozen=True)
class AwsState:
    """What the embedded AWS holds: how many items each table has, every queue, every item about some groups.

    Counting every table catches any item a request adds or removes, anywhere; the full items
    of the groups a test works on catch any change to them.
    """

    counts: dict[str, int]
    queues: frozenset[str]
    items: frozenset[str]

    def changes_since(self, before: "AwsState") -> list[str]:
        """What differs from `before`: item counts, then queues and items that appeared (+) or disappeared (-)."""
        changes = [
            f"{table}: {before.counts.get(table)} -> {self.counts.get(table)} items"
            for table in sorted(set(before.counts) | set(self.counts))
            if before.counts.get(table) != self.counts.get(table)
        ]
        for kind, old, new in (("queue", before.queues, self.queues), ("item", before.items, self.items)):
            changes += [f"- {kind} {gone}" for gone in sorted(old - new)]
            changes += [f"+ {kind} {added}" for added in sorted(new - old)]
        return changes


class AwsSnapshots:
    """Reads the state of the stack's embedded AWS at one instant, from the embedded AWS itself (`STATE_PATH`)."""

    def __init__(self, stack: StackInfo) -> None:
        self._url = f"{stack.aws_endpoint_url}{STATE_PATH}"

    def take(self, groups: Collection[str] = ()) -> AwsState:
        """Every table's item count, every queue's name, and every item about `groups`: group, members, messages."""
        response = requests.get(self._url, params={"group": list(groups)}, timeout=TIMEOUT_SECONDS)
        response.raise_for_status()
        state = response.json()
        return AwsState(counts=state["counts"], queues=frozenset(state["queues"]), items=frozenset(state["items"]))


@pytest.fixture(scope="package")
def aws_snapshots(stack: StackInfo) -> AwsSnapshots:
    return AwsSnapshots(stack)
