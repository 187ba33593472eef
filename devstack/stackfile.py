"""`.local/stack.json`: where a running local stack tells clients its URLs, user pool and users."""

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import botocore.exceptions

from devstack.aws import dynamodb
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
    websocket_url: str | None = None

    def write(self, path: Path) -> None:
        """Replace the file in one step, so that a reader never sees half of it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        partial.write_text(json.dumps(asdict(self), indent=2) + "\n")
        partial.replace(path)

    @classmethod
    def read(cls, path: Path) -> "StackInfo":
        return cls(**json.loads(path.read_text()))


def live_stack(path: Path, tables: list[str]) -> StackInfo | None:
    """The stack the file describes, if its embedded AWS answers and holds the template's tables."""
    try:
        stack = StackInfo.read(path)
        listed = dynamodb(stack.aws_endpoint_url).list_tables()["TableNames"]
    except (OSError, ValueError, TypeError, botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError):
        return None
    return stack if set(tables) <= set(listed) else None
