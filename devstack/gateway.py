"""API Gateway in front of the functions: the routes of template.yaml, its Cognito authorizer, REST proxy events."""

import base64
import json
import logging
import re
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from devstack.auth import CognitoAuthorizer, Unauthorized
from devstack.lambda_runtime import LocalFunction, proxy_event
from devstack.plumbing import LoopbackServer
from devstack.template import ROOT, Route, UnsupportedTemplate, api_properties, resolve, resources_of_type
from devstack.websocket import ConnectionsApi

logger = logging.getLogger("devstack.gateway")

JSON = "application/json"
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
"""API Gateway refuses larger request bodies."""
OPENAPI_PATH = "/api/v1/openapi.json"
"""Where the local stack serves the API's OpenAPI document, without a token; not a route of template.yaml."""
OPENAPI_DOCUMENT = ROOT / "docs" / "openapi.json"
"""The committed document (`make openapi`), read on every request so a regenerated one is served at once.

Not imported from devstack.openapi, which imports Powertools from .venv before the layers are on sys.path.
"""
_PARAMETER = re.compile(r"\{([^}]+?)(\+?)\}")
_DECIMAL = re.compile(r"[0-9]+")
_HEXADECIMAL = re.compile(rb"[0-9A-Fa-f]+")
_CORS_HEADERS = {
    "AllowOrigin": "Access-Control-Allow-Origin",
    "AllowHeaders": "Access-Control-Allow-Headers",
    "AllowMethods": "Access-Control-Allow-Methods",
    "MaxAge": "Access-Control-Max-Age",
    "AllowCredentials": "Access-Control-Allow-Credentials",
}


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str

    def header(self, name: str) -> str | None:
        """The last value of a header, matched without regard to case, as API Gateway's `headers` holds it."""
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return values[-1] if values else None


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""
    function: str | None = None


@dataclass(frozen=True)
class Endpoint:
    """One route of a function; `{name}` matches one path segment and `{name+}` the rest of the path."""

    route: Route
    function: LocalFunction
    pattern: re.Pattern[str]
    parameters: tuple[str, ...]

    @classmethod
    def of(cls, route: Route, function: LocalFunction) -> "Endpoint":
        regex, names, position = "", [], 0
        for parameter in _PARAMETER.finditer(route.path):
            regex += re.escape(route.path[position : parameter.start()])
            regex += "(.+)" if parameter.group(2) else "([^/]+)"
            names.append(parameter.group(1))
            position = parameter.end()
        regex += re.escape(route.path[position:])
        return cls(route=route, function=function, pattern=re.compile(regex), parameters=tuple(names))

    def path_parameters(self, path: str) -> dict[str, str] | None:
        match = self.pattern.fullmatch(path)
        if match is None:
            return None
        return {name: unquote(value) for name, value in zip(self.parameters, match.groups(), strict=True)}

    @property
    def specificity(self) -> tuple[int, int]:
        """API Gateway prefers a literal segment to a parameter, and a parameter to a greedy one."""
        return self.route.path.count("+}"), len(self.parameters)


class Router:
    def __init__(self, functions: Iterable[LocalFunction]) -> None:
        endpoints = [Endpoint.of(route, function) for function in functions for route in function.spec.routes]
        self.endpoints = sorted(endpoints, key=lambda endpoint: endpoint.specificity)

    def find(self, method: str, path: str) -> tuple[Endpoint, dict[str, str]] | None:
        for endpoint in self.endpoints:
            if endpoint.route.method in (method, "ANY"):
                parameters = endpoint.path_parameters(path)
                if parameters is not None:
                    return endpoint, parameters
        return None

    def methods_at(self, path: str) -> set[str]:
        return {endpoint.route.method for endpoint in self.endpoints if endpoint.path_parameters(path) is not None}


@dataclass(frozen=True)
class ApiSettings:
    """What the AWS::Serverless::Api adds around the functions: stage, CORS, authorizer, gateway responses."""

    stage: str
    cors: dict[str, str] | None
    authorizer_pool_arn: str
    authorized_preflight: bool
    gateway_responses: dict[str, dict[str, str]]

    @classmethod
    def from_template(cls, template: Mapping[str, Any], refs: Mapping[str, str]) -> "ApiSettings":
        properties = resolve(api_properties(template), refs)
        auth = properties.get("Auth", {})
        authorizer = auth.get("Authorizers", {}).get(auth.get("DefaultAuthorizer"), {})
        if "UserPoolArn" not in authorizer or "AuthorizationScopes" in authorizer or _routes_with_own_auth(template):
            raise UnsupportedTemplate(
                "the local gateway emulates one default Cognito authorizer, without scopes, on every route"
            )
        return cls(
            stage=properties["StageName"],
            cors=_cors(properties.get("Cors")),
            authorizer_pool_arn=authorizer["UserPoolArn"],
            authorized_preflight=auth.get("AddDefaultAuthorizerToCorsPreflight", True),
            gateway_responses={
                kind: {name: _unquote(value) for name, value in response["ResponseParameters"]["Headers"].items()}
                for kind, response in properties.get("GatewayResponses", {}).items()
                if "Headers" in response.get("ResponseParameters", {})
            },
        )


def _routes_with_own_auth(template: Mapping[str, Any]) -> bool:
    return any(
        "Auth" in event.get("Properties", {})
        for resource in resources_of_type(template, "AWS::Serverless::Function").values()
        for event in resource["Properties"].get("Events", {}).values()
    )


def _cors(cors: Any) -> dict[str, str] | None:
    """Preflight headers from SAM's Cors: a bare origin, or a mapping of quoted values."""
    if cors is None:
        return None
    if isinstance(cors, str):
        return {_CORS_HEADERS["AllowOrigin"]: _unquote(cors)}
    return {
        _CORS_HEADERS[key]: _unquote(str(value).lower() if isinstance(value, bool) else value)
        for key, value in cors.items()
    }


def _unquote(value: str) -> str:
    """API Gateway's static values are quoted: `"'*'"` means `*`."""
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == "'" else value


class Gateway:
    """Turns one HTTP request into what API Gateway would answer, calling the function only when it would."""

    def __init__(
        self,
        router: Router,
        authorizer: CognitoAuthorizer,
        settings: ApiSettings,
        account_id: str,
        connections: ConnectionsApi | None = None,
    ) -> None:
        self.router = router
        self.authorizer = authorizer
        self.settings = settings
        self.account_id = account_id
        self.connections = connections
        """The WebSocket API's @connections management API, which the local stack serves on this port."""

    def handle(self, request: HttpRequest) -> HttpResponse:
        request_id = str(uuid.uuid4())
        if self.connections is not None:
            managed = self.connections.answer(request.method, request.path, request.body)
            if managed is not None:
                status, headers, body = managed
                return HttpResponse(status, [("x-amzn-RequestId", request_id), *headers.items()], body, "@connections")
        if request.path == OPENAPI_PATH and request.method in ("GET", "HEAD"):
            return self._openapi_document(request_id)
        methods = self.router.methods_at(request.path)
        if request.method == "OPTIONS" and methods and "OPTIONS" not in methods and self.settings.cors is not None:
            return self._preflight(request, methods, request_id)
        found = self.router.find(request.method, request.path)
        if found is None:
            return self._refusal(403, "Missing Authentication Token", "MISSING_AUTHENTICATION_TOKEN", request_id)
        try:
            claims = self.authorizer.claims(request.header("Authorization"))
        except Unauthorized:
            return self._refusal(401, "Unauthorized", "UNAUTHORIZED", request_id)
        endpoint, parameters = found
        return self._invoke(endpoint, self._event(request, endpoint, parameters, claims, request_id), request_id)

    def _openapi_document(self, request_id: str) -> HttpResponse:
        """docs/openapi.json as committed, to anyone, with the CORS origin so a browser's API viewer can read it."""
        origin = (self.settings.cors or {}).get(_CORS_HEADERS["AllowOrigin"])
        headers = [("Content-Type", JSON), ("x-amzn-RequestId", request_id)]
        headers += [(_CORS_HEADERS["AllowOrigin"], origin)] if origin else []
        try:
            return HttpResponse(status=200, headers=headers, body=OPENAPI_DOCUMENT.read_bytes())
        except FileNotFoundError:
            return HttpResponse(status=404, headers=headers, body=b'{"message":"docs/openapi.json is missing"}')

    def _preflight(self, request: HttpRequest, methods: set[str], request_id: str) -> HttpResponse:
        """SAM's mock OPTIONS method: the Cors headers, and by default the path's methods."""
        if self.settings.authorized_preflight:
            try:
                self.authorizer.claims(request.header("Authorization"))
            except Unauthorized:
                return self._refusal(401, "Unauthorized", "UNAUTHORIZED", request_id)
        allowed = {_CORS_HEADERS["AllowMethods"]: ",".join(sorted(methods | {"OPTIONS"}))} | (self.settings.cors or {})
        headers = [("Content-Type", JSON), ("x-amzn-RequestId", request_id), *allowed.items()]
        return HttpResponse(status=200, headers=headers)

    def _refusal(self, status: int, message: str, response_type: str, request_id: str) -> HttpResponse:
        """A gateway response: the function is not called; the template's GatewayResponses add their headers."""
        configured = self.settings.gateway_responses
        extra = configured.get(response_type) or configured.get(f"DEFAULT_{status // 100}XX", {})
        error_type = {401: "UnauthorizedException", 403: "MissingAuthenticationTokenException"}
        headers = [
            ("Content-Type", JSON),
            ("x-amzn-RequestId", request_id),
            ("x-amzn-ErrorType", error_type.get(status, "InternalServerErrorException")),
            *extra.items(),
        ]
        return HttpResponse(status=status, headers=headers, body=json.dumps({"message": message}).encode())

    def _event(
        self,
        request: HttpRequest,
        endpoint: Endpoint,
        parameters: dict[str, str],
        claims: dict[str, str],
        request_id: str,
    ) -> dict[str, Any]:
        """The REST (v1) proxy event: the last value of each header and query parameter, and every value in multi*."""
        headers = dict(request.headers)
        event = proxy_event(
            request.method,
            endpoint.route.path,
            claims=claims,
            body=request.body.decode("utf-8", errors="replace") if request.body else None,
            path=request.path,
            path_parameters=parameters,
            query=dict(request.query),
            headers=headers,
            stage=self.settings.stage,
        )
        event["headers"] = headers
        event["multiValueHeaders"] = _multi(request.headers)
        event["multiValueQueryStringParameters"] = _multi(request.query) or None
        event["requestContext"] |= {
            "requestId": request_id,
            "accountId": self.account_id,
            "apiId": "local",
            "domainName": request.header("Host") or "",
            "protocol": "HTTP/1.1",
            "identity": {"sourceIp": request.source_ip, "userAgent": request.header("User-Agent") or ""},
        }
        return event

    def _invoke(self, endpoint: Endpoint, event: dict[str, Any], request_id: str) -> HttpResponse:
        function_id = endpoint.function.spec.logical_id
        try:
            response = proxy_response(endpoint.function.invoke(event))
        except MalformedResponse:
            logger.error("%s returned a malformed Lambda proxy response", function_id)
            return replace(self._refusal(502, "Internal server error", "DEFAULT_5XX", request_id), function=function_id)
        except Exception:
            logger.exception("%s raised", function_id)
            return replace(self._refusal(502, "Internal server error", "DEFAULT_5XX", request_id), function=function_id)
        return replace(response, headers=[*response.headers, ("x-amzn-RequestId", request_id)], function=function_id)


def _multi(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return grouped


class MalformedResponse(Exception):
    """The function's result is not a proxy response; API Gateway answers 502."""


def proxy_response(result: Any) -> HttpResponse:
    """The HTTP response API Gateway makes of a proxy result; `headers` and `multiValueHeaders` are merged."""
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        raise MalformedResponse
    headers = [
        (name, str(value)) for name, values in (result.get("multiValueHeaders") or {}).items() for value in values
    ]
    seen = {(name.lower(), value) for name, value in headers}
    headers += [
        (name, str(value))
        for name, value in (result.get("headers") or {}).items()
        if (name.lower(), str(value)) not in seen
    ]
    body = result.get("body") or ""
    try:
        payload = base64.b64decode(body, validate=True) if result.get("isBase64Encoded") else body.encode()
    except (ValueError, TypeError, AttributeError) as malformed:
        raise MalformedResponse from malformed
    return HttpResponse(status=result["statusCode"], headers=headers, body=payload)


class PayloadTooLarge(Exception):
    """The body is over API Gateway's limit; it is not read, and the connection is closed after the 413."""


def gateway_error(status: int) -> HttpResponse:
    """An answer of the gateway itself, not of a function: API Gateway's JSON `message`, here the status's phrase."""
    return HttpResponse(status, [("Content-Type", JSON)], json.dumps({"message": HTTPStatus(status).phrase}).encode())


class _RequestHandler(BaseHTTPRequestHandler):
    """Plain HTTP in and out; everything API Gateway decides is in `Gateway`."""

    server: "GatewayServer"
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, the body of a kept-alive
    # response waits ~40 ms for the client's delayed ACK.
    disable_nagle_algorithm = True
    _UNSENT = frozenset({"content-length", "connection", "transfer-encoding"})

    def _serve(self) -> None:
        started = time.perf_counter()
        url = urlsplit(self.path)
        try:
            request = HttpRequest(
                method=self.command,
                path=url.path,
                query=parse_qsl(url.query, keep_blank_values=True),
                headers=list(self.headers.items()),
                body=self._body(),
                source_ip=self.client_address[0],
            )
        except PayloadTooLarge:
            response = HttpResponse(413, [("Content-Type", JSON)], b'{"message":"Request Too Long"}')
        except ValueError:
            self.close_connection = True
            response = gateway_error(HTTPStatus.BAD_REQUEST)
        else:
            response = self.server.served.handle(request)
        self._send(response)
        elapsed_ms = (time.perf_counter() - started) * 1000
        logger.info(
            "%s %s %d %.1f ms %s", self.command, url.path, response.status, elapsed_ms, response.function or "-"
        )

    def __getattr__(self, name: str) -> Any:
        """Every method reaches the gateway, as at API Gateway (TRACE, CONNECT, QUERY, any word at all).

        http.server answers a method without a `do_<METHOD>` with its own 501 HTML page;
        API Gateway answers a method the API lacks with its JSON 403, which `Gateway` gives.
        """
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def parse_request(self) -> bool:
        """http.server's parsing, without HTTP/0.9, which API Gateway does not speak.

        A request line of two words (`GET /path`) is HTTP/0.9: http.server would wait for headers
        such a client never sends, then answer with a bare body, without status line or headers.
        """
        if len(self.raw_requestline.split()) == 2:
            self.command = ""
            self.send_error(HTTPStatus.BAD_REQUEST)
            return False
        return super().parse_request()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a malformed request line, version or header) as API Gateway's JSON.

        Always with a status line and headers, even when the request line named no HTTP version, and the
        connection is closed after it: what follows a malformed request is not a request one can trust.
        """
        self.request_version = self.protocol_version
        self.close_connection = True
        logger.warning("%s: refused a malformed request: %d %s", self.address_string(), code, message or "")
        self._send(gateway_error(code))

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._chunked_body()
        length = self._content_length()
        if length > MAX_PAYLOAD_BYTES:
            self.close_connection = True
            raise PayloadTooLarge
        return self.rfile.read(length)

    def _content_length(self) -> int:
        """The body's length: one value, of decimal digits only, else a ValueError (400).

        `int()` alone would take `-1`, and reading -1 bytes waits until the client closes the connection.
        """
        values = {value.strip() for value in self.headers.get_all("Content-Length", ["0"])}
        if len(values) != 1 or not _DECIMAL.fullmatch(length := values.pop()):
            raise ValueError("Content-Length is not one decimal length")
        return int(length)

    def _chunk_size(self) -> int:
        """A chunk's size: hexadecimal digits only, else a ValueError (400); `int(…, 16)` would take `-5`."""
        size = self.rfile.readline().split(b";")[0].strip()
        if not _HEXADECIMAL.fullmatch(size):
            raise ValueError(f"chunk size {size[:20]!r} is not hexadecimal")
        return int(size, 16)

    def _chunked_body(self) -> bytes:
        body = b""
        while size := self._chunk_size():
            body += self.rfile.read(size)
            self.rfile.readline()
            if len(body) > MAX_PAYLOAD_BYTES:
                self.close_connection = True
                raise PayloadTooLarge
        while self.rfile.readline().strip():
            pass
        return body

    def _send(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in self._UNSENT:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Replaced by the one line `_serve` logs per request."""

    def log_message(self, format: str, *args: Any) -> None:
        logger.warning("%s: %s", self.address_string(), format % args)


class GatewayServer(LoopbackServer[Gateway]):
    """The API's port."""

    # Bursts of clients (the race tests open 50 at once) must queue, not be reset.
    request_queue_size = 128

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        super().__init__(port, _RequestHandler, "api-gateway", host)
