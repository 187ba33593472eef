"""$connect authorizer of the chat WebSocket API: the Cognito ID token in the `token` query parameter.

A REQUEST authorizer, since WebSocket APIs have no Cognito authorizer type and browsers cannot
set headers on a WebSocket. A refused token raises `Unauthorized`: API Gateway answers 401 and
neither the $connect function runs nor is a connection stored.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from chatgroup.observability import logger
from chatgroup.tokens import IdTokenVerifier, TokenRefused

verifier = IdTokenVerifier.from_environment()


class Unauthorized(Exception):
    """Raised with the message "Unauthorized", API Gateway's signal to answer 401."""


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    token = (event.get("queryStringParameters") or {}).get("token")
    try:
        user = verifier.username(token)
    except TokenRefused as refused:
        logger.info("Connection refused", extra={"reason": str(refused)})
        raise Unauthorized("Unauthorized") from None
    return {
        "principalId": user,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}],
        },
        "context": {"username": user},
    }
