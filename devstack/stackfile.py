"""`.local/stack.json`: where a running local stack tells clients its URLs, user pool and users, and
`make invoke` how its functions were configured."""

import errno
import json
import os
import socket
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from devstack.template import ROOT

DEFAULT_STACK_FILE = ROOT / ".local" / "stack.json"


def stack_file() -> Path:
    """STACK_FILE, else `.local/stack.json`; tests point it at a temporary folder."""
    return Path(os.environ.get("STACK_FILE") or DEFAULT_STACK_FILE)


@dataclass(frozen=True)
class StackInfo:
    api_url: str
    aws_endpoint_url: str
    region: str
    user_pool_id: str
    user_pool_client_id: str
    users: dict[str, str]
    pid: int
    """The `make run` process; a stack killed outright cannot remove its file, so readers check it is alive."""
    websocket_url: str | None = None
    web_url: str | None = None
    refs: dict[str, str] = field(default_factory=dict)
    """What the stack resolved template.yaml's names with (its pool's generated ids among them), for `make invoke`."""
    websocket_callback_url: str | None = None
    """Where its functions reach the WebSocket API's @connections (the local REST gateway), for `make invoke`."""

    def write(self, path: Path) -> None:
        """Replace the file in one step, so that a reader never sees half of it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        partial.write_text(json.dumps(asdict(self), indent=2) + "\n")
        partial.replace(path)

    @classmethod
    def read(cls, path: Path) -> "StackInfo":
        return cls(**json.loads(path.read_text()))


class StackNotRunning(Exception):
    """No stack answers where the stack file says; the message says why, and what to do."""


def running_stack(path: Path) -> StackInfo:
    """The stack the file describes, if its process is alive and its API answers."""
    try:
        stack = StackInfo.read(path)
    except FileNotFoundError:
        raise StackNotRunning(f"no local stack ({path} is missing): start one with `make run`") from None
    except (OSError, ValueError, TypeError):
        raise StackNotRunning(f"{path} is not a stack file written by `make run`") from None
    if not _alive(stack.pid):
        raise StackNotRunning(
            f"{path} names a stack that is not running (process {stack.pid} is gone, killed before it could remove "
            "the file): start one with `make run`"
        )
    if not _answers(stack.api_url):
        raise StackNotRunning(f"{path} names a stack whose API does not answer at {stack.api_url}")
    return stack


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError as failure:
        return failure.errno == errno.EPERM
    return True


def _answers(url: str) -> bool:
    address = urlsplit(url)
    try:
        with socket.create_connection((address.hostname or "127.0.0.1", address.port or 80), timeout=2):
            return True
    except OSError:
        return False
