"""The OpenAPI document: generated from the code, complete, and committed up to date."""

import json

import pytest
from openapi_spec_validator import validate

from devstack.openapi import DOCUMENT, SECURITY_SCHEME, build, render
from devstack.template import functions, load_template


@pytest.fixture(scope="module")
def document() -> dict:
    return build()


def test_committed_document_is_what_the_code_generates(document: dict) -> None:
    assert DOCUMENT.read_text() == render(document), "docs/openapi.json is stale: run `make openapi`"


def test_every_route_of_the_template_is_documented(document: dict) -> None:
    routes = {
        (route.method.lower(), route.path) for spec in functions(load_template()).values() for route in spec.routes
    }
    documented = {(method, path) for path, operations in document["paths"].items() for method in operations}
    assert documented == routes


def test_every_operation_documents_success_bad_input_and_no_user(document: dict) -> None:
    for operations in document["paths"].values():
        for operation in operations.values():
            assert {"200", "400", "401"} <= set(operation["responses"])
            assert "422" not in operation["responses"]


def test_every_operation_needs_a_cognito_token(document: dict) -> None:
    assert document["security"] == [{SECURITY_SCHEME: []}]
    assert document["components"]["securitySchemes"][SECURITY_SCHEME]["in"] == "header"


def test_refusals_are_documented_with_the_error_body(document: dict) -> None:
    refusal = document["paths"]["/api/v1/chatgroup/put"]["put"]["responses"]["409"]
    schema = refusal["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(document["components"]["schemas"][schema]["properties"]) == {"result", "reason"}


def test_the_committed_document_is_a_valid_openapi_document() -> None:
    # openapi-spec-validator checks it against the OpenAPI 3.x schema and resolves every $ref
    validate(json.loads(DOCUMENT.read_text()))


def test_body_limits_are_documented_as_json_schema_keywords(document: dict) -> None:
    # Pydantic writes `ge`/`le` (not JSON Schema) for a constraint it cannot place, e.g. after a validator
    schemas = document["components"]["schemas"]
    capacities = [schemas["CreateChatgroupRequest"]["properties"]["capacity"]]
    capacities += schemas["ChatgroupChanges"]["properties"]["capacity"]["anyOf"][:1]
    assert [(capacity["minimum"], capacity["maximum"]) for capacity in capacities] == [(1, 1000), (1, 1000)]
