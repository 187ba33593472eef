"""What a chat message and a monthly active user cost on AWS, from the fan-out's counted calls and list prices.

Prices are us-east-1 list prices, each with its source. No AWS page is reachable from here: the
API Gateway WebSocket prices are those of ../shared/design/chat-fanout.md (API Gateway pricing
page); the others are the AWS pricing pages' as last read, to be checked before quoting.
Lambda durations are assumptions (stated), not measurements: the local fan-out's time is moto's.
"""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Price:
    usd: float
    unit: str
    source: str


WEBSOCKET = "chat-fanout.md, WebSocket API (API Gateway pricing)"
PRICES = {
    "ws_message": Price(1.00e-6, "WebSocket message (per 32 KB)", WEBSOCKET),
    "ws_minute": Price(0.25e-6, "connection-minute", WEBSOCKET),
    "rest_request": Price(3.50e-6, "REST API request", "aws.amazon.com/api-gateway/pricing (first 333 M/month)"),
    "lambda_request": Price(0.20e-6, "Lambda invocation", "aws.amazon.com/lambda/pricing"),
    "lambda_gb_second": Price(0.0000133334, "Lambda GB-second, arm64", "aws.amazon.com/lambda/pricing"),
    "read_unit": Price(0.125e-6, "DynamoDB read request unit", "aws.amazon.com/dynamodb/pricing/on-demand"),
    "write_unit": Price(0.625e-6, "DynamoDB write request unit", "aws.amazon.com/dynamodb/pricing/on-demand"),
}
SAAS_PER_MAU = 0.045
"""SaaS chat list price per monthly active user at 10,000 MAU (issue 11's figure)."""
MEMORY_GB = 0.5
"""template.yaml's Globals MemorySize (512 MB)."""
SEND_SECONDS = 0.05
"""Assumed SendMessage duration (a transaction and a few reads)."""
POSTS_IN_FLIGHT, POST_SECONDS = 32, 0.03
"""chatgroup.fanout's POSTERS and its assumed time per PostToConnection: N posts take N / 32 x 30 ms."""
PINGS_PER_HOUR = 7
"""A client pings every ~9 minutes to stay under the 10-minute idle timeout: one message in, one pong out."""
RECONNECTS_PER_HOUR = 0.5
"""API Gateway closes a connection after 2 hours: authorizer, $connect and $disconnect, a write each way."""


@dataclass(frozen=True)
class Profile:
    name: str
    messages_per_day: int
    members: int
    hours_connected_per_day: float


PROFILES = (Profile("light", 5, 20, 1.0), Profile("busy", 30, 50, 3.0))


def usd(name: str, quantity: float) -> float:
    return PRICES[name].usd * quantity


def per_message(row: dict[str, Any]) -> dict[str, float]:
    """One message into a group whose every member is connected, by what it pays for (one message per batch)."""
    members = row["members"]
    fan_out_seconds = 0.05 + -(-members // POSTS_IN_FLIGHT) * POST_SECONDS
    return {
        "REST request": usd("rest_request", 1),
        "Lambda (send + fan-out)": usd("lambda_request", 2)
        + usd("lambda_gb_second", (SEND_SECONDS + fan_out_seconds) * MEMORY_GB),
        "DynamoDB (send writes + reads)": usd("write_unit", row["send_write_units"])
        + usd("read_unit", row["send_read_units"] + row["read_units_per_message"]),
        "WebSocket frames": usd("ws_message", row["calls"].get("apigatewaymanagementapi.PostToConnection", 0)),
    }


def per_connected_hour() -> float:
    """Keeping one connection open for an hour: minutes, keep-alive pings ($default) and the 2-hour reconnects."""
    pings = PINGS_PER_HOUR * (usd("ws_message", 2) + usd("lambda_request", 1) + usd("lambda_gb_second", 0.005))
    reconnects = RECONNECTS_PER_HOUR * (usd("lambda_request", 3) + usd("lambda_gb_second", 0.1) + usd("write_unit", 2))
    return usd("ws_minute", 60) + pings + reconnects


def per_mau(profile: Profile, row: dict[str, Any]) -> float:
    """A month (30 days) of one user: their messages' delivery to every member, and their own connection."""
    message = sum(per_message(row).values())
    return 30 * (profile.messages_per_day * message + profile.hours_connected_per_day * per_connected_hour())


Table = tuple[list[str], list[list[str]]]


def tables(fan_out: list[dict[str, Any]]) -> dict[str, Table]:
    """The price list, the cost per message per group size and per MAU per profile: header and rows of each."""
    one_per_batch = {row["members"]: row for row in fan_out if row["messages_per_batch"] == 1}
    prices = [[p.unit, f"${p.usd * 1e6:,.3f} per million", p.source] for p in PRICES.values()]
    messages = []
    for members, row in one_per_batch.items():
        parts = per_message(row)
        messages.append([f"{members:,}", *(f"${v * 1e6:,.1f}" for v in parts.values()), f"${sum(parts.values()):.6f}"])
    header = ["members", *(f"{name} (µ$)" for name in per_message(next(iter(one_per_batch.values())))), "per message"]
    users = [
        [
            f"{p.name}: {p.messages_per_day}/day into {p.members}-member groups, {p.hours_connected_per_day:g} h/day",
            f"${per_mau(p, one_per_batch[p.members]):.4f}",
            f"${SAAS_PER_MAU:.3f}",
        ]
        for p in PROFILES
        if p.members in one_per_batch
    ]
    return {
        "prices": (["unit", "list price (us-east-1)", "source"], prices),
        "per_message": (header, messages),
        "per_mau": (["profile (30 days)", "AWS per MAU", "SaaS chat per MAU"], users),
    }
