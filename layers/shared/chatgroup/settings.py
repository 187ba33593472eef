"""Environment of a function, read once into a typed object."""

import os
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Settings:
    """Names and endpoints a function needs; set by template.yaml (or the local stack)."""

    region: str
    chatgroup_table: str
    membership_table: str
    inbox_table: str
    queue_name_prefix: str
    idempotency_table: str | None
    dynamodb_endpoint: str | None
    sqs_endpoint: str | None


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
        queue_name_prefix=env["QUEUE_NAME_PREFIX"],
        idempotency_table=env.get("IDEMPOTENCY_TABLE"),
        dynamodb_endpoint=_endpoint("DYNAMODB"),
        sqs_endpoint=_endpoint("SQS"),
    )
