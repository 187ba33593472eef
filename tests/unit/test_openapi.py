"""The OpenAPI document: generated from the code, complete, and committed up to date."""

import json
from collections.abc import Iterator
from http import HTTPStatus
from typing import Annotated, Any

import hypothesis
import pytest
from aws_lambda_powertools.event_handler.openapi.params import Body
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from pydantic import BaseModel, ValidationError

from chatgroup import rules, schemas
from chatgroup.api import create_app, responses
from chatgroup.schemas import ResultResponse
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


# What a client may send: every limit as JSON Schema, for every route, including routes added later


def operations(document: dict) -> Iterator[tuple[str, dict]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def request_schemas(document: dict) -> Iterator[tuple[str, dict]]:
    """Every schema of what a client sends: each parameter, each request body."""
    for label, operation in operations(document):
        for parameter in operation.get("parameters", []):
            yield f"{label} {parameter['in']} {parameter['name']}", parameter["schema"]
        for media_type, content in operation.get("requestBody", {}).get("content", {}).items():
            yield f"{label} body {media_type}", content["schema"]


def subschemas(document: dict, schema: Any, where: str, seen: set[str] | None = None) -> Iterator[tuple[str, dict]]:
    """`schema` and every schema inside it, following $refs into components once."""
    seen = set() if seen is None else seen
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name not in seen:
            seen.add(name)
            yield from subschemas(document, document["components"]["schemas"][name], name, seen)
        return
    yield where, schema
    for keyword in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(keyword, []):
            yield from subschemas(document, option, where, seen)
    yield from subschemas(document, schema.get("items"), f"{where}[]", seen)
    for name, value in schema.get("properties", {}).items():
        yield from subschemas(document, value, f"{where}.{name}", seen)


def sent_schemas(document: dict) -> list[tuple[str, dict]]:
    return [found for where, schema in request_schemas(document) for found in subschemas(document, schema, where)]


NOT_JSON_SCHEMA = {"ge", "gt", "le", "lt", "min_length", "max_length", "multiple_of", "regex"}


def test_no_request_schema_carries_keywords_json_schema_does_not_have(document: dict) -> None:
    # Pydantic writes `ge`/`le` for a constraint it cannot place as JSON Schema, e.g. after a validator
    misplaced = [(where, sorted(NOT_JSON_SCHEMA & set(schema))) for where, schema in sent_schemas(document)]
    assert [found for found in misplaced if found[1]] == []


def test_every_string_a_client_sends_has_a_maximum_length(document: dict) -> None:
    strings = [(where, schema) for where, schema in sent_schemas(document) if schema.get("type") == "string"]
    assert strings, "the document has no request strings at all"
    assert [where for where, schema in strings if not {"maxLength", "const", "enum"} & set(schema)] == []


def test_every_free_string_a_client_sends_has_a_pattern_or_is_an_enumeration(document: dict) -> None:
    strings = [(where, schema) for where, schema in sent_schemas(document) if schema.get("type") == "string"]
    unruled = [where for where, schema in strings if not {"pattern", "const", "enum", "contentMediaType"} & set(schema)]
    assert unruled == []


def test_every_number_a_client_sends_has_bounds(document: dict) -> None:
    numbers = [
        (where, schema) for where, schema in sent_schemas(document) if schema.get("type") in ("integer", "number")
    ]
    assert numbers
    assert [where for where, schema in numbers if not {"minimum", "maximum"} <= set(schema)] == []


def test_every_list_a_client_sends_has_a_maximum_size(document: dict) -> None:
    arrays = [
        where for where, schema in sent_schemas(document) if schema.get("type") == "array" and "maxItems" not in schema
    ]
    assert arrays == []


def test_optional_parameters_are_left_out_rather_than_sent_as_null(document: dict) -> None:
    nullable = [
        where for where, schema in sent_schemas(document) if " query " in where and schema.get("type") == "null"
    ]
    assert nullable == []


@pytest.mark.parametrize(
    ("field", "forms"),
    [("capacity", [{"type": "integer"}, {"type": "string"}]), ("memberlist", [{"type": "array"}, {"type": "string"}])],
)
def test_create_documents_both_forms_the_seed_contract_allows(document: dict, field: str, forms: list[dict]) -> None:
    documented = document["components"]["schemas"]["CreateChatgroupRequest"]["properties"][field]["anyOf"]
    assert [{"type": form["type"]} for form in documented] == forms


def test_a_rule_across_fields_is_stated_in_the_route_description(document: dict) -> None:
    assert "capacity" in document["paths"]["/api/v1/chatgroup/create"]["post"]["description"]
    assert "not both" in document["paths"]["/api/v1/chatgroup/{chatgroup_id}/messages"]["get"]["description"]


# What the service and API Gateway answer


@pytest.mark.parametrize(
    ("status", "body"),
    [(401, {"message": "Unauthorized"}), (403, {"message": "Missing Authentication Token"})],
)
def test_every_route_documents_api_gateways_own_refusals(document: dict, status: int, body: dict) -> None:
    for label, operation in operations(document):
        assert validator(document, response_schema(operation, status)).is_valid(body), label


def test_every_route_taking_a_body_documents_api_gateways_413(document: dict) -> None:
    for label, operation in operations(document):
        if "requestBody" in operation:
            schema = response_schema(operation, 413)
            assert validator(document, schema).is_valid({"message": "Request Too Long"}), label


def test_every_route_with_a_path_parameter_documents_404(document: dict) -> None:
    for label, operation in operations(document):
        if any(parameter["in"] == "path" for parameter in operation.get("parameters", [])):
            assert "404" in operation["responses"], label


def test_every_quota_refusal_documents_retry_after(document: dict) -> None:
    quota = [operation["responses"]["429"] for _, operation in operations(document) if "429" in operation["responses"]]
    assert quota
    assert all(response["headers"]["Retry-After"]["schema"] == {"type": "integer", "minimum": 1} for response in quota)


def test_every_route_has_a_request_example_and_an_answer_example_that_fit_their_schemas(document: dict) -> None:
    for label, operation in operations(document):
        answer = operation["responses"]["200"]["content"]["application/json"]
        examples = [(answer["schema"], example["value"]) for example in answer["examples"].values()]
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None:
            assert body.get("examples"), f"{label}: no request example"
            examples += [(body["schema"], example["value"]) for example in body["examples"].values()]
        for schema, value in examples:
            errors = [error.message for error in validator(document, schema).iter_errors(value)]
            assert errors == [], f"{label}: {value}"


def test_create_links_to_every_route_that_takes_its_chatgroup_id(document: dict) -> None:
    links = document["paths"]["/api/v1/chatgroup/create"]["post"]["responses"]["200"]["links"]
    by_id = {operation["operationId"]: operation for _, operation in operations(document)}
    takers = {
        operation["operationId"]
        for _, operation in operations(document)
        if any(parameter["name"] == "chatgroup_id" for parameter in operation.get("parameters", []))
        or "chatgroup_id" in json.dumps(operation.get("requestBody", {}))
        or 'chatgroup_id"'
        in json.dumps(
            [document["components"]["schemas"][ref.rsplit("/", 1)[1]] for ref in refs_of(operation.get("requestBody"))]
        )
    }
    assert {link["operationId"] for link in links.values()} == takers
    for link in links.values():
        assert link["operationId"] in by_id
        assert set(link.get("parameters", {}).values()) | set(link.get("requestBody", {}).values()) == {
            "$response.body#/chatgroup_id"
        }


def refs_of(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [value["$ref"]] if "$ref" in value else [ref for item in value.values() for ref in refs_of(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in refs_of(item)]
    return []


def response_schema(operation: dict, status: int) -> dict:
    return operation["responses"][str(status)]["content"]["application/json"]["schema"]


def validator(document: dict, schema: dict) -> Draft202012Validator:
    """A JSON Schema validator for `schema`, whose $refs resolve in the document's components."""
    return Draft202012Validator({**schema, "components": document["components"]})


def test_every_refusal_says_when_it_is_given(document: dict) -> None:
    for label, operation in operations(document):
        for status, response in refusals(operation):
            assert response["description"] != HTTPStatus(int(status)).phrase, f"{label} {status}"


def refusals(operation: dict) -> list[tuple[str, dict]]:
    return [(status, response) for status, response in operation["responses"].items() if status != "200"]


def looseness(document: dict) -> list[str]:
    """What the tests above find left out of a document: the checks in one place, to show they catch a route."""
    found = [
        f"{where}: no maxLength"
        for where, schema in sent_schemas(document)
        if schema.get("type") == "string" and not {"maxLength", "const", "enum"} & set(schema)
    ]
    for label, operation in operations(document):
        if "examples" not in operation["responses"]["200"].get("content", {}).get("application/json", {}):
            found.append(f"{label}: no example answer")
        found += [
            f"{label} {status}: does not say when"
            for status, response in refusals(operation)
            if response["description"] == HTTPStatus(int(status)).phrase
        ]
    return found


def test_a_route_added_the_old_way_is_flagged() -> None:
    # Given a route as routes were written before: the statuses only, a body with a bare string
    class BanRequest(BaseModel):
        chatgroup_id: str

    app = create_app()

    @app.post("/api/v1/chatgroup/ban", responses=responses(HTTPStatus.CONFLICT))
    def ban(request: Annotated[BanRequest, Body()]) -> ResultResponse:
        return ResultResponse()

    # When its document is checked, then each loose part is named
    found = looseness(json.loads(app.get_openapi_json_schema()))
    assert "BanRequest.chatgroup_id: no maxLength" in found
    assert "POST /api/v1/chatgroup/ban: no example answer" in found
    assert "POST /api/v1/chatgroup/ban 409: does not say when" in found


def test_the_document_leaves_nothing_loose(document: dict) -> None:
    assert looseness(document) == []


# The documented rules are the validators' rules: a value the pattern allows is accepted


def test_every_value_the_documented_patterns_allow_is_accepted() -> None:
    @hypothesis.settings(max_examples=300, deadline=None, database=None)
    @hypothesis.given(
        name=st.from_regex(rules.NAME_PATTERN, fullmatch=True).filter(lambda name: len(name) <= rules.MAX_NAME),
        member=st.from_regex(rules.USER_ID_PATTERN, fullmatch=True),
        members=st.from_regex(rules.MEMBER_STRING_PATTERN, fullmatch=True).filter(
            lambda members: len(members) <= rules.MAX_MEMBER_STRING
        ),
        photo=st.from_regex(rules.PHOTO_PATTERN, fullmatch=True).filter(lambda url: len(url) <= rules.MAX_PHOTO),
        capacity=st.from_regex(rules.CAPACITY_PATTERN, fullmatch=True),
        text=st.from_regex(rules.TEXT_PATTERN, fullmatch=True).filter(lambda text: len(text) <= rules.MAX_TEXT),
    )
    def accepted(name: str, member: str, members: str, photo: str, capacity: str, text: str) -> None:
        for memberlist in ([member], members):
            schemas.CreateChatgroupRequest.model_validate(
                {"name": name, "capacity": capacity, "memberlist": memberlist, "photo": photo}
            )
        schemas.ApplicationMessageRequest.model_validate({"type": "application", "chatgroup_id": "g1", "message": text})

    accepted()


def test_99_ids_in_the_string_form_with_spaces_and_empty_parts_are_valid_by_the_document_and_the_service(
    document: dict,
) -> None:
    body = {
        "name": "Crew",
        "capacity": 100,
        "memberlist": " ; " + " ;; ".join(f"u{index}" for index in range(99)) + ";",
    }
    assert validator(document, {"$ref": "#/components/schemas/CreateChatgroupRequest"}).is_valid(body)
    assert len(schemas.CreateChatgroupRequest.model_validate(body).memberlist) == 99


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "x" * 101},
        {"name": " " * 100 + "x"},
        {"capacity": "08"},
        {"capacity": " 8"},
        {"capacity": "1_000"},
        {"photo": " https://example.com/a.png"},
        {"photo": "https://exa mple.com/a.png"},
        {"photo": "https:///a.png"},
        {"memberlist": "x" * (rules.MAX_MEMBER_STRING + 1)},
        {"memberlist": "bob;car ol"},
        {"memberlist": ";".join(f"u{index}" for index in range(rules.MAX_INITIAL_MEMBERS + 1))},
        {"memberlist": ";;".join(f"u{index}" for index in range(rules.MAX_INITIAL_MEMBERS + 1))},
    ],
)
def test_values_the_documented_rules_refuse_are_refused(document: dict, fields: dict) -> None:
    body = {"name": "Crew", "capacity": 5} | fields
    assert not validator(document, {"$ref": "#/components/schemas/CreateChatgroupRequest"}).is_valid(body)
    with pytest.raises(ValidationError):
        schemas.CreateChatgroupRequest.model_validate(body)
