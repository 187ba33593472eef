"""The WebSocket authorizer's token check: keys that cannot be had are the service's failure, not the token's."""

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from urllib.error import URLError

import pytest

from chatgroup.tokens import IdTokenVerifier
from devstack.plumbing import LoopbackServer, free_port

A_TOKEN = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl"
"""Shaped like an ID token (header with a key id, claims, signature); its signature is never reached."""


class NotAKeySet(BaseHTTPRequestHandler):
    """What a proxy or an outage page may answer at the JWKS URL: HTML, not keys."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<html>Service Unavailable</html>")

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def garbage_jwks_url() -> Iterator[str]:
    server = LoopbackServer[None](0, NotAKeySet, "jwks")
    server.start(None)
    yield f"{server.url}/jwks.json"
    server.stop()


def verifier(jwks_url: str) -> IdTokenVerifier:
    return IdTokenVerifier(issuer="https://issuer", client_ids=frozenset({"client"}), jwks_url=jwks_url)


def test_keys_answered_as_something_else_fail_the_check_rather_than_refuse_the_token(garbage_jwks_url: str) -> None:
    # Given a JWKS URL that answers HTML
    check = verifier(garbage_jwks_url)

    # When a token is checked, then the check fails (a 500 the client retries), not with TokenRefused (a 401, which
    # tells the client to sign in again)
    with pytest.raises(json.JSONDecodeError):
        check.username(A_TOKEN)


def test_keys_that_cannot_be_downloaded_fail_the_check_rather_than_refuse_the_token() -> None:
    # Given a JWKS URL where nothing listens
    check = verifier(f"http://127.0.0.1:{free_port()}/jwks.json")

    # When a token is checked, then the download's failure is raised as it is
    with pytest.raises(URLError):
        check.username(A_TOKEN)
