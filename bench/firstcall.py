"""The first invocation of every function in the cold-start bench: its event, and the state it needs.

A cold start is paid by a request, so the bench times start-up plus one invocation (the baseline:
start-up plus one GetItem). Each round gets users and groups of its own (`r<n>-...`), seeded here
through the functions' code in this process against the embedded AWS, so that every child's one
invocation is the common, successful case of its function (no 4xx short cut) and no round sees
another's leftovers. What AWS would serve besides DynamoDB and SQS, a Cognito pool's JWKS and the
WebSocket API's @connections endpoint, is served by a small HTTP server of the bench.
"""

import copy
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey

from bench import stack
from devstack import plumbing
from devstack.lambda_runtime import proxy_event

EVENTS = stack.ROOT / "events"
ACCOUNT_ID = "123456789012"
"""moto's account, which the queue URLs the notifier builds name."""
ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_bench"
CLIENT_ID = "benchclient"
EVENT_ID = "bench-cold-start"
FLOOR = "FloorFunction"
"""The key of bench/floor/powertools_floor.py's event: a POST of a group's id, which it looks up with one GetItem."""
SAMPLED_TRACE = "Root=1-6751c3a0-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1"
"""Lambda sets _X_AMZN_TRACE_ID per invocation; sampled, so the Tracer records and sends as it does in Lambda."""


@dataclass(frozen=True)
class Invocation:
    """One event for one function and what its answer must show for the run to count."""

    event: dict[str, Any]
    expect: str
    """"status 200", "principal" (an authorizer's Allow) or "no failures" (a stream batch)."""


class _AwsBesides(BaseHTTPRequestHandler):
    """The pool's JWKS on GET, @connections' PostToConnection on POST (200, as for a live connection)."""

    jwks: bytes = b"{}"

    def do_GET(self) -> None:
        self._answer(self.jwks)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer(b"")

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the bench prints its own tables."""


class Scenario:
    """Seeds a round's state and gives each function its event; `environment` points children at it all."""

    def __init__(self, aws_endpoint: str, side_endpoint: str, key: RSAKey) -> None:
        self.aws_endpoint = aws_endpoint
        self.side_endpoint = side_endpoint
        self._key = key
        self._rounds = 0
        self.api = stack.Api()

    def environment(self) -> dict[str, str]:
        """What the template resolves in AWS, resolved to the embedded AWS and the side server."""
        return {
            "AWS_ENDPOINT_URL": self.aws_endpoint,
            "ACCOUNT_ID": ACCOUNT_ID,
            "COGNITO_ISSUER": ISSUER,
            "COGNITO_CLIENT_IDS": CLIENT_ID,
            "COGNITO_JWKS_URL": f"{self.side_endpoint}/jwks.json",
            "WEBSOCKET_CALLBACK_URL": f"{self.side_endpoint}/dev",
            "_X_AMZN_TRACE_ID": SAMPLED_TRACE,
        }

    def baseline_key(self) -> dict[str, Any]:
        """The baseline's GetItem: a group item of the first round."""
        return {"TableName": "ChatgroupTable", "Key": {"chatgroup_id": {"S": self._baseline_group}}}

    def next_round(self) -> dict[str, Invocation]:
        """State for one more round, and the event each function gets in it (by logical id)."""
        self._rounds += 1
        prefix = f"r{self._rounds}"
        owner, member, applicant, creator, withdrawer = (
            f"{prefix}-{name}" for name in ("ann", "ben", "cat", "dan", "eve")
        )
        group = self._create(owner, member)
        application = {"type": "application", "chatgroup_id": group}
        self.api.ok("POST", "/api/v1/inbox/create", withdrawer, application)
        if self._rounds == 1:
            self._baseline_group = group
        dismissed = self._create(owner, member)
        self.api.ok("DELETE", "/api/v1/chatgroup/delete", owner, _dismiss(dismissed, owner))
        for connection in ("posted", "closing"):
            self._connect(owner, f"{prefix}-{connection}")
        messages = f"/api/v1/chatgroup/{group}/messages"
        return {
            "CreateChatgroupFunction": self._rest("POST", "/api/v1/chatgroup/create", creator, _group_body(member)),
            "GetChatgroupFunction": self._rest("GET", f"/api/v1/chatgroup/get/{group}", owner),
            "PutChatgroupFunction": self._rest(
                "PUT",
                "/api/v1/chatgroup/put",
                owner,
                {"type": "update", "chatgroup_id": group, "attrs": {"capacity": 9}},
            ),
            "DeleteChatgroupFunction": self._rest(
                "DELETE",
                "/api/v1/chatgroup/delete",
                owner,
                {"type": "kickout", "chatgroup_id": group, "creator_id": owner, "who_to_kick_out": member},
            ),
            "CreateInboxMessageFunction": self._rest("POST", "/api/v1/inbox/create", applicant, application),
            "DeleteInboxMessageFunction": self._rest("DELETE", "/api/v1/inbox/delete", withdrawer, application),
            "GetInboxFunction": self._rest("GET", "/api/v1/inbox/get", owner, query={"limit": "20"}),
            "ListSentFunction": self._rest("GET", "/api/v1/inbox/sent", withdrawer, query={"limit": "20"}),
            "ListBansFunction": self._rest(
                "GET", f"/api/v1/chatgroup/{group}/bans", owner, query={"limit": "20"}, group=group
            ),
            "PreSignUpFunction": Invocation(_event("pre_sign_up.json", userName=creator), "signed up"),
            "ListMyChatgroupsFunction": self._rest("GET", "/api/v1/chatgroup/mine", owner, query={"limit": "20"}),
            "ListEventChatgroupsFunction": self._rest(
                "GET", "/api/v1/chatgroup/list", owner, query={"eventid": EVENT_ID, "limit": "20"}
            ),
            "SendMessageFunction": self._rest(
                "POST", messages, owner, {"text": "Doors open!", "client_msg_id": f"{prefix}-1"}, group=group
            ),
            "ListMessagesFunction": self._rest(
                "GET", messages, owner, query={"after_seq": "0", "limit": "50"}, group=group
            ),
            "WebSocketAuthorizerFunction": Invocation(
                _event("ws_authorizer.json", queryStringParameters={"token": self._token(owner)}), "principal"
            ),
            "WebSocketConnectFunction": _socket("ws_connect.json", owner, f"{prefix}-opened"),
            "WebSocketDisconnectFunction": _socket("ws_disconnect.json", owner, f"{prefix}-closing"),
            "WebSocketDefaultFunction": _socket("ws_default_ping.json", owner, f"{prefix}-posted"),
            "FanOutFunction": _record("fan_out_stream_batch.json", group, {"sender": owner, "seq": 1000}),
            "PurgeTimelineFunction": _removal("purge_timeline_stream_batch.json", dismissed),
            FLOOR: self._rest("POST", "/floor", owner, {"chatgroup_id": group}),
            "NotifyQueueFunction": _record(
                "notify_queue_stream_batch.json", group, {"user": applicant, "by": owner, "seq": 1000}
            ),
        }

    def _create(self, owner: str, member: str) -> str:
        return str(self.api.ok("POST", "/api/v1/chatgroup/create", owner, _group_body(member))["chatgroup_id"])

    def _connect(self, user: str, connection_id: str) -> None:
        from chatgroup.connections import connect

        connect(user, connection_id, 1_795_993_200_000)

    def _rest(
        self,
        method: str,
        path: str,
        user: str,
        body: Any = None,
        query: dict[str, str] | None = None,
        group: str | None = None,
    ) -> Invocation:
        resource = path.replace(group, "{chatgroup_id}") if group else path
        if path.startswith("/api/v1/chatgroup/get/"):
            resource, group = "/api/v1/chatgroup/get/{chatgroup_id}", path.rsplit("/", 1)[1]
        event = proxy_event(
            method,
            resource,
            claims={"cognito:username": user, "token_use": "id"},
            body=body,
            path=path,
            path_parameters={"chatgroup_id": group} if group else None,
            query=query,
        )
        return Invocation(event, "status 200")

    def _token(self, user: str) -> str:
        claims = {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "token_use": "id",
            "cognito:username": user,
            "exp": 4_102_444_800,
            "iat": 1_795_993_200,
        }
        return jwt.encode({"kid": "bench", "alg": "RS256"}, claims, self._key)


def _group_body(member: str) -> dict[str, Any]:
    return {"name": "Doors crew", "capacity": 10, "memberlist": member, "eventid": EVENT_ID}


def _dismiss(group: str, owner: str) -> dict[str, str]:
    return {"type": "dismiss", "chatgroup_id": group, "creator_id": owner}


def _event(name: str, **fields: Any) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return event | fields


def _socket(name: str, user: str, connection_id: str) -> Invocation:
    event = _event(name)
    context = copy.deepcopy(event["requestContext"])
    context["connectionId"] = connection_id
    context["authorizer"] = {"principalId": user, "username": user}
    return Invocation(event | {"requestContext": context}, "status 200")


def _removal(name: str, group: str) -> Invocation:
    """The documented KEYS_ONLY stream batch of `name`, its deleted items moved to `group`."""
    event = _event(name)
    for record in event["Records"]:
        record["dynamodb"]["Keys"] = {"chatgroup_id": {"S": group}}
    return Invocation(event, "no failures")


def _record(name: str, group: str, fields: dict[str, Any]) -> Invocation:
    """The documented stream batch of `name`, its records moved to `group` with `fields` set (seqs in order)."""
    event = _event(name)
    for offset, record in enumerate(event["Records"]):
        change = record["dynamodb"]
        image = change["NewImage"] | {"chatgroup_id": {"S": group}}
        for field, value in (fields | {"seq": fields["seq"] + offset}).items():
            image[field] = {"N": str(value)} if isinstance(value, int) else {"S": value}
        if "members" in image:
            image["members"] = {"SS": [fields["user"]]}
        change["NewImage"] = image
        change["Keys"] = {"chatgroup_id": image["chatgroup_id"], "seq": image["seq"]}
    return Invocation(event, "no failures")


@contextmanager
def scenario(endpoint: str) -> Iterator[Scenario]:
    """The embedded AWS at `endpoint` emptied and given the template's tables, and the side server.

    This process must already be pointed at `endpoint` (`stack.point_process_at`): the functions' code
    that seeds the rounds binds its endpoint when first imported."""
    key = RSAKey.generate_key(2048, parameters={"kid": "bench", "alg": "RS256", "use": "sig"})
    handler = type("AwsBesides", (_AwsBesides,), {"jwks": json.dumps({"keys": [key.as_dict(private=False)]}).encode()})
    side = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=side.serve_forever, name="bench-side", daemon=True)
    thread.start()
    try:
        plumbing.reset_aws(endpoint)
        yield Scenario(endpoint, f"http://127.0.0.1:{side.server_port}", key)
    finally:
        side.shutdown()
        side.server_close()
