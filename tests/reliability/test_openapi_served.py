"""The local stack serves the API's OpenAPI document to anyone: the committed docs/openapi.json, byte for byte."""

import requests

from devstack.gateway import OPENAPI_PATH
from devstack.openapi import DOCUMENT
from devstack.stackfile import StackInfo


def test_the_document_is_served_without_a_token(stack: StackInfo) -> None:
    # When a client without any token asks for the document
    response = requests.get(f"{stack.api_url}{OPENAPI_PATH}", timeout=10)

    # Then it gets the committed document (which a unit test keeps equal to what the code generates)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.content == DOCUMENT.read_bytes()
    assert response.json()["openapi"].startswith("3.")


def test_a_browser_may_read_the_document_from_another_origin(stack: StackInfo) -> None:
    response = requests.get(f"{stack.api_url}{OPENAPI_PATH}", headers={"Origin": "https://app.example.com"}, timeout=10)

    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_only_reading_the_document_skips_the_authorizer(stack: StackInfo) -> None:
    # When a client without a token sends something else than GET to the document's path
    response = requests.post(f"{stack.api_url}{OPENAPI_PATH}", json={}, timeout=10)

    # Then it is an undeclared route, as API Gateway answers it
    assert (response.status_code, response.json()) == (403, {"message": "Missing Authentication Token"})
