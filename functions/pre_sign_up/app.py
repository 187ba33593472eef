"""Cognito PreSignUp trigger: refuse a username that breaks the user-id rule before the account exists.

Such an account could sign in but use no route (`chatgroup.callers.caller_id` answers 403), so it is
better never made. Cognito shows the refusal to the signing-up client as
`PreSignUp failed with error <reason>.` (UserLambdaValidationException). It runs for self sign-up,
AdminCreateUser and federated sign-ins alike. The embedded Cognito of `make run` stores the trigger
but never calls it: only tests/unit/test_pre_sign_up.py proves this handler.
"""

from typing import Any

from aws_lambda_powertools.utilities.data_classes.cognito_user_pool_event import PreSignUpTriggerEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from chatgroup.observability import count, logger, metrics
from chatgroup.rules import USER_ID_RULE, is_user_id


class UsernameRefused(Exception):
    """Raised to make Cognito refuse the sign-up; its message is the reason the client sees."""


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    sign_up = PreSignUpTriggerEvent(event)
    if not is_user_id(sign_up.user_name):
        logger.info("Sign-up refused: unusable username", extra={"trigger_source": sign_up.trigger_source})
        count("SignUpsRefused")
        raise UsernameRefused(f"The username cannot be used: {USER_ID_RULE}.")
    return event
