"""Who is calling: the one place that reads the caller, from a REST request's Cognito claims or a
WebSocket connection's authorizer context.

No Powertools event handler and no pydantic here (the REST event is only a type), so that the
WebSocket functions' cold start does not pay for what only REST routes use.
"""

from typing import TYPE_CHECKING, Any

from chatgroup.errors import Forbidden, NotAuthenticated
from chatgroup.rules import USER_ID_RULE, is_user_id

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent


def caller_id(event: "APIGatewayProxyEvent") -> str:
    """The signed-in user: the Cognito username in the authorizer's claims (ID or access token)."""
    claims = event.request_context.authorizer.claims or {}
    return _user(
        claims.get("cognito:username") or claims.get("username"), "Sign in: the request carries no Cognito user."
    )


def websocket_caller(event: dict[str, Any]) -> str:
    """The user a WebSocket connection belongs to: the principal our $connect authorizer returned."""
    authorizer = event.get("requestContext", {}).get("authorizer") or {}
    return _user(authorizer.get("principalId"), "The connection carries no authorized user.")


def _user(username: object, missing: str) -> str:
    """`username` if it names a user the API serves: none is a 401 saying `missing`, one it refuses a 403."""
    if not isinstance(username, str) or not username:
        raise NotAuthenticated(missing)
    if not is_user_id(username):
        raise Forbidden(f"Your account name {username!r} cannot use chatgroups: {USER_ID_RULE}.")
    return username
