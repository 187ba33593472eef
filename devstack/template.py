"""template.yaml read as data: the one source of tables, functions, routes and environment."""

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


class _CloudFormationLoader(yaml.SafeLoader):
    """Reads the short form of intrinsic functions (`!Ref X`) as their long form (`{"Ref": X}`)."""


def _intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:
        raise yaml.constructor.ConstructorError(None, None, f"unexpected node for !{tag_suffix}", node.start_mark)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


_CloudFormationLoader.add_multi_constructor("!", _intrinsic)


@cache
def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    with path.open() as stream:
        return yaml.load(stream, Loader=_CloudFormationLoader)  # noqa: S506 - a SafeLoader subclass


def resources_of_type(template: Mapping[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


def parameter_defaults(template: Mapping[str, Any]) -> dict[str, str]:
    return {name: str(spec.get("Default", "")) for name, spec in template.get("Parameters", {}).items()}


def parameter_values(template: Mapping[str, Any]) -> dict[str, str]:
    """The defaults, overridden by PARAMETER_OVERRIDES (`Key=Value Key=Value`, as `sam deploy --parameter-overrides`).

    How the local stack, and the tests, set e.g. their own quota sizes: `make run PARAMETER_OVERRIDES=...`.
    """
    values = parameter_defaults(template)
    for override in os.environ.get("PARAMETER_OVERRIDES", "").split():
        name, equals, value = override.partition("=")
        if not equals or name not in values:
            raise UnsupportedTemplate(
                f"PARAMETER_OVERRIDES: {override!r} is not Key=Value for a parameter of template.yaml "
                f"({', '.join(values)})"
            )
        _check_allowed(name, value, template["Parameters"][name])
        values[name] = value
    return values


def _check_allowed(name: str, value: str, spec: Mapping[str, Any]) -> None:
    """What CloudFormation checks of a parameter value before a deployment, checked before the local stack starts."""
    pattern = spec.get("AllowedPattern")
    allowed = spec.get("AllowedValues")
    if (pattern and not re.fullmatch(pattern, value)) or (allowed and value not in [str(v) for v in allowed]):
        reason = spec.get("ConstraintDescription") or f"allowed: {pattern or allowed}"
        raise UnsupportedTemplate(f"PARAMETER_OVERRIDES: {name}={value} is not allowed ({reason})")


def resolve(value: Any, refs: Mapping[str, str]) -> Any:
    """Resolve Ref, Sub and GetAtt ...Arn against the names the local resources were given."""
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Ref":
            return refs[argument]
        if function == "Fn::Sub":
            return re.sub(r"\$\{([^}]+)\}", lambda match: str(refs[match.group(1)]), argument)
        if function == "Fn::GetAtt":
            return refs[".".join(argument)]
    if isinstance(value, dict):
        return {key: resolve(item, refs) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, refs) for item in value]
    return value


def table_definitions(template: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """CreateTable arguments for each AWS::DynamoDB::Table, named by its logical id (with its stream, if any)."""
    keys = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "LocalSecondaryIndexes", "BillingMode")
    definitions = {}
    for logical_id, resource in resources_of_type(template, "AWS::DynamoDB::Table").items():
        properties = resource["Properties"]
        definitions[logical_id] = {"TableName": logical_id} | {
            key: properties[key] for key in keys if key in properties
        }
        if "StreamSpecification" in properties:
            view = properties["StreamSpecification"]["StreamViewType"]
            definitions[logical_id]["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view}
    return definitions


@dataclass(frozen=True)
class Route:
    method: str
    path: str


@dataclass(frozen=True)
class FunctionSpec:
    """What running one AWS::Serverless::Function needs: its code, handler, routes and environment."""

    logical_id: str
    code_uri: Path
    handler: str
    routes: tuple[Route, ...]
    environment: dict[str, Any] = field(default_factory=dict)


def functions(template: Mapping[str, Any]) -> dict[str, FunctionSpec]:
    globals_ = template.get("Globals", {}).get("Function", {})
    global_env = globals_.get("Environment", {}).get("Variables", {})
    specs = {}
    for logical_id, resource in resources_of_type(template, "AWS::Serverless::Function").items():
        properties = resource["Properties"]
        routes = tuple(
            Route(method=event["Properties"]["Method"].upper(), path=event["Properties"]["Path"])
            for event in properties.get("Events", {}).values()
            if event["Type"] == "Api"
        )
        specs[logical_id] = FunctionSpec(
            logical_id=logical_id,
            code_uri=ROOT / properties["CodeUri"],
            handler=properties.get("Handler", globals_.get("Handler", "")),
            routes=routes,
            environment=global_env | properties.get("Environment", {}).get("Variables", {}),
        )
    return specs


class UnsupportedTemplate(ValueError):
    """The template uses something the local stack cannot emulate faithfully; the message says what."""


SAM_FUNCTION_DEFAULTS = {"Timeout": 3, "MemorySize": 128}
"""What SAM deploys when neither the function nor Globals set a property."""


def function_property(template: Mapping[str, Any], logical_id: str, name: str) -> Any:
    """A function's property as SAM merges it: the function's own value, else Globals', else SAM's default."""
    own = template["Resources"][logical_id]["Properties"]
    globals_ = template.get("Globals", {}).get("Function", {})
    return own.get(name, globals_.get(name, SAM_FUNCTION_DEFAULTS.get(name)))


def layer_sources(template: Mapping[str, Any]) -> dict[str, Path]:
    """The source folder (ContentUri) of each AWS::Serverless::LayerVersion, by logical id."""
    return {
        logical_id: ROOT / resource["Properties"]["ContentUri"]
        for logical_id, resource in resources_of_type(template, "AWS::Serverless::LayerVersion").items()
    }


def api_properties(template: Mapping[str, Any]) -> dict[str, Any]:
    """Properties of the stack's one AWS::Serverless::Api: its stage, CORS, authorizer and gateway responses."""
    apis = resources_of_type(template, "AWS::Serverless::Api")
    if len(apis) != 1:
        raise UnsupportedTemplate(
            f"the local gateway serves one AWS::Serverless::Api; template.yaml declares {len(apis)}"
        )
    return dict(next(iter(apis.values()))["Properties"])


def local_refs(template: Mapping[str, Any], *, stack_name: str, region: str, account_id: str) -> dict[str, str]:
    """What `Ref`/`Sub` resolve to locally: parameter values, pseudo parameters, resources named by logical id
    (tables are; the user pool and its client are until the stack creates them and learns their ids)."""
    pseudo = {
        "AWS::StackName": stack_name,
        "AWS::Region": region,
        "AWS::AccountId": account_id,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
    }
    resources = {logical_id: logical_id for logical_id in template["Resources"]}
    # A function's ARN, e.g. for the user pool's triggers, which the embedded Cognito stores and never calls.
    function_arns = {
        f"{logical_id}.Arn": f"arn:aws:lambda:{region}:{account_id}:function:{stack_name}-{logical_id}"
        for logical_id in resources_of_type(template, "AWS::Serverless::Function")
    }
    # The alias SAM publishes for AutoPublishAlias (`<Function>Aliaslive`), which callers name so SnapStart applies.
    function_arns |= {f"{name.removesuffix('.Arn')}Aliaslive": f"{arn}:live" for name, arn in function_arns.items()}
    return parameter_values(template) | pseudo | resources | function_arns
