"""A deployed stack as the end-to-end tests' target: its CloudFormation outputs, and users made for the run.

    make e2e STACK_NAME=chatgroup-dev      # AWS credentials and region from the usual AWS settings

The outputs name the API, the user pool and its app client (template.yaml's `Outputs`). The
demo users are created in that pool with the admin API for the run and deleted afterwards,
so the target must be a stack of the tests' own: a pool that already has one of them is refused.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import boto3
from botocore.exceptions import ClientError, NoCredentialsError

from devstack.aws import DEMO_USERS, add_users, password_for
from devstack.stackfile import StackInfo

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

OUTPUTS = ("ApiUrl", "UserPoolId", "UserPoolClientId")


class UnusableStack(Exception):
    """The named stack cannot be the tests' target; the message says why."""


@contextmanager
def deployed_stack(stack_name: str, region: str | None = None, endpoint_url: str | None = None) -> Iterator[StackInfo]:
    """The stack's URLs and pool with the demo users in it, removed again when the run ends.

    The region and credentials come from the usual AWS settings unless given; `endpoint_url`
    is for trying this against the embedded AWS.
    """
    session = boto3.Session(region_name=region or os.environ.get("AWS_REGION"))
    region = session.region_name
    if not region:
        raise UnusableStack("no AWS region is set: set AWS_REGION to the stack's region")
    outputs = stack_outputs(session.client("cloudformation", endpoint_url=endpoint_url), stack_name)
    cognito: CognitoIdentityProviderClient = session.client("cognito-idp", endpoint_url=endpoint_url)
    pool = cognito.describe_user_pool(UserPoolId=outputs["UserPoolId"])["UserPool"]
    password = password_for(pool.get("Policies", {}).get("PasswordPolicy", {}))
    created: list[str] = []
    try:
        for name in DEMO_USERS:
            created.append(name)
            _add_user(cognito, outputs["UserPoolId"], name, password, created)
        yield StackInfo(
            api_url=outputs["ApiUrl"].rstrip("/"),
            aws_endpoint_url=cognito.meta.endpoint_url,
            region=region,
            user_pool_id=outputs["UserPoolId"],
            user_pool_client_id=outputs["UserPoolClientId"],
            users=dict.fromkeys(DEMO_USERS, password),
            pid=0,
        )
    finally:
        for name in created:
            _delete_user(cognito, outputs["UserPoolId"], name)


def stack_outputs(cloudformation: "CloudFormationClient", stack_name: str) -> dict[str, str]:
    """The outputs the tests need, by key; no credentials, a missing stack or output is an UnusableStack."""
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except NoCredentialsError:
        raise UnusableStack(
            f"no AWS credentials to read stack {stack_name} with: set them as for the AWS CLI (AWS_PROFILE, or "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
        ) from None
    except ClientError as failure:
        raise UnusableStack(f"stack {stack_name}: {failure.response['Error'].get('Message', failure)}") from None
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stacks[0].get("Outputs", [])}
    missing = [key for key in OUTPUTS if key not in outputs]
    if missing:
        raise UnusableStack(f"stack {stack_name} has no output {', '.join(missing)}: deploy template.yaml to it")
    return {key: outputs[key] for key in OUTPUTS}


def _add_user(
    cognito: "CognitoIdentityProviderClient", pool_id: str, name: str, password: str, created: list[str]
) -> None:
    """Add a user of the run; one that was there before is not the run's, so it leaves `created` untouched."""
    try:
        add_users(cognito, pool_id, [name], password)
    except cognito.exceptions.UsernameExistsException:
        created.remove(name)
        raise UnusableStack(
            f"user pool {pool_id} already has a user {name}: run the end-to-end tests against a stack of their own"
        ) from None


def _delete_user(cognito: "CognitoIdentityProviderClient", pool_id: str, name: str) -> None:
    try:
        cognito.admin_delete_user(UserPoolId=pool_id, Username=name)
    except cognito.exceptions.UserNotFoundException:
        return
