"""The local WebSocket gateway around $connect and $disconnect, with stand-in functions whose timing a test sets."""

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
import requests
from websockets.exceptions import InvalidHandshake
from websockets.sync.client import connect

from devstack.websocket import WebSocketGateway, WebSocketSettings

WAIT_SECONDS = 10


@dataclass
class StandIn:
    """A function that takes `seconds` to give its `answer` and records each event it was given."""

    seconds: float = 0.0
    answer: dict[str, Any] = field(default_factory=lambda: {"statusCode": 200})
    events: list[dict[str, Any]] = field(default_factory=list)
    called: threading.Event = field(default_factory=threading.Event)

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        time.sleep(self.seconds)
        self.events.append(event)
        self.called.set()
        return self.answer


def settings(routes: dict[str, str], authorizer: str | None = None) -> WebSocketSettings:
    """A WebSocket API of these routes (route key -> function), with a REQUEST authorizer on `token` if named."""
    token = "token" if authorizer else None
    return WebSocketSettings(routes, authorizer, token, two_way=frozenset(), api_id="local")


@pytest.fixture
def slow_connect() -> Iterator[tuple[WebSocketGateway, StandIn, StandIn]]:
    """A gateway that gives up on a handshake after 0.2 s, in front of a $connect that takes 1 s."""
    connect_function, disconnect_function = StandIn(seconds=1.0), StandIn()
    gateway = WebSocketGateway(0, open_timeout=0.2)
    routes = {"$connect": "Connect", "$disconnect": "Disconnect"}
    gateway.start(settings(routes), cast(Any, {"Connect": connect_function, "Disconnect": disconnect_function}), "dev")
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


@pytest.fixture
def gateway() -> Iterator[tuple[WebSocketGateway, StandIn, StandIn]]:
    """A gateway in front of an authorizer and a $connect that answer at once."""
    authorizer, connect_function = StandIn(answer={"principalId": "bob"}), StandIn()
    served = WebSocketGateway(0)
    functions = {"Authorizer": authorizer, "Connect": connect_function}
    served.start(settings({"$connect": "Connect"}, "Authorizer"), cast(Any, functions), "dev")
    yield served, authorizer, connect_function
    served.stop()


def test_a_request_that_is_no_websocket_upgrade_runs_neither_the_authorizer_nor_connect(
    gateway: tuple[WebSocketGateway, StandIn, StandIn],
) -> None:
    # Given a gateway with an authorizer and a $connect
    served, authorizer, connect_function = gateway

    # When a plain HTTP GET arrives at its URL
    answer = requests.get(served.url.replace("ws://", "http://", 1) + "?token=t", timeout=WAIT_SECONDS)

    # Then it is refused as API Gateway refuses it, and neither function ran
    assert answer.status_code == 426
    assert (authorizer.events, connect_function.events) == ([], [])
