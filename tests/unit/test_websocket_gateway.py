"""The local WebSocket gateway around $connect and $disconnect, with stand-in functions whose timing a test sets."""

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from websockets.exceptions import InvalidHandshake
from websockets.sync.client import connect

from devstack.websocket import WebSocketGateway, WebSocketSettings

WAIT_SECONDS = 10


@dataclass
class StandIn:
    """A function that takes `seconds` to answer 200 and records each event it was given."""

    seconds: float = 0.0
    events: list[dict[str, Any]] = field(default_factory=list)
    called: threading.Event = field(default_factory=threading.Event)

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        time.sleep(self.seconds)
        self.events.append(event)
        self.called.set()
        return {"statusCode": 200}


@pytest.fixture
def slow_connect() -> Iterator[tuple[WebSocketGateway, StandIn, StandIn]]:
    """A gateway that gives up on a handshake after 0.2 s, in front of a $connect that takes 1 s."""
    connect_function, disconnect_function = StandIn(seconds=1.0), StandIn()
    gateway = WebSocketGateway(0, open_timeout=0.2)
    settings = WebSocketSettings(
        routes={"$connect": "Connect", "$disconnect": "Disconnect"},
        authorizer=None,
        token_parameter=None,
        two_way=frozenset(),
        api_id="local",
    )
    gateway.start(settings, cast(Any, {"Connect": connect_function, "Disconnect": disconnect_function}), "dev")
    yield gateway, connect_function, disconnect_function
    gateway.stop()


def test_a_handshake_that_times_out_while_connect_runs_still_gets_its_disconnect(
    slow_connect: tuple[WebSocketGateway, StandIn, StandIn],
) -> None:
    # Given a gateway whose handshake gives up before $connect has answered
    gateway, connect_function, disconnect_function = slow_connect

    # When a client connects, and the gateway drops the handshake while $connect is still storing it
    with pytest.raises((InvalidHandshake, OSError, EOFError)):
        connect(gateway.url, open_timeout=WAIT_SECONDS).close()

    # Then $connect finishes, and the connection it accepted gets its $disconnect, as a closed socket does
    assert disconnect_function.called.wait(WAIT_SECONDS), "no $disconnect"
    connected = connect_function.events[0]["requestContext"]["connectionId"]
    assert [event["requestContext"]["connectionId"] for event in disconnect_function.events] == [connected]
