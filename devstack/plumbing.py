"""Test and dev plumbing, written once: free ports, the embedded AWS started and reset, the functions' environment.

The tests' conftests, the bench and `make invoke` use these, so that each runs the functions
with the same variables (template.yaml's, references resolved as the local stack resolves
them), the same fake credentials (`devstack.aws.FAKE_CREDENTIALS`) and the same embedded AWS.
"""

import json
import logging
import random
import socket
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from devstack.aws import ACCOUNT_ID, REGION, SHUTDOWN_POLL_SECONDS, STACK_NAME, EmbeddedAws, create_tables
from devstack.code import configure_process
from devstack.lambda_runtime import shared_environment
from devstack.template import ROOT, functions, load_template, local_refs

logger = logging.getLogger("devstack")


def free_port() -> int:
    """A loopback port no one listens on now, for a server started a moment later.

    Picked below the ephemeral range, not by binding port 0: the OS takes the local port of every
    outgoing connection from that range, so a port it hands out can be some client's by the time the
    server binds it (a stack of the suite failed to start so, once, on a busy machine).
    """
    for port in random.sample(range(_LOWEST_PORT, max(ephemeral_ports_start(), _LOWEST_PORT + 1000)), 100):
        if can_listen(port):
            return port
    raise OSError("no free loopback port below the ephemeral range")


def can_listen(port: int) -> bool:
    """Whether 127.0.0.1:port can be bound now as the stack's servers bind it (with SO_REUSEADDR)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


_LOWEST_PORT = 10_000
_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def ephemeral_ports_start() -> int:
    """Where Linux's range of ports for outgoing connections starts; elsewhere the IANA range's 49152."""
    try:
        return int(_EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 49_152


class LoopbackServer[Served](ThreadingHTTPServer):
    """One HTTP port of the local stack, served on a thread of its own; bound at construction, so a port in use
    fails before anything else starts. Its handler reads what it serves (`Served`) from `server.served`."""

    daemon_threads = True
    served: Served

    def __init__(self, port: int, handler: type[BaseHTTPRequestHandler], name: str, host: str = "127.0.0.1") -> None:
        super().__init__((host, port), handler)
        self.url = f"http://{host}:{self.server_port}"
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS}, name=name, daemon=True
        )

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup of the host, which takes seconds on some machines."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-request (reset, broken pipe) is dropped with one line, not a traceback;
        any other error keeps socketserver's traceback, since it is a defect of the server."""
        if isinstance(sys.exception(), ConnectionError):
            logger.info("%s:%s closed the connection before it was answered", *client_address)
            return
        super().handle_error(request, client_address)

    def start(self, served: Served) -> None:
        self.served = served
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self.shutdown()
            self._thread.join()
        self.server_close()


def json_printed_last(script: str, *arguments: str, environment: Mapping[str, str], timeout: float) -> Any:
    """Run `script` in a fresh interpreter of this Python, from the repository's root, with only `environment`;
    the JSON of the last line it printed. For a test that must see a cold process, not this warm one."""
    done = subprocess.run(  # noqa: S603 - this interpreter, a script of the caller's
        [sys.executable, "-c", script, *arguments],
        env=dict(environment),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def local_endpoints(aws_endpoint_url: str, user_pool_id: str, callback_url: str) -> dict[str, str]:
    """Where, locally, the functions find what the template points at in AWS: the pool's JWKS (in the
    embedded AWS), the WebSocket API's @connections callback URL (served by the local REST gateway)."""
    return {
        "COGNITO_JWKS_URL": f"{aws_endpoint_url}/{user_pool_id}/.well-known/jwks.json",
        "WEBSOCKET_CALLBACK_URL": callback_url,
    }


def local_names(template: Mapping[str, Any] | None = None) -> dict[str, str]:
    """What the template's references resolve to locally: tables and queues by logical id, parameters' values."""
    return local_refs(template or load_template(), stack_name=STACK_NAME, region=REGION, account_id=ACCOUNT_ID)


def functions_environment(template: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The variables template.yaml gives the functions (one process runs them all, so they must agree)."""
    template = template or load_template()
    return shared_environment(functions(template).values(), local_names(template))


def run_functions_here(endpoint_url: str, template: Mapping[str, Any] | None = None) -> None:
    """This process as the functions' process: their environment, the embedded AWS at `endpoint_url`, fake
    credentials. Call it before anything imports `chatgroup`: the layer reads table names at import."""
    template = template or load_template()
    configure_process(functions(template).values(), local_names(template), endpoint_url)


@contextmanager
def embedded_aws(port: int = 0) -> Iterator[str]:
    """The embedded AWS of `make run` on a loopback port (0: a free one) until the block ends; yields its endpoint."""
    server = EmbeddedAws(port=port)
    server.start()
    try:
        yield server.endpoint_url
    finally:
        server.stop()


def reset_aws(endpoint_url: str, template: Mapping[str, Any] | None = None) -> None:
    """Empty the embedded AWS and create the template's tables again, so that what follows starts from nothing."""
    requests.post(f"{endpoint_url}/moto-api/reset", timeout=10).raise_for_status()
    create_tables(endpoint_url, template or load_template())
