"""docs/openapi.json: one OpenAPI 3 document merged from the Powertools resolver of every function.

Run `python -m devstack.openapi > docs/openapi.json` (`make openapi`); a test fails when the
committed document differs from what the code generates.
"""

import json
import os
import sys
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn

from devstack.lambda_runtime import prepend_to_path
from devstack.plumbing import functions_environment
from devstack.template import ROOT, functions, layer_sources, load_template

DOCUMENT = ROOT / "docs" / "openapi.json"
SECURITY_SCHEME = "CognitoUserPool"


def build() -> dict[str, Any]:
    """Import every function as Lambda would and merge the OpenAPI documents of their resolvers."""
    template = load_template()
    specs = functions(template)
    os.environ.update({"AWS_DEFAULT_REGION": "us-east-1"} | functions_environment(template))
    prepend_to_path(layer_sources(template).values())
    merge = OpenAPIMerge(
        title="chatgroup",
        version="1.0.0",
        description=str(template["Description"]).strip(),
        security_schemes={
            SECURITY_SCHEME: APIKey(
                name="Authorization",
                in_=APIKeyIn.header,
                description="A Cognito ID token of the stack's user pool, bare or as `Bearer <token>`.",
            )
        },
        security=[{SECURITY_SCHEME: []}],
        on_conflict="error",
    )
    for spec in (spec for spec in specs.values() if spec.routes):
        module, _ = spec.handler.rsplit(".", 1)
        merge.add_file(Path(spec.code_uri) / f"{module.replace('.', '/')}.py")
    return _without_validation_422(json.loads(merge.get_openapi_json_schema()))


def _without_validation_422(document: dict[str, Any]) -> dict[str, Any]:
    """Powertools documents its 422 for invalid requests, and the bodies of its validation errors; our error
    handler answers invalid requests with a 400 and our ErrorResponse, so none of them is ever sent."""
    for operations in document["paths"].values():
        for operation in operations.values():
            operation["responses"].pop("422", None)
    schemas = document.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(unused, None)
    return document


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render(build()))
