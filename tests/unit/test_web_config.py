"""`make web-config STACK=…`: a deployed stack's config.json for the web app, tried against the embedded AWS."""

import json
import uuid

import boto3
import pytest

from devstack.deployed import UnusableStack
from devstack.web import WEB_OUTPUTS, deployed_config
from tests.conftest import AWS_ENDPOINT

REGION = "eu-west-1"
OUTPUTS = {
    "ApiUrl": "https://abc123.execute-api.eu-west-1.amazonaws.com/prod/",
    "WebSocketUrl": "wss://def456.execute-api.eu-west-1.amazonaws.com/prod",
    "UserPoolId": "eu-west-1_AbCdEf",
    "UserPoolClientId": "1example23456789",
}


def deploy(outputs: dict[str, str]) -> str:
    """A stack named like a deployment with these outputs; returns its name."""
    template = {
        "Resources": {"Placeholder": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    name = f"chatgroup-{uuid.uuid4().hex[:8]}"
    cloudformation = boto3.client("cloudformation", endpoint_url=AWS_ENDPOINT, region_name=REGION)
    cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(template))
    return name


def test_config_names_the_stacks_api_websocket_and_cognito(aws: None) -> None:
    # Given a deployed stack with the template's outputs
    name = deploy(OUTPUTS)

    # When its web config is made
    config = deployed_config(name, REGION, endpoint_url=AWS_ENDPOINT)

    # Then the app is pointed at its API (no trailing slash), its WebSocket, and Cognito in its region
    assert config.as_json() == {
        "api_url": "https://abc123.execute-api.eu-west-1.amazonaws.com/prod",
        "websocket_url": OUTPUTS["WebSocketUrl"],
        "cognito": {
            "region": REGION,
            "user_pool_id": OUTPUTS["UserPoolId"],
            "client_id": OUTPUTS["UserPoolClientId"],
            "endpoint": "https://cognito-idp.eu-west-1.amazonaws.com/",
        },
    }


@pytest.mark.parametrize("missing", WEB_OUTPUTS)
def test_a_stack_without_an_output_is_refused_by_name(aws: None, missing: str) -> None:
    # Given a stack that lacks one of the outputs
    name = deploy({key: value for key, value in OUTPUTS.items() if key != missing})

    # When its web config is made, then the refusal names the missing output
    with pytest.raises(UnusableStack, match=missing):
        deployed_config(name, REGION, endpoint_url=AWS_ENDPOINT)


def test_an_unknown_stack_is_refused(aws: None) -> None:
    with pytest.raises(UnusableStack, match="no-such-stack"):
        deployed_config("no-such-stack", REGION, endpoint_url=AWS_ENDPOINT)
