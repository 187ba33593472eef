"""`make web-config STACK=…`: a deployed stack's config.json for the web app, tried against the embedded AWS."""

import json
import uuid

import boto3
import pytest

from devstack import plumbing
from devstack.deployed import UnusableStack
from devstack.web import WEB_OUTPUTS, deployed_config, main
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


def test_unreachable_aws_is_said_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given AWS that does not answer (nothing listens at its endpoint), asked once
    closed = f"http://127.0.0.1:{plumbing.free_port()}"
    for name, value in {
        "AWS_ENDPOINT_URL": closed,
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
    }.items():
        monkeypatch.setenv(name, value)

    # When `make web-config STACK=x` runs
    status = main(["--stack", "x"])

    # Then it fails with one line that says AWS could not be reached, and prints no config and no traceback
    output = capsys.readouterr()
    assert status == 1
    assert output.out == ""
    unreachable = f'Could not connect to the endpoint URL: "{closed}/"'
    assert output.err.splitlines() == [f"make web-config: stack x: AWS could not be asked: {unreachable}"]
