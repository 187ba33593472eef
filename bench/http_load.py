"""Local stack over HTTP: requests per second and p50/p99 latency of GET and accept, at concurrency 1 and 8.

A regression figure only: the stack (`python -m devstack.run`) runs API Gateway, every function
and the embedded AWS (moto) in one Python process on this machine, so moto's request handling
dominates what is measured, and the local gateway runs one request per function at a time (as
one warm Lambda execution environment would), so concurrency raises latency, not throughput.

The stack is started as a child process on free loopback ports and stopped at the end. Setup
(users, groups, pending applications) goes through the same API and Cognito; only GET and
accept are timed, each phase bounded by a request count and a time limit.
"""

import http.client
import json
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.stack import ROOT, BenchError, free_port, raw_client

READY_SECONDS = 90
PHASE_SECONDS = 20.0
APPLICANTS = 8
WARM_UP = 5


@dataclass(frozen=True)
class Load:
    """How much to send: requests per phase, at each concurrency."""

    get_requests: int = 300
    accept_requests: int = 100
    concurrency: tuple[int, ...] = (1, 8)


@contextmanager
def local_stack(log: Path, environment: dict[str, str]) -> Iterator[Any]:
    """`python -m devstack.run` on free ports; yields its StackInfo once the stack file appears."""
    from devstack.stackfile import StackInfo

    folder = Path(tempfile.mkdtemp(prefix="chatgroup-bench-stack-"))
    stack_file = folder / "stack.json"
    # alice creates a group per 8 pending applications: more than the default quota of live groups.
    quotas = {"PARAMETER_OVERRIDES": "MaxLiveGroupsPerUser=1000"}
    env = (
        quotas
        | environment
        | {
            "PORT": str(free_port()),
            "AWS_PORT": str(free_port()),
            "WS_PORT": str(free_port()),
            "WEB_PORT": str(free_port()),
            "STACK_FILE": str(stack_file),
        }
    )
    with log.open("w") as output:
        child = subprocess.Popen(
            [sys.executable, "-m", "devstack.run"], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + READY_SECONDS
            while not stack_file.exists():
                if child.poll() is not None or time.monotonic() > deadline:
                    raise BenchError(f"the local stack did not start; see {log}")
                time.sleep(0.2)
            yield StackInfo.read(stack_file)
        finally:
            _stop(child)
            shutil.rmtree(folder, ignore_errors=True)


def _stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


class Client:
    """HTTP/1.1 to the local API with a user's ID token, one new connection per request.

    A kept-alive connection would measure a stall of the local gateway instead of the stack: it
    writes a response's headers and body in two sends, so Nagle's algorithm holds the body until
    the client's delayed ACK (about 40 ms on Linux). `Connection: close` flushes it at once.
    """

    def __init__(self, api_url: str) -> None:
        address = urlsplit(api_url)
        self._host = address.hostname or "127.0.0.1"
        self._port = address.port

    def send(self, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": token, "Content-Type": "application/json", "Connection": "close"}
        payload = json.dumps(body) if body is not None else None
        connection = http.client.HTTPConnection(self._host, self._port, timeout=30)
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        return response.status, json.loads(data) if data else None

    def ok(self, method: str, path: str, token: str, body: Any = None) -> Any:
        status, answer = self.send(method, path, token, body)
        if status != 200:
            raise BenchError(f"{method} {path} answered {status}: {answer}")
        return answer


def sign_in_applicants(stack: Any, count: int) -> Any:
    """Add `count` confirmed users to the stack's pool, so each can have its own pending applications."""
    cognito = raw_client("cognito-idp", stack.aws_endpoint_url)
    password = next(iter(stack.users.values()))
    names = [f"applicant{index}" for index in range(count)]
    for name in names:
        cognito.admin_create_user(UserPoolId=stack.user_pool_id, Username=name, MessageAction="SUPPRESS")
        cognito.admin_set_user_password(UserPoolId=stack.user_pool_id, Username=name, Password=password, Permanent=True)
    return replace(stack, users=stack.users | dict.fromkeys(names, password))


@dataclass(frozen=True)
class Phase:
    operation: str
    concurrency: int
    requests: int
    seconds: float
    latencies_ms: list[float]

    def as_dict(self) -> dict[str, Any]:
        latencies = sorted(self.latencies_ms)
        percentiles = (
            statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else latencies * 99
        )
        return {
            "operation": self.operation,
            "concurrency": self.concurrency,
            "requests": self.requests,
            "rps": round(self.requests / self.seconds, 1),
            "p50_ms": round(percentiles[49], 1),
            "p99_ms": round(percentiles[98], 1),
        }


def timed(operation: str, concurrency: int, calls: list[Callable[[], None]]) -> Phase:
    """Run the calls on `concurrency` threads, stopping early at PHASE_SECONDS; time each one."""
    latencies: list[float] = []
    deadline = time.monotonic() + PHASE_SECONDS
    lock = threading.Lock()

    def run(call: Callable[[], None]) -> None:
        if time.monotonic() > deadline:
            return
        started = time.perf_counter()
        call()
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            latencies.append(elapsed)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(run, calls))
    return Phase(operation, concurrency, len(latencies), time.perf_counter() - started, latencies)


def run(load: Load, log: Path, environment: dict[str, str]) -> list[dict[str, Any]]:
    """GET and accept at each concurrency against a freshly started local stack.

    `environment` is the one the bench was started with: the local stack sets its own AWS variables.
    """
    from devstack.signin import id_token

    with local_stack(log, environment) as stack:
        stack = sign_in_applicants(stack, APPLICANTS)
        tokens = {user: id_token(stack, user) for user in ["alice", *(f"applicant{i}" for i in range(APPLICANTS))]}
        client = Client(stack.api_url)
        create = {"name": "Load test", "capacity": APPLICANTS + 1, "memberlist": "bob"}
        read = client.ok("POST", "/api/v1/chatgroup/create", tokens["alice"], create)["chatgroup_id"]
        pending = _pending_applications(client, tokens, load.accept_requests * len(load.concurrency) + 1)
        get_path = f"/api/v1/chatgroup/get/{read}"
        _warm_up(client, tokens["alice"], get_path, pending.pop())
        phases = []
        for concurrency in load.concurrency:
            gets = [lambda: client.ok("GET", get_path, tokens["alice"]) for _ in range(load.get_requests)]
            phases.append(timed("GET chatgroup", concurrency, gets))
            batch, pending = pending[: load.accept_requests], pending[load.accept_requests :]
            accepts = [_accept(client, tokens["alice"], group, user) for group, user in batch]
            phases.append(timed("accept (PUT)", concurrency, accepts))
    return [phase.as_dict() for phase in phases]


def _pending_applications(client: Client, tokens: dict[str, str], count: int) -> list[tuple[str, str]]:
    """`count` pending (group, applicant) pairs, ordered so that neighbours are in different groups."""
    applicants = [user for user in tokens if user.startswith("applicant")]
    groups = [
        client.ok("POST", "/api/v1/chatgroup/create", tokens["alice"], {"name": f"G{i}", "capacity": APPLICANTS + 1})[
            "chatgroup_id"
        ]
        for i in range(-(-count // len(applicants)))
    ]
    pairs = [(group, user) for user in applicants for group in groups][:count]
    for group, user in pairs:
        client.ok("POST", "/api/v1/inbox/create", tokens[user], {"type": "application", "chatgroup_id": group})
    return pairs


def _warm_up(client: Client, token: str, get_path: str, pair: tuple[str, str]) -> None:
    """A few untimed requests first: each function's first call creates its SDK clients."""
    for _ in range(WARM_UP):
        client.ok("GET", get_path, token)
    _accept(client, token, *pair)()


def _accept(client: Client, token: str, group: str, user: str) -> Callable[[], None]:
    body = {"type": "application", "choice": "accept", "chatgroup_id": group, "who_apply": user}
    return lambda: client.ok("PUT", "/api/v1/chatgroup/put", token, body)
