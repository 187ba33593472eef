"""The Cognito authorizer in front of every route: only an ID token of the stack's pool gets through.

A refused request must not reach the function: each refusal here is of a create with a
unique name, and the embedded DynamoDB is then searched for a group of that name.
"""

import re
import time
import uuid
from typing import Any

import boto3
import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey
from moto.utilities.utils import load_resource
from pycognito.aws_srp import AWSSRP

from devstack.auth import CognitoAuthorizer
from devstack.aws import cognito
from devstack.stackfile import StackInfo
from tests.e2e.conftest import User, groups_named, sign_in

pytestmark = pytest.mark.local_only  # forged tokens and the embedded AWS's tables

UNAUTHORIZED = {"message": "Unauthorized"}


def create_with(stack: StackInfo, authorization: str | None) -> tuple[requests.Response, str]:
    """POST a create with this Authorization header (none if None); the group's name is unique."""
    name = f"refused {uuid.uuid4().hex}"
    headers = {} if authorization is None else {"Authorization": authorization}
    response = requests.post(
        f"{stack.api_url}/api/v1/chatgroup/create", json={"name": name, "capacity": 3}, headers=headers, timeout=10
    )
    return response, name


def claims_of(token: str) -> dict[str, Any]:
    """The payload of a token, unverified: only to build variations of a real token."""
    return dict(jwt.decode(token, _moto_signing_key(), algorithms=["RS256"]).claims)


def signed_by_the_pool(claims: dict[str, Any]) -> str:
    """A token signed with the key moto's Cognito signs every token with (kid "dummy")."""
    return jwt.encode({"kid": "dummy", "alg": "RS256"}, claims, _moto_signing_key())


def _moto_signing_key() -> RSAKey:
    return RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))


def assert_refused_before_the_function(stack: StackInfo, response: requests.Response, name: str) -> None:
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    assert groups_named(stack, name) == []


def test_request_without_authorization_header_is_unauthorized(stack: StackInfo) -> None:
    # When a create carries no Authorization header
    response, name = create_with(stack, None)

    # Then API Gateway answers 401 and the function never runs
    assert_refused_before_the_function(stack, response, name)


def test_garbage_token_is_unauthorized(stack: StackInfo) -> None:
    # When a create carries something that is not a JWT
    response, name = create_with(stack, "Bearer not-a-jwt")

    # Then it is refused before the function

    assert_refused_before_the_function(stack, response, name)


def test_token_with_an_altered_signature_is_unauthorized(stack: StackInfo, alice: User) -> None:
    # Given alice's token with one character of its signature changed
    header, payload, signature = alice.token.split(".")
    altered = signature[:20] + ("A" if signature[20] != "A" else "B") + signature[21:]

    # When she sends it
    response, name = create_with(stack, f"Bearer {header}.{payload}.{altered}")

    # Then it is refused before the function
    assert_refused_before_the_function(stack, response, name)


def test_token_signed_by_the_pool_is_accepted(stack: StackInfo, alice: User) -> None:
    # Given alice's claims signed again with the pool's key: the control for the expired-token test
    token = signed_by_the_pool(claims_of(alice.token))

    # When she sends it
    response, name = create_with(stack, token)

    # Then the group is created
    assert response.status_code == 200, response.text
    assert len(groups_named(stack, name)) == 1


def test_expired_token_is_unauthorized(stack: StackInfo, alice: User) -> None:
    # Given alice's token as it was two hours ago: signed by the pool, but expired an hour ago
    now = int(time.time())
    token = signed_by_the_pool(claims_of(alice.token) | {"iat": now - 7200, "auth_time": now - 7200, "exp": now - 3600})

    # When she sends it
    response, name = create_with(stack, f"Bearer {token}")

    # Then it is refused before the function
    assert_refused_before_the_function(stack, response, name)


def test_token_of_another_user_pool_is_unauthorized(stack: StackInfo) -> None:
    # Given a user signed in to another pool of the same (embedded) Cognito
    other = cognito(stack.aws_endpoint_url)
    pool = other.create_user_pool(PoolName=f"other-{uuid.uuid4().hex[:8]}")["UserPool"]["Id"]
    client = other.create_user_pool_client(
        UserPoolId=pool, ClientName="other", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )["UserPoolClient"]["ClientId"]
    other.admin_create_user(UserPoolId=pool, Username="mallory", MessageAction="SUPPRESS")
    other.admin_set_user_password(UserPoolId=pool, Username="mallory", Password="Other-pool-1234", Permanent=True)
    token = sign_in(stack, "mallory", "Other-pool-1234", client_id=client)["IdToken"]

    # When that user calls the API
    response, name = create_with(stack, f"Bearer {token}")

    # Then the token, though signed by Cognito, is refused: its issuer and audience are another pool's
    assert_refused_before_the_function(stack, response, name)


def test_access_token_is_unauthorized(stack: StackInfo) -> None:
    # Given alice's access token: with no OAuth scopes on the route, API Gateway wants the ID token
    token = sign_in(stack, "alice", stack.users["alice"])["AccessToken"]

    # When she sends it
    response, name = create_with(stack, f"Bearer {token}")

    # Then it is refused before the function
    assert_refused_before_the_function(stack, response, name)


@pytest.mark.parametrize("scheme", ["Bearer ", ""], ids=["bearer", "bare"])
def test_id_token_is_accepted_bare_or_after_bearer(stack: StackInfo, alice: User, scheme: str) -> None:
    # When alice sends her ID token, with or without "Bearer "
    response, name = create_with(stack, f"{scheme}{alice.token}")

    # Then the function runs as alice
    assert response.status_code == 200, response.text
    assert [item["creator_id"]["S"] for item in groups_named(stack, name)] == ["alice"]


def test_claims_reach_the_function_as_api_gateway_formats_them(stack: StackInfo, alice: User) -> None:
    # Given the authorizer of the local stack's pool
    pool = stack.user_pool_id
    issuer = f"https://cognito-idp.{stack.region}.amazonaws.com/{pool}"
    authorizer = CognitoAuthorizer.for_pool(stack.aws_endpoint_url, issuer, pool, [stack.user_pool_client_id])

    # When it admits alice's ID token
    claims = authorizer.claims(f"Bearer {alice.token}")

    # Then every claim is a string: dates for exp and iat, digits for auth_time, as in a REST API's event
    assert all(isinstance(value, str) for value in claims.values())
    assert (claims["cognito:username"], claims["token_use"], claims["aud"]) == (
        "alice",
        "id",
        stack.user_pool_client_id,
    )
    assert re.fullmatch(r"[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}", claims["exp"])
    assert claims["auth_time"].isdigit()


def test_an_srp_sign_in_gives_an_id_token_the_api_accepts(stack: StackInfo) -> None:
    # Given alice, and the SRP flow mobile and web clients use, as the README shows it (pycognito's AWSSRP)
    idp = boto3.client("cognito-idp", endpoint_url=stack.aws_endpoint_url, region_name=stack.region)
    srp = AWSSRP(
        username="alice",
        password=stack.users["alice"],
        pool_id=stack.user_pool_id,
        client_id=stack.user_pool_client_id,
        client=idp,
    )

    # When she signs in with it
    tokens = srp.authenticate_user()["AuthenticationResult"]

    # Then the API takes its ID token as hers
    alice = User(name="alice", api_url=stack.api_url, token=tokens["IdToken"])
    response = alice.call("POST", "/api/v1/chatgroup/create", {"name": "Signed in with SRP", "capacity": 2})
    assert response.status_code == 200, response.text
    assert alice.group(response.json()["chatgroup_id"]).json()["CreatorID"] == "alice"
