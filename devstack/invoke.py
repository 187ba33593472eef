"""`make invoke FUNCTION=<logical id> EVENT=events/<file>.json`: one function, one event, like `sam local invoke`.

If STACK_FILE (default .local/stack.json) describes a running `make run`, the function runs
against that stack's embedded AWS, so it sees and changes the same data as the API, and the
WebSocket authorizer accepts that stack's tokens (`make token`). Otherwise
an embedded AWS with the template's tables is started for the duration of the call.
The response goes to stdout (or, if the handler raised, Lambda's error document, and the exit
status is 1); the function's logs and any traceback go to stderr.

    python -m devstack.invoke [--built-dir .aws-sam/build] FUNCTION EVENT
"""

import argparse
import json
import os
import sys
import traceback
from contextlib import ExitStack, redirect_stdout
from pathlib import Path
from typing import Any

from devstack.aws import create_tables
from devstack.code import Code, CodeUnavailable, configure_process, load_functions
from devstack.plumbing import embedded_aws, local_endpoints, local_names
from devstack.stackfile import StackInfo, StackNotRunning, running_stack, stack_file
from devstack.template import UnsupportedTemplate, functions, load_template


class InvokeError(Exception):
    """The function or the event cannot be used; the message says why."""


class HandlerRaised(Exception):
    """The handler raised; `document` is what Lambda would answer instead of a response."""

    def __init__(self, document: dict[str, str]) -> None:
        super().__init__(document["errorMessage"])
        self.document = document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make invoke", description="Run one function with one event.")
    parser.add_argument("--built-dir", type=Path, help="run this `sam build` output instead of the sources")
    parser.add_argument("function", help="the function's logical id in template.yaml")
    parser.add_argument("event", type=Path, help="a JSON event file, e.g. an API Gateway proxy event")
    arguments = parser.parse_args(argv)
    try:
        response = invoke(arguments.function, _event(arguments.event), Code(arguments.built_dir))
    except (InvokeError, CodeUnavailable, UnsupportedTemplate) as failure:
        print(f"make invoke: {failure}", file=sys.stderr)
        return 1
    except HandlerRaised as raised:
        print(json.dumps(raised.document, indent=2))
        return 1
    print(json.dumps(response, indent=2))
    return 0


def _event(path: Path) -> dict[str, Any]:
    try:
        event = json.loads(path.read_text())
    except (OSError, ValueError) as unreadable:
        raise InvokeError(f"cannot read the event {path}: {unreadable}") from None
    if not isinstance(event, dict):
        raise InvokeError(f"the event in {path} is not a JSON object")
    return event


def invoke(logical_id: str, event: dict[str, Any], code: Code) -> Any:
    """The function's response to the event, run against a live `make run` or an AWS of its own."""
    template = load_template()
    specs = functions(template)
    if logical_id not in specs:
        raise InvokeError(f"{logical_id or '(none)'} is not a function of template.yaml: {', '.join(specs)}")
    spec = specs[logical_id]
    code.check(template, [spec])
    with ExitStack() as running:
        endpoint_url, refs, local_environment = _target(template, running)
        configure_process([spec], refs, endpoint_url)
        os.environ.update(local_environment)
        with redirect_stdout(sys.stderr):
            function = load_functions(template, [spec], code)[logical_id]
            try:
                return function.invoke(event)
            except Exception as error:
                traceback.print_exc()
                raise HandlerRaised({"errorType": type(error).__name__, "errorMessage": str(error)}) from error


def _target(template: dict[str, Any], running: ExitStack) -> tuple[str, dict[str, str], dict[str, str]]:
    """Where the function runs: the AWS endpoint, the names template.yaml is resolved with, and the
    environment beyond them. A running `make run`'s, so that its pool (which signs `make token`'s
    tokens) and its @connections are the function's too; else an embedded AWS of its own."""
    stack = _running_stack()
    if stack is None:
        return _own_aws(template, running), local_names(template), {}
    if not stack.refs or stack.websocket_callback_url is None:
        raise InvokeError(f"{stack_file()} was written by an older `make run`: stop it and start it again")
    print(f"Using the running local stack's AWS at {stack.aws_endpoint_url}", file=sys.stderr)
    environment = local_endpoints(stack.aws_endpoint_url, stack.user_pool_id, stack.websocket_callback_url)
    return stack.aws_endpoint_url, stack.refs, environment


def _running_stack() -> StackInfo | None:
    """The running `make run` that .local/stack.json (or STACK_FILE) describes, if any."""
    path = stack_file()
    try:
        return running_stack(path)
    except StackNotRunning as absent:
        if path.exists():
            print(f"Not using {path}: {absent}; this call gets an embedded AWS of its own", file=sys.stderr)
        return None


def _own_aws(template: dict[str, Any], running: ExitStack) -> str:
    """An embedded AWS with the template's tables, until `running` closes."""
    endpoint_url = running.enter_context(embedded_aws())
    create_tables(endpoint_url, template)
    return endpoint_url


if __name__ == "__main__":
    sys.exit(main())
