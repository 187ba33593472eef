"""The fan-out on the timeline's stream, as the template triggers it: a batch that fails half way is retried from
where it failed, so no connection loses an item or sees the group's items out of order.

API Gateway's @connections API is the one thing replaced: PostToConnection calls are taken at the botocore level
(after botocore's own retries) and recorded per connection, or refused where the test says, as an outage would.
"""

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from chatgroup import connections, timeline
from devstack.streams import StreamDriver

LONG_TEXT = "€" * 4000
"""12,000 bytes of UTF-8: two such items fit in one frame, three do not (32 KB), so four make two frames."""


class ConnectionsApi:
    """Frames posted to each connection, in order; the post numbered in `refuse[connection]` (1-based) is refused."""

    def __init__(self) -> None:
        self.frames: dict[str, list[dict[str, Any]]] = {}
        self.posts: dict[str, int] = {}
        self.refuse: dict[str, set[int]] = {}

    def wrap(self, send: Callable[..., Any]) -> Callable[..., Any]:
        def call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            if operation != "PostToConnection":
                return send(client, operation, params)
            connection = params["ConnectionId"]
            self.posts[connection] = self.posts.get(connection, 0) + 1
            if self.posts[connection] in self.refuse.get(connection, set()):
                error = {"Error": {"Code": "InternalServerError", "Message": "injected outage"}}
                raise ClientError(error, operation)  # type: ignore[arg-type]
            self.frames.setdefault(connection, []).append(json.loads(params["Data"]))
            return {}

        return call

    def seqs(self, connection: str) -> list[int]:
        """The seqs of the items the connection received, in arrival order (batch frames flattened)."""
        items = [item for frame in self.frames.get(connection, []) for item in frame.get("items", [frame])]
        return [item["seq"] for item in items]


@pytest.fixture
def connections_api(monkeypatch: pytest.MonkeyPatch) -> ConnectionsApi:
    api = ConnectionsApi()
    monkeypatch.setattr(BaseClient, "_make_api_call", api.wrap(BaseClient._make_api_call))  # type: ignore[attr-defined]
    return api


@pytest.fixture
def fan_out(stream_driver: Callable[..., StreamDriver]) -> StreamDriver:
    return stream_driver("FanOutFunction")


def first_seen(seqs: list[int]) -> list[int]:
    """What a client keeps: each seq the first time it arrives (it drops one it has seen)."""
    return list(dict.fromkeys(seqs))


def test_a_fan_out_batch_that_fails_half_way_is_retried_without_loss_or_reordering(
    new_group, fan_out: StreamDriver, connections_api: ConnectionsApi
) -> None:
    # Given bob and carol connected to alice's group, and four long messages in one stream batch (two frames each)
    group = new_group(creator="alice", members=("bob", "carol"))
    connections.connect("bob", "bob-1", 0)
    connections.connect("carol", "carol-1", 0)
    for _ in range(4):
        timeline.send_message("alice", group.chatgroup_id, LONG_TEXT)

    # When the post of bob's second frame fails once (half way through the batch for him)
    connections_api.refuse["bob-1"] = {2}
    fan_out.drain()

    # Then the stream retried the failed half: bob got each item once, in seq order, and carol every item with no
    # new one before an older one (at least once: the retry may repeat to her what she has, which a client drops)
    assert connections_api.posts["bob-1"] == 3
    assert connections_api.seqs("bob-1") == [1, 2, 3, 4]
    assert first_seen(connections_api.seqs("carol-1")) == [1, 2, 3, 4]


def test_a_group_whose_delivery_fails_is_retried_in_order_while_the_other_group_of_the_batch_is_delivered(
    new_group, fan_out: StreamDriver, connections_api: ConnectionsApi
) -> None:
    # Given two groups, bob connected to one and carol to the other, with items of both in one stream batch
    bobs = new_group(creator="alice", members=("bob",))
    carols = new_group(creator="alice", members=("carol",))
    connections.connect("bob", "bob-1", 0)
    connections.connect("carol", "carol-1", 0)
    for number in range(3):
        timeline.send_message("alice", bobs.chatgroup_id, f"to bob {number}")
        timeline.send_message("alice", carols.chatgroup_id, f"to carol {number}")

    # When the first post to bob fails twice
    connections_api.refuse["bob-1"] = {1, 2}
    fan_out.drain()

    # Then both groups' items arrived, each in seq order, bob's after the stream's two retries
    assert connections_api.seqs("bob-1") == [1, 2, 3]
    assert first_seen(connections_api.seqs("carol-1")) == [1, 2, 3]
    assert connections_api.posts["bob-1"] == 3
