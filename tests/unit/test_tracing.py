"""X-Ray gets no response body: member lists and messages stay out of the traces.

Each run is a fresh interpreter set up as Lambda with `Tracing: Active` would be (the template's
Globals environment, a task root, tracing on), with a recording provider in place of X-Ray's:
the layer's Tracer, decorating as the handlers do, records what it would send.
"""

import os

from devstack.plumbing import json_printed_last
from devstack.template import ROOT, functions, load_template, parameter_defaults, resolve

SCRIPT = """
import json
from contextlib import contextmanager
from aws_lambda_powertools import Tracer

recorded = []

class Segment:
    def put_annotation(self, key, value): pass
    def put_metadata(self, key, value, namespace="default"): recorded.append(key)
    def add_exception(self, exception, stack, remote=False): pass

class Recording:
    @contextmanager
    def in_subsegment(self, name=None, **kwargs): yield Segment()
    def put_annotation(self, key, value): pass
    def put_metadata(self, key, value, namespace="default"): recorded.append(key)
    def patch(self, modules): pass
    def patch_all(self): pass

Tracer(provider=Recording())
from chatgroup.observability import tracer

class Context:
    function_name = "GetChatgroupFunction"
    aws_request_id = "1"

@tracer.capture_method
def get_chatgroup():
    return {"MemberList": "alice;bob"}

@tracer.capture_lambda_handler
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(get_chatgroup())}

handler({}, Context())
print(json.dumps(recorded))
"""


def recorded_metadata(environment: dict[str, str]) -> list[str]:
    """The metadata keys the layer's Tracer records around a handler and a method, run with `environment`."""
    return list(json_printed_last(SCRIPT, environment=environment, timeout=60))


def lambda_environment(**overrides: str) -> dict[str, str]:
    """A traced function's environment: template.yaml's Globals and Lambda's, with tracing on."""
    template = load_template()
    refs = parameter_defaults(template) | {name: name for name in template["Resources"]}
    variables = {
        name: str(resolve(value, refs))
        for name, value in functions(template)["GetChatgroupFunction"].environment.items()
    }
    lambda_variables = {"LAMBDA_TASK_ROOT": str(ROOT), "POWERTOOLS_TRACE_DISABLED": "false", "AWS_REGION": "us-east-1"}
    return (
        {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT / "layers" / "shared")}
        | variables
        | lambda_variables
        | overrides
    )


def test_the_tracer_records_no_response_of_a_handler_or_method() -> None:
    # Given a function traced with the template's environment
    environment = lambda_environment()

    # When its handler answers, through a traced method
    recorded = recorded_metadata(environment)

    # Then neither the handler's nor the method's response is recorded
    assert [key for key in recorded if key.endswith("response")] == []


def test_without_the_templates_setting_the_tracer_would_record_the_responses() -> None:
    # Given the same function without POWERTOOLS_TRACER_CAPTURE_RESPONSE (Powertools' default)
    environment = lambda_environment()
    del environment["POWERTOOLS_TRACER_CAPTURE_RESPONSE"]

    # When its handler answers
    recorded = recorded_metadata(environment)

    # Then both responses are recorded: the setting above is what keeps them out
    assert sorted(key for key in recorded if key.endswith("response")) == [
        "__main__.get_chatgroup response",
        "handler response",
    ]
