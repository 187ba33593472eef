"""The Cognito PreSignUp trigger refuses usernames that break the user-id rule, and lets every other through.

The events are Cognito's own shapes (self sign-up, AdminCreateUser, a federated first sign-in).
Unproven locally: the embedded Cognito (moto) stores the user pool's triggers but never runs them,
so that a real sign-up of `mallory;alice` is refused end to end is only true of AWS, and untested
here; the caller-side 403 for such an account (`chatgroup.callers.caller_id`) is tested over HTTP.
"""

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from devstack.lambda_runtime import LambdaContext, load_handler
from devstack.template import functions
from tests.conftest import TEMPLATE

EVENT = json.loads((Path(__file__).resolve().parents[2] / "events" / "pre_sign_up.json").read_text())
TRIGGERS = ["PreSignUp_SignUp", "PreSignUp_AdminCreateUser", "PreSignUp_ExternalProvider"]


@pytest.fixture(scope="module")
def trigger() -> Any:
    return load_handler(functions(TEMPLATE)["PreSignUpFunction"])


def sign_up(username: str, source: str) -> dict[str, Any]:
    event = copy.deepcopy(EVENT)
    event["userName"] = username
    event["triggerSource"] = source
    return event


@pytest.mark.parametrize("source", TRIGGERS)
@pytest.mark.parametrize("username", ["alice", "Dave.O'Neil", "名前", "x" * 128, "google_1234567890"])
def test_a_usable_username_signs_up_and_the_event_is_returned_unchanged(trigger, username: str, source: str) -> None:
    event = sign_up(username, source)
    assert trigger(copy.deepcopy(event), LambdaContext(function_name="PreSignUpFunction")) == event


@pytest.mark.parametrize("source", TRIGGERS)
@pytest.mark.parametrize(
    "username",
    ["mallory;alice", "hash#tag", "two words", "tab\there", "bell\x07", "x" * 129],
    ids=["semicolon", "hash", "space", "tab", "control", "too long"],
)
def test_an_unusable_username_is_refused_with_the_rule(trigger, username: str, source: str) -> None:
    with pytest.raises(Exception, match="The username cannot be used: a user id is 1 to 128 characters") as refused:
        trigger(sign_up(username, source), LambdaContext(function_name="PreSignUpFunction"))
    assert type(refused.value).__name__ == "UsernameRefused"


def test_the_user_pool_runs_the_trigger_before_sign_up_and_may_invoke_it() -> None:
    resources = TEMPLATE["Resources"]
    assert resources["UserPool"]["Properties"]["LambdaConfig"] == {"PreSignUp": {"Ref": "PreSignUpFunctionAliaslive"}}
    permission = resources["PreSignUpPermission"]["Properties"]
    assert permission["Principal"] == "cognito-idp.amazonaws.com"
    assert permission["SourceArn"] == {"Fn::GetAtt": ["UserPool", "Arn"]}
    assert permission["FunctionName"] == {"Ref": "PreSignUpFunctionAliaslive"}
