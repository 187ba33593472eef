"""Starting and stopping the local stack: one command up, one signal down, nothing left behind."""

import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from devstack.aws import dynamodb
from devstack.plumbing import free_port
from devstack.stackfile import StackInfo
from devstack.template import ROOT
from tests.e2e.conftest import STARTUP_SECONDS, STOP_SECONDS, StackProcess, launch, stack_environment

pytestmark = pytest.mark.local_only  # starting and stopping the local stack


def port_of(url: str) -> int:
    return int(urlsplit(url).port or 0)


def is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_signal_stops_the_stack_and_frees_its_ports(start_stack: Callable[..., StackProcess], signum: int) -> None:
    # Given a running local stack
    process = start_stack()
    stack = process.wait_until_ready()

    # When it receives Ctrl-C or SIGTERM
    exit_code = process.stop(signum)

    # Then it exits cleanly, no one listens on its ports any more, and its stack file is gone
    assert exit_code == 0, process.output()
    assert is_free(port_of(stack.api_url))
    assert is_free(port_of(stack.aws_endpoint_url))
    assert is_free(port_of(stack.websocket_url or ""))
    assert is_free(port_of(stack.web_url or ""))
    assert not process.stack_file.exists()


@pytest.mark.parametrize("variable", ["PORT", "AWS_PORT", "WS_PORT", "WEB_PORT"])
def test_port_in_use_is_a_one_line_error(stack: StackInfo, tmp_path: Path, variable: str) -> None:
    # Given the ports of the running stack
    busy = {
        "PORT": port_of(stack.api_url),
        "AWS_PORT": port_of(stack.aws_endpoint_url),
        "WS_PORT": port_of(stack.websocket_url or ""),
        "WEB_PORT": port_of(stack.web_url or ""),
    }
    ports = {name: str(free_port()) for name in busy} | {variable: str(busy[variable])}

    # When a second stack is started on one of them
    result = subprocess.run(
        [sys.executable, "-m", "devstack.run"],
        cwd=ROOT,
        env=stack_environment(tmp_path, **ports),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    # Then it exits non-zero with one line naming the port and the variable to change
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"127.0.0.1:{busy[variable]}" in result.stderr
    assert f"{variable}=" in result.stderr


def three_free_ports_in_a_row() -> int:
    """The first of three consecutive ports that nothing listens on now."""
    while True:
        first = free_port()
        if first + 2 <= 65535 and is_free(first + 1) and is_free(first + 2):
            return first


def test_a_busy_port_is_reported_with_a_port_that_is_free_and_not_the_stacks_own(tmp_path: Path) -> None:
    # Given PORT is taken, the port after it is the stack's own WS_PORT, and the one after that is taken too
    port = three_free_ports_in_a_row()
    ports = {"PORT": port, "WS_PORT": port + 1, "AWS_PORT": free_port(), "WEB_PORT": free_port()}
    with ExitStack() as held:
        for taken in (port, port + 2):
            held.enter_context(socket.create_server(("127.0.0.1", taken)))

        # When the stack is started
        result = subprocess.run(
            [sys.executable, "-m", "devstack.run"],
            cwd=ROOT,
            env=stack_environment(tmp_path, **{name: str(number) for name, number in ports.items()}),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    # Then the port it suggests instead is none of those, nor another of the stack's, and can be listened on
    assert result.returncode == 1, result.stderr
    suggestion = re.search(r"`make run PORT=(\d+)`", result.stderr)
    assert suggestion, result.stderr
    suggested = int(suggestion[1])
    assert suggested not in {port, port + 1, port + 2, *ports.values()}
    with socket.create_server(("127.0.0.1", suggested)):
        pass


def test_a_second_sigterm_during_shutdown_still_removes_the_stack_file(
    start_stack: Callable[..., StackProcess],
) -> None:
    # Given a running local stack
    process = start_stack()
    process.wait_until_ready()

    # When it gets SIGTERM twice, as `kill -- -PGID` does through make, which forwards its own to the recipe
    process.process.send_signal(signal.SIGTERM)
    time.sleep(0.01)
    exit_code = process.stop(signal.SIGTERM)

    # Then the second does not cut the shutdown short: it exits cleanly and its stack file is gone
    assert exit_code == 0, process.output()
    assert not process.stack_file.exists()


def accepts_connections(port: int) -> bool:
    return not is_free(port)


def answers_http(url: str) -> bool:
    try:
        requests.get(url, timeout=2)
    except requests.RequestException:
        return False
    return True


def has_tables(aws_url: str) -> bool:
    return answers_http(aws_url) and bool(dynamodb(aws_url).list_tables()["TableNames"])


STARTUP_MOMENTS: dict[str, Callable[[dict[str, int]], bool]] = {
    "as-soon-as-started": lambda ports: True,
    "ports-bound": lambda ports: accepts_connections(ports["WEB_PORT"]),
    "aws-answering": lambda ports: answers_http(f"http://127.0.0.1:{ports['AWS_PORT']}"),
    "tables-created": lambda ports: has_tables(f"http://127.0.0.1:{ports['AWS_PORT']}"),
    "api-answering": lambda ports: answers_http(f"http://127.0.0.1:{ports['PORT']}/api/v1/openapi.json"),
}
"""Points of the start-up, in order: the process exists; every port is bound; the embedded AWS serves; the
template's tables are being made; the API serves (the web app and the stack file come next)."""


@pytest.mark.parametrize("moment", STARTUP_MOMENTS)
def test_sigterm_at_any_moment_of_start_up_stops_the_stack_cleanly(tmp_path: Path, moment: str) -> None:
    # Given a stack starting on ports of its own, that has reached this moment of its start-up
    ports = {name: free_port() for name in ("PORT", "AWS_PORT", "WS_PORT", "WEB_PORT")}
    process = launch(tmp_path, **{name: str(port) for name, port in ports.items()})
    deadline = time.monotonic() + STARTUP_SECONDS
    while not STARTUP_MOMENTS[moment](ports):
        assert process.process.poll() is None, process.output()
        assert time.monotonic() < deadline, f"the stack never reached {moment}:\n{process.output()}"
        time.sleep(0.02)

    # When it receives SIGTERM
    process.process.send_signal(signal.SIGTERM)
    try:
        exit_code = process.process.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.process.kill()
        pytest.fail(f"SIGTERM at {moment} did not stop the stack:\n{process.output()}")

    # Then it exits at once and cleanly (or, before Python has set its handler, by the signal's default action,
    # which is as clean: nothing has started), leaves no stack file nor a part of one, and frees every port
    clean_exits = {0, -signal.SIGTERM} if moment == "as-soon-as-started" else {0}
    assert exit_code in clean_exits, process.output()
    assert "Traceback" not in process.output()
    assert [path.name for path in tmp_path.iterdir() if "stack.json" in path.name] == []
    assert [name for name, port in ports.items() if not is_free(port)] == []
