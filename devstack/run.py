"""`make run`: the whole stack of template.yaml on this machine, in this one process, without Docker.

    PORT=3000 AWS_PORT=4566 STACK_FILE=.local/stack.json python -m devstack.run [--built-dir .aws-sam/build]

An embedded AWS (moto) holds the template's tables and user pool; an API Gateway serves the
template's routes behind its Cognito authorizer and runs each function's handler in-process.
When everything is ready, STACK_FILE is written; SIGINT or SIGTERM stops it all and removes it.
"""

import argparse
import logging
import os
import signal
import sys
import time
from collections.abc import Collection, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from devstack.auth import CognitoAuthorizer
from devstack.aws import (
    ACCOUNT_ID,
    DEMO_USERS,
    REGION,
    EmbeddedAws,
    UserPool,
    create_queues,
    create_tables,
    create_user_pools,
    create_users,
    password_for,
)
from devstack.code import Code, CodeUnavailable, configure_process, load_functions, modules_not_from_layers
from devstack.gateway import ApiSettings, Gateway, GatewayServer, Router
from devstack.lambda_runtime import LocalFunction
from devstack.plumbing import can_listen, local_endpoints, local_names
from devstack.stackfile import DEFAULT_STACK_FILE, StackInfo, stack_file
from devstack.streams import StreamDriver, stream_mappings
from devstack.template import ROOT, UnsupportedTemplate, functions, load_template
from devstack.web import WebConfig, WebServer
from devstack.websocket import ConnectionsApi, WebSocketGateway, WebSocketSettings

logger = logging.getLogger("devstack")


STOPPING_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stop(BaseException):
    """SIGINT or SIGTERM arrived: stop what was started, in reverse order.

    A BaseException, like KeyboardInterrupt, because it is raised wherever the main thread is, often inside
    boto3 while the stack starts: as an Exception, botocore would wrap it in a retryable error and send the
    request again (a second CreateTable, "Table already exists"), and the stop would be lost.
    """


class PortUnavailable(Exception):
    """A port cannot be listened on; the message names the variable that moves it."""


@dataclass(frozen=True)
class Options:
    api_port: int
    aws_port: int
    ws_port: int
    web_port: int
    stack_file: Path
    code: Code

    @classmethod
    def parse(cls, argv: list[str] | None) -> "Options":
        parser = argparse.ArgumentParser(prog="make run", description="Run the stack of template.yaml locally.")
        parser.add_argument("--built-dir", type=Path, help="serve this `sam build` output instead of the sources")
        built_dir = parser.parse_args(argv).built_dir
        return cls(
            api_port=_port(parser, "PORT", 3000),
            aws_port=_port(parser, "AWS_PORT", 4566),
            ws_port=_port(parser, "WS_PORT", 3001),
            web_port=_port(parser, "WEB_PORT", 3002),
            stack_file=stack_file(),
            code=Code(built_dir),
        )

    @property
    def ports(self) -> set[int]:
        return {self.api_port, self.aws_port, self.ws_port, self.web_port}


def _port(parser: argparse.ArgumentParser, variable: str, default: int) -> int:
    value = os.environ.get(variable) or str(default)
    if not value.isdigit() or int(value) > 65535:
        parser.error(f"{variable}={value} is not a port number")
    return int(value)


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    for signum in STOPPING_SIGNALS:
        signal.signal(signum, _raise_stop)
    with ExitStack() as running:
        try:
            options = Options.parse(argv)
            _log_to_stdout()
            stack, loaded = start(options, running)
            print(banner(options, stack, loaded, time.perf_counter() - started), flush=True)
            _sleep_until_signalled()
        except Stop:
            logger.info("Stopping the local stack")
        except (PortUnavailable, CodeUnavailable, UnsupportedTemplate) as failure:
            print(f"make run: {failure}", file=sys.stderr)
            return 1
    return 0


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    """Stop once: later signals are ignored until the stack is down and its file removed.

    `make` forwards the SIGTERM it receives to its recipe, so `kill -- -PGID` delivers two;
    a second one must not cut the cleanup short and leave a stack file naming a dead stack.
    """
    for ignored in STOPPING_SIGNALS:
        signal.signal(ignored, signal.SIG_IGN)
    raise Stop(signal.Signals(signum).name)


def _sleep_until_signalled() -> None:
    """Sleep until SIGINT or SIGTERM, whose handler raises Stop here.

    The kernel may hand the signal to any of the stack's threads; Python then runs the handler on the main
    thread only when that thread next runs, which a plain wait (`threading.Event().wait()`) never does. The
    wakeup file descriptor gets a byte whichever thread took the signal, so this read always returns.
    """
    woken, wake = os.pipe()
    os.set_blocking(wake, False)
    signal.set_wakeup_fd(wake)
    while True:
        os.read(woken, 1)


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM that arrive during the block stop the stack when it ends, not inside it.

    Around writing the stack file and registering its removal: a stop between the two would leave a
    file naming a dead stack (or, inside the write, the half-written temporary file beside it). The
    handlers are swapped rather than the signals blocked: blocking applies to one thread, and the kernel
    may hand the signal to another, whose Python handler still runs on the main thread, in the block.
    """
    arrived: list[int] = []
    for signum in STOPPING_SIGNALS:
        signal.signal(signum, lambda signum, frame: arrived.append(signum))
    try:
        yield
    finally:
        for signum in STOPPING_SIGNALS:
            signal.signal(signum, _raise_stop)
    if arrived:
        _raise_stop(arrived[0], None)


def _log_to_stdout() -> None:
    """One line per request and event on stdout, next to the functions' own (Powertools) logs."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def start(options: Options, running: ExitStack) -> tuple[StackInfo, dict[str, LocalFunction]]:
    """Bind every port first, so a busy one fails before any work; then AWS, the functions, the APIs, the file."""
    aws = _bound(EmbeddedAws, options.aws_port, "AWS_PORT", options.ports)
    running.callback(aws.stop)
    api = _bound(GatewayServer, options.api_port, "PORT", options.ports)
    running.callback(api.stop)
    websocket = _bound(WebSocketGateway, options.ws_port, "WS_PORT", options.ports)
    running.callback(websocket.stop)
    web = _bound(WebServer, options.web_port, "WEB_PORT", options.ports)
    running.callback(web.stop)
    template = load_template()
    specs = functions(template)
    options.code.check(template, specs.values())
    refs = local_names(template)
    aws.start()
    pool, settings = _provision(aws.endpoint_url, template, refs)
    configure_process(specs.values(), refs, aws.endpoint_url)
    callback_url = f"{api.url}/{settings.stage}"
    os.environ.update(local_endpoints(aws.endpoint_url, pool.id, callback_url))
    users = create_users(aws.endpoint_url, pool, DEMO_USERS, password_for(pool.password_policy))
    loaded = load_functions(template, specs.values(), options.code)
    authorizer = CognitoAuthorizer.for_pool(aws.endpoint_url, pool.issuer, pool.id, pool.client_ids.values())
    websocket_settings = WebSocketSettings.from_template(template)
    connections = None
    if websocket_settings is not None:
        websocket.start(websocket_settings, loaded, settings.stage)
        connections = ConnectionsApi(websocket)
    api.start(Gateway(Router(loaded.values()), authorizer, settings, ACCOUNT_ID, connections))
    streams = StreamDriver(
        aws.endpoint_url,
        stream_mappings(template),
        {logical_id: function.invoke for logical_id, function in loaded.items()},
        queue_urls=create_queues(aws.endpoint_url, template, refs),
    )
    streams.start_at_latest()
    streams.run_in_background()
    running.callback(streams.stop)
    client_id = next(iter(pool.client_ids.values()))
    websocket_url = websocket.url if websocket_settings is not None else None
    web.start(WebConfig(api.url, websocket_url, REGION, pool.id, client_id, cognito_endpoint=aws.endpoint_url))
    stack = StackInfo(
        api_url=api.url,
        aws_endpoint_url=aws.endpoint_url,
        region=REGION,
        user_pool_id=pool.id,
        user_pool_client_id=client_id,
        users=users,
        pid=os.getpid(),
        websocket_url=websocket_url,
        web_url=web.url,
        refs=refs,
        websocket_callback_url=callback_url,
    )
    with _signals_deferred():
        stack.write(options.stack_file)
        running.callback(_remove_if_unchanged, options.stack_file, stack)
    return stack, loaded


def _provision(endpoint_url: str, template: dict[str, Any], refs: dict[str, str]) -> tuple[UserPool, ApiSettings]:
    """The template's tables and user pools; the pool returned is the one the API's authorizer names."""
    create_tables(endpoint_url, template)
    pools = create_user_pools(endpoint_url, template, refs)
    settings = ApiSettings.from_template(template, refs)
    return next(pool for pool in pools.values() if pool.arn == settings.authorizer_pool_arn), settings


def _bound[Server: (EmbeddedAws, GatewayServer, WebSocketGateway, WebServer)](
    server: type[Server], port: int, variable: str, stack_ports: Collection[int]
) -> Server:
    try:
        return server(port)
    except OSError as failure:
        free = _free_port_after(port, stack_ports)
        raise PortUnavailable(
            f"cannot listen on 127.0.0.1:{port} ({os.strerror(failure.errno or 0)}); set {variable} to a free port"
            + (f", e.g. `make run {variable}={free}`" if free is not None else "")
        ) from None


def _free_port_after(port: int, stack_ports: Collection[int]) -> int | None:
    """The first of the next hundred ports that can be listened on now and is not another port of this stack;
    None if there is none, rather than a suggestion that fails in turn."""
    for candidate in range(port + 1, min(port + 100, 65535) + 1):
        if candidate not in stack_ports and can_listen(candidate):
            return candidate
    return None


def _remove_if_unchanged(path: Path, stack: StackInfo) -> None:
    """Remove the stack file on the way out, unless another stack has written its own there since."""
    try:
        if StackInfo.read(path) == stack:
            path.unlink()
    except (OSError, ValueError, TypeError):
        return


def banner(options: Options, stack: StackInfo, loaded: dict[str, LocalFunction], seconds: float) -> str:
    """What a developer needs to start: URLs, routes, users and a request to paste."""
    routes = [
        f"    {route.method:<7} {route.path:<42} {logical_id}"
        for logical_id, function in loaded.items()
        for route in function.spec.routes
    ]
    shadowed = modules_not_from_layers(options.code.layer_dirs(load_template()))
    sign_in = "make -s token USER=alice"
    if options.stack_file != DEFAULT_STACK_FILE:
        sign_in = f"STACK_FILE={options.stack_file} {sign_in}"
    lines = [
        f"chatgroup local stack ready in {seconds:.1f} s, serving {options.code.describe()}",
        f"  API            {stack.api_url}",
        *([f"  WebSocket      {stack.websocket_url}?token=<ID token>"] if stack.websocket_url else []),
        f"  Web app        {stack.web_url}   (API docs: {stack.web_url}/docs/)",
        *routes,
        f"  AWS (moto)     {stack.aws_endpoint_url}   region {stack.region}",
        f"  User pool      {stack.user_pool_id}   app client {stack.user_pool_client_id}",
        f"  Users          {', '.join(stack.users)}   password {next(iter(stack.users.values()))}",
        f"  Stack file     {_shown(options.stack_file)}",
        *([f"  Note           from .venv, not the layer: {', '.join(shadowed)}"] if shadowed else []),
        "",
        "Create a group as alice:",
        f"  curl -s -X POST {stack.api_url}/api/v1/chatgroup/create \\",
        f'    -H "Authorization: $({sign_in})" -H "Content-Type: application/json" \\',
        """    -d '{"name": "Board games", "capacity": 5}'""",
        "",
        "Ctrl-C stops the stack.",
    ]
    return "\n".join(lines)


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


if __name__ == "__main__":
    sys.exit(main())
