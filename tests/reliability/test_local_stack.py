"""The local stack runs every function in one process: that must not let one request see another's.

Powertools keeps the event being handled in a class attribute, `BaseRouter.current_event`,
shared by every resolver of the process: right on Lambda, where an execution environment
handles one event at a time, wrong in the local stack, whose LocalFunction locks each
function separately, so two functions handle requests at the same time. A handler that
reads its event after another function started one reads the other's: another caller,
another body. Over HTTP that shows as a request answered 400 or 403 for another one's
reasons, now and then, in tests that send to two functions at once.
"""

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from chatgroup.api import create_app
from chatgroup.callers import caller_id
from devstack.lambda_runtime import LocalFunction, proxy_event
from devstack.template import FunctionSpec, Route

OTHER_FUNCTION_SECONDS = 2.0


def local_function(name: str, app: Any) -> LocalFunction:
    spec = FunctionSpec(
        logical_id=name, code_uri=Path(), handler="app.lambda_handler", routes=(Route("GET", f"/{name}"),)
    )
    return LocalFunction(spec=spec, handler=app.resolve, timeout_seconds=3, memory_mb=128, arn=f"local:{name}")


def test_a_handler_reads_its_own_caller_while_another_function_handles_a_request() -> None:
    # Given two functions of the stack, each with its own resolver, as every app.py creates one
    first_app, second_app = create_app(), create_app()
    second = local_function("second", second_app)

    @second_app.get("/second")
    def who_calls_second() -> dict[str, str]:
        return {"caller": caller_id(second_app.current_event)}

    @first_app.get("/first")
    def who_calls_first() -> dict[str, str]:
        # While the first handles alice's request, the second gets bob's
        other = threading.Thread(
            target=second.invoke, args=(proxy_event("GET", "/second", claims={"cognito:username": "bob"}),)
        )
        other.start()
        other.join(OTHER_FUNCTION_SECONDS)
        return {"caller": caller_id(first_app.current_event)}

    first = local_function("first", first_app)

    # When alice calls the first function
    answer = first.invoke(proxy_event("GET", "/first", claims={"cognito:username": "alice"}))

    # Then it still sees alice as its caller
    assert (answer["statusCode"], json.loads(answer["body"])) == (200, {"caller": "alice"})


def test_a_local_function_counts_metrics_per_invocation_and_prints_none_with_metrics_off(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the local stack's setting (metrics off) and a function that counts one metric per request
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    metrics = Metrics(namespace="Local")

    @metrics.log_metrics
    def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
        metrics.add_metric(name="Sent", unit=MetricUnit.Count, value=1)
        return {"statusCode": 200}

    spec = FunctionSpec(logical_id="Counting", code_uri=Path(), handler="app.lambda_handler", routes=())
    function = LocalFunction(spec=spec, handler=handler, timeout_seconds=3, memory_mb=128, arn="local:Counting")

    # When it handles more requests than Powertools keeps values of one metric (100)
    for _ in range(101):
        function.invoke({})

    # Then each invocation's metrics went with it, as in Lambda, and none was printed
    assert metrics.metric_set == {}
    assert capsys.readouterr().out == ""
