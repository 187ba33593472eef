"""Environment of a function, read once into a typed object."""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Settings:
    """Names, endpoints and quota sizes a function needs; set by template.yaml (or the local stack)."""

    region: str
    chatgroup_table: str
    membership_table: str
    inbox_table: str
    quota_table: str
    timeline_table: str
    ban_table: str
    send_rate_table: str
    send_rate_limit: int
    send_rate_window_seconds: int
    client_message_table: str
    connections_table: str
    max_connections_per_user: int
    websocket_callback_url: str | None
    queue_name_prefix: str
    account_id: str | None
    """The stack's AWS account, which the group queues' URLs name (set for the function that posts notices)."""
    idempotency_table: str | None
    dynamodb_endpoint: str | None
    sqs_endpoint: str | None
    max_live_groups: int
    """Groups a user may have created and not dismissed."""
    max_pending_sent: int
    """Applications and invitations a user may have sent that await a decision and have not expired."""


def _endpoint(service: str) -> str | None:
    return os.environ.get(f"AWS_ENDPOINT_URL_{service}") or os.environ.get("AWS_ENDPOINT_URL")


@cache
def get_settings() -> Settings:
    """Parse the environment on first use; a missing variable fails loudly at init."""
    env = os.environ
    return Settings(
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        chatgroup_table=env["CHATGROUP_TABLE"],
        membership_table=env["MEMBERSHIP_TABLE"],
        inbox_table=env["INBOX_TABLE"],
        quota_table=env["QUOTA_TABLE"],
        timeline_table=env["TIMELINE_TABLE"],
        ban_table=env["BAN_TABLE"],
        send_rate_table=env["SEND_RATE_TABLE"],
        send_rate_limit=int(env["SEND_RATE_LIMIT"]),
        send_rate_window_seconds=int(env["SEND_RATE_WINDOW_SECONDS"]),
        client_message_table=env["CLIENT_MESSAGE_TABLE"],
        connections_table=env["CONNECTIONS_TABLE"],
        max_connections_per_user=int(env["MAX_CONNECTIONS_PER_USER"]),
        websocket_callback_url=env.get("WEBSOCKET_CALLBACK_URL"),
        queue_name_prefix=env["QUEUE_NAME_PREFIX"],
        account_id=env.get("ACCOUNT_ID"),
        idempotency_table=env.get("IDEMPOTENCY_TABLE"),
        dynamodb_endpoint=_endpoint("DYNAMODB"),
        sqs_endpoint=_endpoint("SQS"),
        max_live_groups=_limit(env, "MAX_LIVE_GROUPS_PER_USER"),
        max_pending_sent=_limit(env, "MAX_PENDING_MESSAGES_PER_USER"),
    )


def _limit(env: Mapping[str, str], name: str) -> int:
    """A quota size: a positive whole number, or the function fails at init rather than enforce nonsense."""
    value = env[name]
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name}={value!r} must be a whole number of at least 1")
    return int(value)
