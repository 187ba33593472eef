"""template.yaml's SnapStart switch: off unless asked for; every caller invokes the published alias it applies to."""

import json
import re
from typing import Any

from devstack.template import load_template, resources_of_type
from tests.iam.policy import translated_template

ALIAS = re.compile(r"^(\w+Function)Aliaslive$")
INVOKERS = ("AWS::Lambda::Permission", "AWS::Lambda::EventSourceMapping")


def invoked_functions(translated: dict[str, Any]) -> dict[str, str]:
    """What each permission, stream mapping, WebSocket integration or authorizer and REST route invokes."""
    invoked = {
        logical_id: json.dumps(resource["Properties"]["FunctionName"])
        for kind in INVOKERS
        for logical_id, resource in resources_of_type(translated, kind).items()
    }
    for kind, uri in (
        ("AWS::ApiGatewayV2::Integration", "IntegrationUri"),
        ("AWS::ApiGatewayV2::Authorizer", "AuthorizerUri"),
    ):
        invoked |= {
            logical_id: json.dumps(r["Properties"][uri])
            for logical_id, r in resources_of_type(translated, kind).items()
        }
    [api] = resources_of_type(translated, "AWS::ApiGateway::RestApi").values()
    for path, operations in api["Properties"]["Body"]["paths"].items():
        for method, operation in operations.items():
            if "x-amazon-apigateway-integration" in operation and method != "options":
                invoked[f"{method.upper()} {path}"] = json.dumps(operation["x-amazon-apigateway-integration"]["uri"])
    return invoked


def test_snapstart_is_off_unless_the_parameter_turns_it_on() -> None:
    # Given the template as SAM deploys it
    template = load_template()
    translated = translated_template()

    # When each function's SnapStart setting is read
    settings = {
        logical_id: resource["Properties"].get("SnapStart")
        for logical_id, resource in resources_of_type(translated, "AWS::Lambda::Function").items()
    }

    # Then every function has it on published versions exactly when the parameter (default "off") says "on"
    assert template["Parameters"]["SnapStart"]["Default"] == "off"
    assert template["Conditions"]["SnapStartOn"] == {"Fn::Equals": [{"Ref": "SnapStart"}, "on"]}
    on_when_asked = {"ApplyOn": {"Fn::If": ["SnapStartOn", "PublishedVersions", "None"]}}
    assert settings == dict.fromkeys(settings, on_when_asked)


def test_every_caller_invokes_the_functions_published_alias() -> None:
    # Given everything that invokes a function: the REST API, the WebSocket API, the stream mappings
    translated = translated_template()
    functions = set(resources_of_type(translated, "AWS::Lambda::Function"))

    # When the function each one names is read
    invoked = invoked_functions(translated)

    # Then each names a function's alias `live` (a published version, to which SnapStart applies), never $LATEST
    named = {caller: re.findall(r"\b(\w+Function)(\w*)\b", target) for caller, target in invoked.items()}
    assert all(len(found) == 1 and found[0][1] == "Aliaslive" for found in named.values()), named
    assert {found[0][0] for found in named.values()} == functions
