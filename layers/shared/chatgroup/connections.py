"""Each user's open WebSocket connections: one item per user, holding a map of connection id to connect time.

Keyed by user, so one BatchGetItem reads the connections of 100 members. A connection lives at
most 2 hours in API Gateway; entries older than that are dead even if their $disconnect never
arrived, so a full map is pruned of them before a new connection is refused, and TTL deletes
the item once its newest connection must be gone.
"""

from collections.abc import Callable, Iterable
from typing import cast

from pynamodb.exceptions import PynamoDBException
from pynamodb.expressions.condition import size
from pynamodb.expressions.operand import Path

from chatgroup.errors import TooManyRequests
from chatgroup.models import UserConnections
from chatgroup.observability import count
from chatgroup.settings import get_settings

MAX_CONNECTION_MS = 2 * 3600 * 1000
"""API Gateway closes every WebSocket connection after 2 hours."""


class TooManyConnections(TooManyRequests):
    """The user already has the most open connections allowed."""


def connect(user_id: str, connection_id: str, now_ms: int) -> None:
    """Remember a new connection, within the per-user limit, which a condition enforces."""
    limit = get_settings().max_connections_per_user
    if _add(user_id, connection_id, now_ms, limit) or _create(user_id, connection_id, now_ms):
        return
    # Another connection of the user may have created the item between our add and our create.
    if _add(user_id, connection_id, now_ms, limit):
        return
    if _forget_expired(user_id, now_ms) and _add(user_id, connection_id, now_ms, limit):
        return
    raise TooManyConnections(f"{user_id} already has {limit} open connections; close one first.", retry_after=60)


def _entry(connection_id: str) -> Path:
    """The map entry of one connection, as an update path."""
    return cast(Path, UserConnections.connections[connection_id])


def _expiry(now_ms: int) -> int:
    """TTL (epoch seconds): when the newest connection is certainly closed."""
    return (now_ms + MAX_CONNECTION_MS) // 1000 + 60


def _add(user_id: str, connection_id: str, now_ms: int, limit: int) -> bool:
    item = UserConnections(user_id)
    return _applied(
        lambda: item.update(
            [_entry(connection_id).set(now_ms), UserConnections.expires_at.set(_expiry(now_ms))],
            condition=UserConnections.connections.exists() & (size(UserConnections.connections) < limit),
        )
    )


def _create(user_id: str, connection_id: str, now_ms: int) -> bool:
    item = UserConnections(user_id, connections={connection_id: now_ms}, expires_at=_expiry(now_ms))
    return _applied(lambda: item.save(condition=UserConnections.user_id.does_not_exist()))


def _forget_expired(user_id: str, now_ms: int) -> bool:
    """Remove connections older than API Gateway lets one live; True if any was removed."""
    try:
        item = UserConnections.get(user_id, consistent_read=True)
    except UserConnections.DoesNotExist:
        return True
    expired = [cid for cid, opened in _opened(item).items() if opened < now_ms - MAX_CONNECTION_MS]
    if expired:
        UserConnections(user_id).update([_entry(cid).remove() for cid in expired])
    return bool(expired)


def disconnect(user_id: str, connection_id: str) -> None:
    """Forget one connection (and no other); forgetting one that is already gone is fine."""
    item = UserConnections(user_id)
    _applied(lambda: item.update([_entry(connection_id).remove()], condition=UserConnections.user_id.exists()))


def remove_stale(user_id: str, connection_id: str) -> None:
    """A connection API Gateway answered 410 Gone for: forget it, and only it."""
    disconnect(user_id, connection_id)
    count("StaleConnectionsRemoved")


def connections_of(users: Iterable[str]) -> dict[str, list[str]]:
    """Each user's open connection ids: one BatchGetItem per 100 users (eventually consistent, half the price)."""
    found = UserConnections.batch_get(sorted(set(users)), attributes_to_get=["user_id", "connections"])
    return {item.user_id: sorted(opened) for item in found if (opened := _opened(item))}


def _opened(item: UserConnections) -> dict[str, float]:
    """Connection id -> connect time of a user's item; PynamoDB reads a free-form map as a MapAttribute."""
    return item.connections.as_dict() if item.connections is not None else {}


def _applied(write: Callable[[], object]) -> bool:
    """Run a conditional write: True if applied, False if its condition was not met."""
    try:
        write()
    except PynamoDBException as failure:
        if getattr(failure, "cause_response_code", None) == "ConditionalCheckFailedException":
            return False
        raise
    return True
