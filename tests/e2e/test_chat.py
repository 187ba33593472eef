"""Group chat end to end: REST sends, real WebSockets, real Cognito tokens, the local stream-driven fan-out.

Each connected client is a `websockets` client of the local stack's WebSocket API; frames reach
it through the fan-out function's own boto3 PostToConnection, served by the local stack.
"""

import base64
import json
import socket
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey
from moto.utilities.utils import load_resource
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from devstack.aws import UserPool, create_users, dynamodb
from devstack.stackfile import StackInfo
from tests.e2e.conftest import User, sign_in

FRAME_SECONDS = 15
QUIET_SECONDS = 1.5


class Client:
    """One open WebSocket of a user; `items()` flattens batch frames into the items they carry."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.frames: list[dict[str, Any]] = []

    def receive(self, timeout: float = FRAME_SECONDS) -> dict[str, Any]:
        frame = json.loads(self.socket.recv(timeout=timeout))
        self.frames.append(frame)
        return dict(frame)

    def until(self, done: Any, timeout: float = FRAME_SECONDS) -> list[dict[str, Any]]:
        """Frames until `done(frame)` holds for one, which is included."""
        deadline = time.monotonic() + timeout
        while not any(done(frame) for frame in self.frames):
            self.receive(max(0.1, deadline - time.monotonic()))
        return self.frames

    def until_items(self, count: int, timeout: float = FRAME_SECONDS) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.items()) < count:
            self.receive(max(0.1, deadline - time.monotonic()))
        return self.items()

    def quiet(self, seconds: float = QUIET_SECONDS) -> bool:
        """No frame arrives for `seconds`."""
        try:
            self.receive(seconds)
        except TimeoutError:
            return True
        return False

    def items(self) -> list[dict[str, Any]]:
        flat: list[dict[str, Any]] = []
        for frame in self.frames:
            flat += frame["items"] if frame["type"] == "batch" else [frame]
        return flat


@contextmanager
def connected(stack: StackInfo, *tokens: str) -> Iterator[list[Client]]:
    with ExitStack() as sockets:
        yield [Client(sockets.enter_context(connect(f"{stack.websocket_url}?token={token}"))) for token in tokens]


def send(user: User, group: str, text: str, **extra: Any) -> dict[str, Any]:
    response = user.call("POST", f"/api/v1/chatgroup/{group}/messages", {"text": text} | extra)
    assert response.status_code == 200, response.text
    return dict(response.json())


def group_of(creator: User, *members: str) -> str:
    return creator.create_group(memberlist=";".join(members), capacity=10)["chatgroup_id"]


def has_seq(seq: int) -> Any:
    return lambda frame: any(item.get("seq") == seq for item in (frame.get("items") or [frame]))


def test_one_message_reaches_all_three_connected_members(stack: StackInfo, alice: User, bob: User, carol: User) -> None:
    # Given alice, bob and carol, members of one group, each with an open socket
    group = group_of(alice, "bob", "carol")
    with connected(stack, alice.token, bob.token, carol.token) as clients:
        # When bob sends a message over REST
        sent = send(bob, group, "See you at the front!")

        # Then each of the three receives that one item, as stored
        for client in clients:
            client.until(has_seq(sent["seq"]))
            [item] = [item for item in client.items() if item["seq"] == sent["seq"]]
            assert item == {
                "type": "message",
                "seq": sent["seq"],
                "message_id": sent["message_id"],
                "chatgroup_id": group,
                "sender": "bob",
                "text": "See you at the front!",
                "created_at": sent["created_at"],
            }


def test_a_non_members_send_and_read_are_403_and_the_fan_out_goes_on(
    stack: StackInfo, alice: User, bob: User, dave: User
) -> None:
    # Given a group of alice and bob, bob connected
    group = group_of(alice, "bob")
    with connected(stack, bob.token) as [client]:
        # When dave, not a member, sends and reads
        refused_send = dave.call("POST", f"/api/v1/chatgroup/{group}/messages", {"text": "let me in"})
        refused_read = dave.call("GET", f"/api/v1/chatgroup/{group}/messages")

        # Then both are 403, and a member's message after that refused write still reaches bob
        assert (refused_send.status_code, refused_read.status_code) == (403, 403)
        sent = send(alice, group, "after the refusal")
        client.until(has_seq(sent["seq"]))
        assert [item["text"] for item in client.items()] == ["after the refusal"]


def test_a_kicked_member_gets_every_earlier_item_then_revoked_then_nothing(
    stack: StackInfo, alice: User, bob: User, carol: User
) -> None:
    # Given bob and carol connected to alice's group
    group = group_of(alice, "bob", "carol")
    with connected(stack, bob.token, carol.token) as [bob_client, carol_client]:
        # When alice says something, kicks bob out, then says more
        before = send(alice, group, "before the kick")
        kick = {"type": "kickout", "chatgroup_id": group, "creator_id": "alice", "who_to_kick_out": "bob"}
        assert alice.call("DELETE", "/api/v1/chatgroup/delete", kick).status_code == 200
        after = send(alice, group, "after the kick")

        # Then bob gets the earlier message, then revoked, then nothing more of the group
        bob_client.until(lambda frame: frame["type"] == "revoked")
        assert bob_client.items() == [
            bob_client.items()[0] | {"seq": before["seq"], "text": "before the kick"},
            {"type": "revoked", "chatgroup_id": group, "reason": "kicked"},
        ]
        assert bob_client.quiet()
        # And carol gets all three, the notice between the messages
        carol_client.until(has_seq(after["seq"]))
        assert [(item["seq"], item["type"], item.get("notice")) for item in carol_client.items()] == [
            (before["seq"], "message", None),
            (before["seq"] + 1, "notice", "kicked"),
            (after["seq"], "message", None),
        ]


def test_five_members_sending_at_once_produce_one_order_that_every_client_sees(
    stack: StackInfo, alice: User, bob: User, carol: User, dave: User
) -> None:
    # Given five members, each connected
    password = next(iter(stack.users.values()))
    create_users(stack.aws_endpoint_url, UserPool(stack.user_pool_id, "", {}), ["erin"], password)
    erin = User("erin", stack.api_url, sign_in(stack, "erin", password)["IdToken"])
    members = [alice, bob, carol, dave, erin]
    group = group_of(alice, "bob", "carol", "dave", "erin")
    with connected(stack, *(member.token for member in members)) as clients:
        # When the five send at once
        with ThreadPoolExecutor(max_workers=5) as pool:
            sent = list(pool.map(lambda member: send(member, group, f"from {member.name}"), members))

        # Then the seqs are 1..5, and every client sees the same five items in that order
        assert sorted(message["seq"] for message in sent) == [1, 2, 3, 4, 5]
        seen = [[(item["seq"], item["message_id"]) for item in client.until_items(5)] for client in clients]
        assert seen[0] == sorted(seen[0])
        assert all(order == seen[0] for order in seen)


def test_a_retried_client_msg_id_stores_one_message(alice: User, bob: User) -> None:
    group = group_of(alice, "bob")
    key = f"bob-phone-{uuid.uuid4().hex[:8]}"
    first, retried = send(bob, group, "once", client_msg_id=key), send(bob, group, "once", client_msg_id=key)
    assert retried == first
    texts = [item["text"] for item in bob.call("GET", f"/api/v1/chatgroup/{group}/messages").json()["messages"]]
    assert texts == ["once"]


def _expired_id_token(stack: StackInfo, user: str) -> str:
    """`user`'s ID token as the pool would sign it an hour later: expired."""
    claims = json.loads(
        base64.urlsafe_b64decode(sign_in(stack, user, stack.users[user])["IdToken"].split(".")[1] + "==")
    )
    key = RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
    past = int(time.time()) - 3600
    return jwt.encode({"kid": "dummy", "alg": "RS256"}, claims | {"iat": past - 3600, "exp": past}, key)


@pytest.mark.local_only  # signs with the embedded Cognito's key; reads its connections table
@pytest.mark.parametrize("kind", ["missing", "garbage", "forged", "expired", "access token"])
def test_a_bad_expired_or_missing_token_is_refused_at_the_handshake(stack: StackInfo, bob: User, kind: str) -> None:
    header, payload, signature = bob.token.split(".")
    tokens = {
        "missing": None,
        "garbage": "not-a-token",
        "forged": f"{header}.{payload}.{('B' if signature[0] == 'A' else 'A') + signature[1:]}",
        "expired": _expired_id_token(stack, "bob") if kind == "expired" else "",
        "access token": sign_in(stack, "bob", stack.users["bob"])["AccessToken"] if kind == "access token" else "",
    }
    url = stack.websocket_url if tokens[kind] is None else f"{stack.websocket_url}?token={tokens[kind]}"
    with pytest.raises(InvalidStatus) as refused:
        connect(url or "").close()
    assert refused.value.response.status_code == 401
    assert _connections(stack, "bob") == {}


@pytest.mark.local_only  # reads the embedded AWS's connections table
def test_a_connection_beyond_the_per_user_limit_is_refused(stack: StackInfo, dave: User) -> None:
    limit = 10
    with connected(stack, *[dave.token] * limit):
        with pytest.raises(InvalidStatus) as refused:
            connect(f"{stack.websocket_url}?token={dave.token}").close()
        assert refused.value.response.status_code == 429
        assert len(_connections(stack, "dave")) == limit


def test_a_ping_is_answered_with_pong(stack: StackInfo, carol: User) -> None:
    with connected(stack, carol.token) as [client]:
        client.socket.send(json.dumps({"action": "ping"}))
        assert client.receive() == {"type": "pong"}


@pytest.mark.local_only  # plants a stale connection in the embedded AWS's table
def test_a_stale_connection_is_removed_on_410_and_only_it(stack: StackInfo, alice: User, carol: User) -> None:
    # Given carol connected, and a connection of hers that API Gateway no longer knows (it died without $disconnect)
    group = group_of(alice, "carol")
    with connected(stack, carol.token) as [client]:
        live = set(_connections(stack, "carol"))
        dynamodb(stack.aws_endpoint_url).update_item(
            TableName="ConnectionsTable",
            Key={"user_id": {"S": "carol"}},
            UpdateExpression="SET connections.#stale = :at",
            ExpressionAttributeNames={"#stale": "stale-connection="},
            ExpressionAttributeValues={":at": {"N": str(int(time.time() * 1000))}},
        )

        # When a message is fanned out to her
        sent = send(alice, group, "are you there?")

        # Then her live connection gets it, and the stale one (only it) is forgotten
        client.until(has_seq(sent["seq"]))
        deadline = time.monotonic() + FRAME_SECONDS
        while "stale-connection=" in _connections(stack, "carol") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert set(_connections(stack, "carol")) == live


@pytest.mark.local_only  # reads the embedded AWS's connections table
def test_a_closed_socket_is_forgotten(stack: StackInfo, bob: User) -> None:
    with connected(stack, bob.token):
        assert len(_connections(stack, "bob")) == 1
    deadline = time.monotonic() + FRAME_SECONDS
    while _connections(stack, "bob") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _connections(stack, "bob") == {}


@pytest.mark.local_only  # the local gateway's handshake
def test_a_request_that_is_no_websocket_upgrade_is_refused_and_stores_no_connection(
    stack: StackInfo, bob: User
) -> None:
    # Given bob without a connections item, and a plain HTTP GET of the WebSocket URL with his valid token
    dynamodb(stack.aws_endpoint_url).delete_item(TableName="ConnectionsTable", Key={"user_id": {"S": "bob"}})
    url = f"{str(stack.websocket_url).replace('ws://', 'http://', 1)}?token={bob.token}"

    # When it is sent (as by a browser tab or a health check)
    answer = requests.get(url, timeout=FRAME_SECONDS)

    # Then it is refused, and $connect never ran: it would have made his item, which $disconnect leaves behind
    assert answer.status_code == 426
    assert _connections_item(stack, "bob") is None


@pytest.mark.local_only  # the local gateway's handshake
def test_a_client_that_leaves_during_the_handshake_leaves_no_connection(stack: StackInfo, bob: User) -> None:
    # Given bob without a connections item, and a valid upgrade request with his token
    dynamodb(stack.aws_endpoint_url).delete_item(TableName="ConnectionsTable", Key={"user_id": {"S": "bob"}})
    websocket = urlsplit(str(stack.websocket_url))
    host, port = str(websocket.hostname), int(websocket.port or 80)
    request = (
        f"GET /?token={bob.token} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )

    # When it is sent and the client leaves at once, before any answer
    with socket.create_connection((host, port), timeout=FRAME_SECONDS) as client:
        client.sendall(request.encode())

    # Then $connect stores the connection (it runs after the client has left: his item appears), and
    # its $disconnect forgets it again (the item stays, with no connection in it)
    deadline = time.monotonic() + FRAME_SECONDS
    while (item := _connections_item(stack, "bob")) is None or item["connections"]["M"]:
        assert time.monotonic() < deadline, f"bob's connections: {item}"
        time.sleep(0.02)


def _connections_item(stack: StackInfo, user: str) -> dict[str, Any] | None:
    found = dynamodb(stack.aws_endpoint_url).get_item(
        TableName="ConnectionsTable", Key={"user_id": {"S": user}}, ConsistentRead=True
    )
    return found.get("Item")


def _connections(stack: StackInfo, user: str) -> dict[str, Any]:
    return dict((_connections_item(stack, user) or {}).get("connections", {}).get("M", {}))


@pytest.mark.local_only  # reads the embedded AWS's timeline table
def test_a_dismissal_revokes_every_member_answers_404_at_once_and_purges_the_timeline(
    stack: StackInfo, alice: User, bob: User
) -> None:
    # Given alice and bob connected to their group, which has said something
    group = group_of(alice, "bob")
    with connected(stack, alice.token, bob.token) as clients:
        said = send(bob, group, "last words")

        # When alice dismisses it
        dismiss = {"type": "dismiss", "chatgroup_id": group, "creator_id": "alice"}
        assert alice.call("DELETE", "/api/v1/chatgroup/delete", dismiss).status_code == 200

        # Then its timeline is 404 at once, each member gets the message then revoked(dismissed)
        assert bob.call("GET", f"/api/v1/chatgroup/{group}/messages").status_code == 404
        for client in clients:
            client.until(lambda frame: frame["type"] == "revoked")
            assert [(item["type"], item.get("seq"), item.get("reason")) for item in client.items()] == [
                ("message", said["seq"], None),
                ("revoked", None, "dismissed"),
            ]
    # And the background purge deletes its items
    deadline = time.monotonic() + FRAME_SECONDS
    while _timeline_size(stack, group) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _timeline_size(stack, group) == 0


def _timeline_size(stack: StackInfo, group: str) -> int:
    return int(
        dynamodb(stack.aws_endpoint_url).query(
            TableName="TimelineTable",
            KeyConditionExpression="chatgroup_id = :group",
            ExpressionAttributeValues={":group": {"S": group}},
            Select="COUNT",
            ConsistentRead=True,
        )["Count"]
    )
