"""`make e2e STACK_NAME=…`: the deployed stack's outputs and the run's users, tried against the embedded AWS.

moto's CloudFormation holds a stack with the outputs template.yaml declares; its Cognito holds the pool.
"""

import json
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

import boto3
import pytest

from devstack.aws import DEMO_USERS
from devstack.deployed import UnusableStack, deployed_stack
from devstack.stackfile import StackInfo
from tests.conftest import AWS_ENDPOINT

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp.type_defs import PasswordPolicyTypeTypeDef

REGION = "us-east-1"


@pytest.fixture
def deployed(aws: None) -> Callable[..., tuple[str, str, str]]:
    """A stack named like a deployment, whose outputs name a real pool and client; returns (name, pool, client)."""

    def deploy(outputs: tuple[str, ...] = ("ApiUrl", "UserPoolId", "UserPoolClientId")) -> tuple[str, str, str]:
        idp = boto3.client("cognito-idp", endpoint_url=AWS_ENDPOINT, region_name=REGION)
        policy: PasswordPolicyTypeTypeDef = {
            "MinimumLength": 12,
            "RequireUppercase": True,
            "RequireLowercase": True,
            "RequireNumbers": True,
            "RequireSymbols": True,
        }
        pool = idp.create_user_pool(PoolName="deployed", Policies={"PasswordPolicy": policy})
        pool_id = pool["UserPool"]["Id"]
        client_id = idp.create_user_pool_client(
            UserPoolId=pool_id, ClientName="app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
        )["UserPoolClient"]["ClientId"]
        values = {"ApiUrl": "https://abc123.execute-api.us-east-1.amazonaws.com/dev/", "UserPoolId": pool_id}
        values["UserPoolClientId"] = client_id
        template = {
            "Resources": {"Placeholder": {"Type": "AWS::SQS::Queue"}},
            "Outputs": {key: {"Value": values[key]} for key in outputs},
        }
        name = f"chatgroup-{uuid.uuid4().hex[:8]}"
        cloudformation = boto3.client("cloudformation", endpoint_url=AWS_ENDPOINT, region_name=REGION)
        cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(template))
        return name, pool_id, client_id

    return deploy


def users_of(pool_id: str) -> list[str]:
    idp = boto3.client("cognito-idp", endpoint_url=AWS_ENDPOINT, region_name=REGION)
    return sorted(user["Username"] for user in idp.list_users(UserPoolId=pool_id)["Users"])


def sign_in(stack: StackInfo, name: str) -> str:
    idp = boto3.client("cognito-idp", endpoint_url=AWS_ENDPOINT, region_name=REGION)
    return idp.initiate_auth(
        ClientId=stack.user_pool_client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": name, "PASSWORD": stack.users[name]},
    )["AuthenticationResult"]["IdToken"]


def test_the_target_is_read_from_the_stack_outputs(deployed: Callable[..., tuple[str, str, str]]) -> None:
    # Given a deployed stack
    name, pool_id, client_id = deployed()

    # When the end-to-end tests take it as their target
    with deployed_stack(name, REGION, endpoint_url=AWS_ENDPOINT) as stack:
        # Then the API URL (without its trailing slash), the pool and the client are the stack's outputs
        assert stack.api_url == "https://abc123.execute-api.us-east-1.amazonaws.com/dev"
        assert (stack.user_pool_id, stack.user_pool_client_id, stack.region) == (pool_id, client_id, REGION)


def test_the_run_s_users_can_sign_in_and_are_removed_afterwards(deployed: Callable[..., tuple[str, str, str]]) -> None:
    # Given a deployed stack whose pool has no users
    name, pool_id, _ = deployed()

    # When a run uses it, each demo user signs in with the password the run chose for the pool's policy
    with deployed_stack(name, REGION, endpoint_url=AWS_ENDPOINT) as stack:
        assert users_of(pool_id) == sorted(DEMO_USERS)
        assert all(len(password) >= 12 for password in stack.users.values())
        assert all(sign_in(stack, user) for user in DEMO_USERS)

    # Then, once it is over, the pool has no users again
    assert users_of(pool_id) == []


def test_a_pool_that_already_has_a_demo_user_is_refused_and_left_as_it_was(
    deployed: Callable[..., tuple[str, str, str]],
) -> None:
    # Given a deployed stack whose pool already has a real user named like the third demo user
    name, pool_id, _ = deployed()
    idp = boto3.client("cognito-idp", endpoint_url=AWS_ENDPOINT, region_name=REGION)
    idp.admin_create_user(UserPoolId=pool_id, Username=DEMO_USERS[2], MessageAction="SUPPRESS")

    # When a run is pointed at it
    with (
        pytest.raises(UnusableStack, match=f"already has a user {DEMO_USERS[2]}"),
        deployed_stack(name, REGION, endpoint_url=AWS_ENDPOINT),
    ):
        pass

    # Then the users the run had added are gone again, and the real one is untouched
    assert users_of(pool_id) == [DEMO_USERS[2]]


def test_a_stack_without_the_outputs_is_refused_by_name(deployed: Callable[..., tuple[str, str, str]]) -> None:
    # Given a stack that does not declare the API's URL
    name, _, _ = deployed(outputs=("UserPoolId", "UserPoolClientId"))

    # When a run is pointed at it, it is refused with the output that is missing
    with (
        pytest.raises(UnusableStack, match="has no output ApiUrl"),
        deployed_stack(name, REGION, endpoint_url=AWS_ENDPOINT),
    ):
        pass


def test_an_unknown_stack_is_refused(aws: None) -> None:
    # When a run is pointed at a stack that does not exist, it is refused with the stack's name
    with (
        pytest.raises(UnusableStack, match="stack no-such-stack"),
        deployed_stack("no-such-stack", REGION, endpoint_url=AWS_ENDPOINT),
    ):
        pass
