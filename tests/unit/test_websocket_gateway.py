"""The local WebSocket gateway around $connect and $disconnect, with stand-in functions whose timing a test sets."""

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
import requests
from websockets.exceptions import InvalidHandshake
from websockets.sync.client import connect

from devstack.websocket import OPEN_TIMEOUT_SECONDS, WebSocketGateway, WebSocketSettings

WAIT_SECONDS = 10
AUTHORIZER = "Authorizer"


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


Serve = Callable[..., WebSocketGateway]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start a gateway whose routes (route key -> stand-in) and REQUEST authorizer, if any, are stand-ins."""
    started: list[WebSocketGateway] = []

    def start(
        routes: dict[str, StandIn], authorizer: StandIn | None = None, open_timeout: float = OPEN_TIMEOUT_SECONDS
    ) -> WebSocketGateway:
        gateway = WebSocketGateway(0, open_timeout=open_timeout)
        started.append(gateway)
        functions = dict(routes) | ({AUTHORIZER: authorizer} if authorizer else {})
        settings = WebSocketSettings(
            routes={route: route for route in routes},
            authorizer=AUTHORIZER if authorizer else None,
            token_parameter="token" if authorizer else None,
            two_way=frozenset(),
            api_id="local",
        )
        gateway.start(settings, cast(Any, functions), "dev")
        return gateway

    yield start
    for gateway in started:
        gateway.stop()


def test_a_handshake_that_times_out_while_connect_runs_still_gets_its_disconnect(serve: Serve) -> None:
    # Given a gateway that gives up on a handshake after 0.2 s, in front of a $connect that takes 1 s
    connect_function, disconnect_function = StandIn(seconds=1.0), StandIn()
    gateway = serve({"$connect": connect_function, "$disconnect": disconnect_function}, open_timeout=0.2)

    # When a client connects, and the gateway drops the handshake while $connect is still storing it
    with pytest.raises((InvalidHandshake, OSError, EOFError)):
        connect(gateway.url, open_timeout=WAIT_SECONDS).close()

    # Then $connect finishes, and the connection it accepted gets its $disconnect, as a closed socket does
    assert disconnect_function.called.wait(WAIT_SECONDS), "no $disconnect"
    connected = connect_function.events[0]["requestContext"]["connectionId"]
    assert [event["requestContext"]["connectionId"] for event in disconnect_function.events] == [connected]


def test_a_request_that_is_no_websocket_upgrade_runs_neither_the_authorizer_nor_connect(serve: Serve) -> None:
    # Given a gateway with an authorizer and a $connect that answer at once
    authorizer, connect_function = StandIn(answer={"principalId": "bob"}), StandIn()
    gateway = serve({"$connect": connect_function}, authorizer)

    # When a plain HTTP GET arrives at its URL
    answer = requests.get(gateway.url.replace("ws://", "http://", 1) + "?token=t", timeout=WAIT_SECONDS)

    # Then it is refused as API Gateway refuses it, and neither function ran
    assert answer.status_code == 426
    assert (authorizer.events, connect_function.events) == ([], [])
