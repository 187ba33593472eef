"""Each user's open WebSocket connections, within the per-user limit."""

import pytest

from chatgroup import connections
from chatgroup.models import UserConnections


def _open(user: str) -> set[str]:
    return set(UserConnections.get(user, consistent_read=True).connections.as_dict())


def test_a_first_connection_that_loses_the_race_to_create_the_users_item_is_still_accepted(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a user with no connection, whose phone connects at the same moment as this tab:
    # the phone creates the user's item between this tab's first add and its create
    create = connections._create

    def phone_first(user_id: str, connection_id: str, now_ms: int) -> bool:
        create(user_id, "phone", now_ms)
        return create(user_id, connection_id, now_ms)

    monkeypatch.setattr(connections, "_create", phone_first)

    # When the tab connects
    connections.connect("bob", "tab", 1_000)

    # Then both are open: one connection of ten is no reason to refuse
    assert _open("bob") == {"phone", "tab"}


def test_the_connection_past_the_limit_is_refused(aws: None) -> None:
    # Given a user with as many open connections as allowed
    limit = connections.get_settings().max_connections_per_user
    for number in range(limit):
        connections.connect("bob", f"c{number}", 1_000)

    # When one more connects
    # Then it is refused and not stored
    with pytest.raises(connections.TooManyConnections):
        connections.connect("bob", "one-too-many", 1_000)
    assert "one-too-many" not in _open("bob")
