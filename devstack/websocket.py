"""API Gateway's WebSocket API in front of the functions: routes, the $connect authorizer, and @connections.

The routes and authorizer come from template.yaml's AWS::ApiGatewayV2 resources. A valid
WebSocket upgrade runs the REQUEST authorizer with the query string (a raised `Unauthorized` is a
401, any other failure a 500), then $connect (a non-2xx answer refuses the handshake with that
status); any other request (plain HTTP, a bad upgrade) is refused without running either, as in
AWS. Each frame from a client runs $default, whose body is sent back when the route has a route
response. Every connection $connect accepted gets one $disconnect once its socket is closed, also
one that never opened (the client left during the handshake), so none outlives its socket.
Handlers run in worker threads, never on the socket loop, so a handler that posts to
@connections cannot block the loop it posts through.

The @connections management API (PostToConnection, GetConnection, DeleteConnection) is served
by the local REST gateway (see `ConnectionsApi`): an unknown connection is a 410 GoneException,
as in AWS, so the fan-out's boto3 client reaches the real socket with the code that runs in AWS.
"""

import asyncio
import base64
import json
import logging
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from devstack.lambda_runtime import LocalFunction
from devstack.template import UnsupportedTemplate, resources_of_type

logger = logging.getLogger("devstack.websocket")
_FUNCTION_ARN = re.compile(r"\$\{(\w+?)(?:\.Arn|Alias\w+)\}")
_INTEGRATION = re.compile(r"integrations/\$\{(\w+)\}")
SEND_TIMEOUT_SECONDS = 5
OPEN_TIMEOUT_SECONDS = 10
"""How long a handshake may take, authorizer and $connect included (websockets' default) before it is dropped."""


@dataclass(frozen=True)
class WebSocketSettings:
    """The stack's one WebSocket API: its routes' functions, authorizer, and which routes answer the client."""

    routes: dict[str, str]
    authorizer: str | None
    token_parameter: str | None
    two_way: frozenset[str]
    api_id: str

    @classmethod
    def from_template(cls, template: Mapping[str, Any]) -> "WebSocketSettings | None":
        apis = {
            logical_id: resource
            for logical_id, resource in resources_of_type(template, "AWS::ApiGatewayV2::Api").items()
            if resource["Properties"].get("ProtocolType") == "WEBSOCKET"
        }
        if not apis:
            return None
        if len(apis) != 1:
            raise UnsupportedTemplate("the local stack serves one WebSocket API")
        integrations = {
            logical_id: _function_of(resource["Properties"]["IntegrationUri"])
            for logical_id, resource in resources_of_type(template, "AWS::ApiGatewayV2::Integration").items()
        }
        routes, authorizer_ids = {}, set()
        for resource in resources_of_type(template, "AWS::ApiGatewayV2::Route").values():
            properties = resource["Properties"]
            target = _INTEGRATION.search(json.dumps(properties["Target"]))
            if target is None:
                raise UnsupportedTemplate(f"route {properties['RouteKey']}: Target must be integrations/${{...}}")
            routes[properties["RouteKey"]] = integrations[target.group(1)]
            if properties.get("AuthorizationType") == "CUSTOM":
                authorizer_ids.add(properties["AuthorizerId"]["Ref"])
        authorizers = resources_of_type(template, "AWS::ApiGatewayV2::Authorizer")
        authorizer, token = None, None
        for logical_id in authorizer_ids:
            properties = authorizers[logical_id]["Properties"]
            authorizer = _function_of(properties["AuthorizerUri"])
            sources = properties.get("IdentitySource", [])
            token = next((s.rsplit(".", 1)[1] for s in sources if s.startswith("route.request.querystring.")), None)
        route_ids = {
            logical_id: resource["Properties"]["RouteKey"]
            for logical_id, resource in resources_of_type(template, "AWS::ApiGatewayV2::Route").items()
        }
        two_way = frozenset(
            route_ids[resource["Properties"]["RouteId"]["Ref"]]
            for resource in resources_of_type(template, "AWS::ApiGatewayV2::RouteResponse").values()
        )
        return cls(routes, authorizer, token, two_way, api_id=next(iter(apis)))


def _function_of(uri: Any) -> str:
    found = _FUNCTION_ARN.search(json.dumps(uri))
    if found is None:
        raise UnsupportedTemplate(f"an integration or authorizer URI must name a function's Arn: {uri}")
    return found.group(1)


@dataclass(frozen=True)
class _Accepted:
    """A connection being accepted, then accepted by $connect: what its events' request contexts carry."""

    connection_id: str
    authorizer: dict[str, Any]
    connected_at: int
    source_ip: str


@dataclass(frozen=True)
class _Connection:
    socket: ServerConnection
    accepted: _Accepted


class WebSocketGateway:
    """The WebSocket API on its port, its socket loop in a thread of its own."""

    def __init__(self, port: int, host: str = "127.0.0.1", open_timeout: float = OPEN_TIMEOUT_SECONDS) -> None:
        self._listener = socket.create_server((host, port))
        self._open_timeout = open_timeout
        self.url = f"ws://{host}:{self._listener.getsockname()[1]}"
        self._loop = asyncio.new_event_loop()
        self._connections: dict[str, _Connection] = {}
        self._pending: dict[int, _Accepted] = {}
        self._background: set[asyncio.Task[Any]] = set()
        """Handshakes and watchers running on the loop, held until done (the loop keeps only weak references)."""
        self._server: Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="websocket-api", daemon=True)
        self.settings: WebSocketSettings
        self.functions: Mapping[str, LocalFunction]
        self.stage = "dev"

    def start(self, settings: WebSocketSettings, functions: Mapping[str, LocalFunction], stage: str) -> None:
        self.settings, self.functions, self.stage = settings, functions, stage
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result()

    async def _serve(self) -> Server:
        return await serve(
            self._session,
            sock=self._listener,
            process_response=self._handshake,
            ping_interval=None,
            open_timeout=self._open_timeout,
        )

    def stop(self) -> None:
        if self._thread.is_alive():
            server = self._server

            async def close() -> None:
                if server is not None:
                    server.close()
                    await server.wait_closed()

            asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
        self._listener.close()

    # The @connections API, called from the REST gateway's threads.

    def post(self, connection_id: str, data: bytes) -> bool:
        """Send one frame to a connection; False if there is no such open connection (410 in AWS)."""
        connection = self._connections.get(connection_id)
        if connection is None:
            return False
        text = data.decode()
        try:
            asyncio.run_coroutine_threadsafe(connection.socket.send(text), self._loop).result(SEND_TIMEOUT_SECONDS)
        except ConnectionClosed:
            return False
        return True

    def describe(self, connection_id: str) -> dict[str, Any] | None:
        connection = self._connections.get(connection_id)
        if connection is None:
            return None
        iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(connection.accepted.connected_at / 1000))
        return {"connectedAt": iso, "identity": {"sourceIp": connection.accepted.source_ip}, "lastActiveAt": iso}

    def close(self, connection_id: str) -> bool:
        connection = self._connections.get(connection_id)
        if connection is None:
            return False
        asyncio.run_coroutine_threadsafe(connection.socket.close(1000, "Connection closed by the server"), self._loop)
        return True

    # The socket side.

    async def _handshake(self, socket_: ServerConnection, request: Request, response: Response) -> Response | None:
        """The authorizer and $connect, for a valid upgrade only: websockets has answered any other request.

        They run shielded: if websockets gives up on the handshake (its open timeout) while they run,
        they still finish, and a connection $connect stored gets its $disconnect all the same."""
        if response.status_code != HTTPStatus.SWITCHING_PROTOCOLS:
            logger.info("WS handshake %d (not a WebSocket upgrade)", response.status_code)
            return None
        return await asyncio.shield(self._in_background(self._accept(socket_, request)))

    def _in_background[Result](self, work: Coroutine[Any, Any, Result]) -> "asyncio.Task[Result]":
        """A task held until it is done, whose failure is logged even if nobody awaits it any more."""
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._settled)
        return task

    def _settled(self, task: "asyncio.Task[Any]") -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("WS background task failed", exc_info=task.exception())

    async def _accept(self, socket_: ServerConnection, request: Request) -> Response | None:
        query = dict(parse_qsl(urlsplit(request.path).query, keep_blank_values=True))
        connection_id = base64.urlsafe_b64encode(os.urandom(9)).decode() + "="
        accepted = _Accepted(connection_id, {}, int(time.time() * 1000), str(socket_.remote_address[0]))
        context = self._context("$connect", "CONNECT", accepted)
        headers = dict(request.headers.raw_items())
        if self.settings.authorizer is not None:
            event = {
                "type": "REQUEST",
                "methodArn": f"arn:aws:execute-api:us-east-1:123456789012:{self.settings.api_id}/{self.stage}/$connect",
                "headers": headers,
                "queryStringParameters": query,
                "stageVariables": {},
                "requestContext": context,
            }
            try:
                policy = await self._call(self.settings.authorizer, event)
            except Exception as refused:  # Lambda's error document: "Unauthorized" is a 401, anything else a 500
                status = HTTPStatus.UNAUTHORIZED if str(refused) == "Unauthorized" else HTTPStatus.INTERNAL_SERVER_ERROR
                logger.info("WS $connect %d (authorizer)", status)
                return socket_.respond(status, f"{status.phrase}\n")
            accepted = replace(accepted, authorizer={"principalId": policy["principalId"], **policy.get("context", {})})
            context["authorizer"] = accepted.authorizer
        answer = await self._route("$connect", {"headers": headers, "queryStringParameters": query or None}, context)
        code = int(answer.get("statusCode", 200)) if isinstance(answer, dict) else 500
        if not 200 <= code < 300:
            logger.info("WS $connect %d", code)
            return socket_.respond(HTTPStatus(code), f"{HTTPStatus(code).phrase}\n")
        self._pending[id(socket_)] = accepted
        self._in_background(self._disconnect_when_closed(socket_, accepted))
        return None

    async def _disconnect_when_closed(self, socket_: ServerConnection, accepted: _Accepted) -> None:
        """$disconnect once the socket is closed, whether or not it ever opened: the one place that runs it,
        so every connection $connect accepted gets exactly one."""
        await socket_.wait_closed()
        self._pending.pop(id(socket_), None)
        self._connections.pop(accepted.connection_id, None)
        context = self._context("$disconnect", "DISCONNECT", accepted)
        context |= {"disconnectStatusCode": socket_.close_code or 1006, "disconnectReason": socket_.close_reason}
        await self._route("$disconnect", {}, context)
        logger.info("WS disconnected %s", accepted.connection_id)

    async def _session(self, socket_: ServerConnection) -> None:
        accepted = self._pending.pop(id(socket_), None)
        if accepted is None:  # closed before it opened
            return
        self._connections[accepted.connection_id] = _Connection(socket_, accepted)
        logger.info("WS connected %s (%s)", accepted.connection_id, accepted.authorizer.get("principalId", "-"))
        try:
            async for message in socket_:
                context = self._context("$default", "MESSAGE", accepted)
                body = message if isinstance(message, str) else message.decode(errors="replace")
                answer = await self._route("$default", {"body": body, "isBase64Encoded": False}, context)
                if "$default" in self.settings.two_way and isinstance(answer, dict) and answer.get("body"):
                    await socket_.send(str(answer["body"]))
        except ConnectionClosed:
            pass

    def _context(self, route: str, event_type: str, accepted: _Accepted) -> dict[str, Any]:
        """A route's `requestContext`, as API Gateway gives it for one event of the connection."""
        context: dict[str, Any] = {
            "routeKey": route,
            "eventType": event_type,
            "messageDirection": "IN",
            "stage": self.stage,
            "connectedAt": accepted.connected_at,
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": accepted.source_ip},
            "requestId": str(uuid.uuid4()),
            "domainName": "127.0.0.1",
            "connectionId": accepted.connection_id,
            "apiId": self.settings.api_id,
        }
        if accepted.authorizer:
            context["authorizer"] = accepted.authorizer
        return context

    async def _route(self, route: str, event: dict[str, Any], context: dict[str, Any]) -> Any:
        """Invoke the route's function with a WebSocket proxy event; its failure is logged, as API Gateway's 500."""
        function = self.settings.routes.get(route)
        if function is None:
            return None
        try:
            return await self._call(function, event | {"requestContext": context})
        except Exception:
            logger.exception("WS %s: %s raised", route, function)
            return {"statusCode": 500}

    async def _call(self, function: str, event: dict[str, Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, self.functions[function].invoke, event)


_CONNECTIONS_PATH = re.compile(r"^(?:/[^/@]+)?/@connections/([^/]+)$")


@dataclass(frozen=True)
class ConnectionsApi:
    """`POST|GET|DELETE [/{stage}]/@connections/{id}`: answers for the REST gateway to serve."""

    gateway: WebSocketGateway

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, str], bytes] | None:
        """(status, headers, body), or None if the path is not the management API's."""
        found = _CONNECTIONS_PATH.match(path)
        if found is None:
            return None
        connection_id = unquote(found.group(1))
        if method == "POST":
            done = self.gateway.post(connection_id, body)
            return (200, {}, b"") if done else _gone()
        if method == "GET":
            described = self.gateway.describe(connection_id)
            return (200, {"Content-Type": "application/json"}, json.dumps(described).encode()) if described else _gone()
        if method == "DELETE":
            return (204, {}, b"") if self.gateway.close(connection_id) else _gone()
        return 405, {}, b""


def _gone() -> tuple[int, dict[str, str], bytes]:
    return 410, {"Content-Type": "application/json", "x-amzn-ErrorType": "GoneException"}, b'{"message":null}'
