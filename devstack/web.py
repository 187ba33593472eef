"""The web app's port: the static files of `web/`, a `config.json` made for this stack, and Swagger UI.

    python -m devstack.web --stack chatgroup-prod > config.json    # a deployed stack's config.json (`make web-config`)

The app is plain files that any static host serves (S3 + CloudFront in AWS); the only thing
that differs between stacks is `config.json`, which this server makes from the running
stack instead of reading it from disk. Swagger UI (`/docs/`, vendored from npm, see
`devstack/swagger_ui/vendor/VERSION`) and the OpenAPI document (`/openapi.json`) are local extras: they
are not in `web/`, so they are never deployed with the app, and they are not routes of the API.
"""

import argparse
import json
import logging
import mimetypes
import os
import sys
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import boto3
from botocore.exceptions import BotoCoreError

from devstack.deployed import UnusableStack
from devstack.plumbing import LoopbackServer
from devstack.template import ROOT

logger = logging.getLogger("devstack.web")

WEB_ROOT = ROOT / "web"
SWAGGER_UI_ROOT = Path(__file__).parent / "swagger_ui"
OPENAPI_DOCUMENT = ROOT / "docs" / "openapi.json"
_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".json": "application/json"}


@dataclass(frozen=True)
class WebConfig:
    """What `web/config.json` holds: where the app finds the API, the WebSocket and Cognito."""

    api_url: str
    websocket_url: str | None
    region: str
    user_pool_id: str
    client_id: str
    cognito_endpoint: str
    """Cognito's endpoint: `https://cognito-idp.<region>.amazonaws.com/` in AWS, the embedded AWS locally."""

    def as_json(self) -> dict[str, Any]:
        return {
            "api_url": self.api_url,
            "websocket_url": self.websocket_url,
            "cognito": {
                "region": self.region,
                "user_pool_id": self.user_pool_id,
                "client_id": self.client_id,
                "endpoint": self.cognito_endpoint,
            },
        }


WEB_OUTPUTS = ("ApiUrl", "WebSocketUrl", "UserPoolId", "UserPoolClientId")


def deployed_config(stack_name: str, region: str, endpoint_url: str | None = None) -> WebConfig:
    """The config.json of a deployed stack, from its CloudFormation outputs; Cognito at its regional endpoint.

    `endpoint_url` is for trying this against the embedded AWS.
    """
    cloudformation = boto3.Session(region_name=region).client("cloudformation", endpoint_url=endpoint_url)
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except cloudformation.exceptions.ClientError as failure:
        raise UnusableStack(f"stack {stack_name}: {failure.response['Error'].get('Message', failure)}") from None
    except BotoCoreError as failure:  # no answer at all: unreachable endpoint, no credentials, …
        raise UnusableStack(f"stack {stack_name}: AWS could not be asked: {failure}") from None
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stacks[0].get("Outputs", [])}
    missing = [key for key in WEB_OUTPUTS if key not in outputs]
    if missing:
        raise UnusableStack(f"stack {stack_name} has no output {', '.join(missing)}: deploy template.yaml to it")
    return WebConfig(
        api_url=outputs["ApiUrl"].rstrip("/"),
        websocket_url=outputs["WebSocketUrl"],
        region=region,
        user_pool_id=outputs["UserPoolId"],
        client_id=outputs["UserPoolClientId"],
        cognito_endpoint=f"https://cognito-idp.{region}.amazonaws.com/",
    )


def _content_type(path: Path) -> str:
    return _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _inside(root: Path, relative: str) -> Path | None:
    """The file `relative` names under `root`, or None when it is missing or outside (`..`, a symlink out),
    or no file can have that name (a NUL byte, a name longer than the file system allows)."""
    try:
        candidate = (root / relative.lstrip("/")).resolve()
        if candidate.is_dir():
            candidate = candidate / "index.html"
        return candidate if candidate.is_relative_to(root.resolve()) and candidate.is_file() else None
    except (ValueError, OSError):
        return None


class _Handler(BaseHTTPRequestHandler):
    server: "WebServer"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def _serve(self, send_body: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        if path == "/config.json":
            body = json.dumps(self.server.served.as_json(), indent=2).encode()
            self._send(200, "application/json", body, send_body, cache="no-store")
        elif path == "/openapi.json":
            self._send_file(OPENAPI_DOCUMENT, send_body)
        elif path == "/docs":
            self._redirect("/docs/")
        elif path.startswith("/docs/"):
            self._send_file(_inside(SWAGGER_UI_ROOT, path.removeprefix("/docs/")), send_body)
        else:
            self._send_file(_inside(WEB_ROOT, path), send_body)

    def _send_file(self, file: Path | None, send_body: bool) -> None:
        if file is None or not file.is_file():
            self._send(404, "text/plain; charset=utf-8", b"Not found\n", send_body)
        else:
            self._send(200, _content_type(file), file.read_bytes(), send_body, cache="no-cache")

    def _redirect(self, location: str) -> None:
        self.send_response(301)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: int, content_type: str, body: bytes, send_body: bool, cache: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        # No other site may show these pages in a frame (clickjacking); a <meta> policy cannot say this.
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("Content-Security-Policy", "frame-ancestors 'none'")
        if cache:
            self.send_header("Cache-Control", cache)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Static files are not logged; the API's requests are, by the gateway."""

    def log_message(self, format: str, *args: Any) -> None:
        logger.warning("web %s: %s", self.address_string(), format % args)


class WebServer(LoopbackServer[WebConfig]):
    """The web app's port."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        super().__init__(port, _Handler, "web", host)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make web-config", description="Print a deployed stack's config.json.")
    parser.add_argument("--stack", required=True, help="the CloudFormation stack's name")
    stack_name = parser.parse_args(argv).stack
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or boto3.Session().region_name
    if not region:
        print("make web-config: no AWS region is set: set AWS_REGION to the stack's region", file=sys.stderr)
        return 1
    try:
        config = deployed_config(stack_name, region)
    except UnusableStack as failure:
        print(f"make web-config: {failure}", file=sys.stderr)
        return 1
    print(json.dumps(config.as_json(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
