"""`make token USER=bob`: sign a user of the local stack in, and print their ID token.

The sign-in is the InitiateAuth (USER_PASSWORD_AUTH) call any client makes against Cognito,
unsigned like from a browser; only the endpoint is the embedded one.
"""

import argparse
import sys
from typing import TYPE_CHECKING

import boto3
import botocore.exceptions
from botocore import UNSIGNED
from botocore.config import Config

from devstack.stackfile import StackInfo, StackNotRunning, running_stack, stack_file

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient


class SignInFailed(Exception):
    pass


def public_cognito(stack: StackInfo) -> "CognitoIdentityProviderClient":
    """The stack's Cognito as an app reaches it: sign-in calls are unsigned, no AWS credentials involved."""
    return boto3.client(
        "cognito-idp",
        endpoint_url=stack.aws_endpoint_url,
        region_name=stack.region,
        config=Config(signature_version=UNSIGNED, connect_timeout=2, retries={"max_attempts": 1}),
    )


def id_token(stack: StackInfo, user: str) -> str:
    if user not in stack.users:
        raise SignInFailed(f"{user} is not a user of the local stack; its users are {', '.join(stack.users)}")
    try:
        result = public_cognito(stack).initiate_auth(
            ClientId=stack.user_pool_client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": user, "PASSWORD": stack.users[user]},
        )
    except botocore.exceptions.EndpointConnectionError:
        raise SignInFailed(f"no local stack answers at {stack.aws_endpoint_url}: start one with `make run`") from None
    return result["AuthenticationResult"]["IdToken"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make token", description="Print a fresh ID token of a local user.")
    parser.add_argument("user", nargs="?", default="alice")
    user = parser.parse_args(argv).user
    try:
        stack = running_stack(stack_file())
    except StackNotRunning as absent:
        return _failed(str(absent))
    try:
        print(id_token(stack, user))
    except (SignInFailed, botocore.exceptions.ClientError) as failure:
        return _failed(str(failure))
    return 0


def _failed(reason: str) -> int:
    print(f"make token: {reason}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
