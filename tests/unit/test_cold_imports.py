"""The functions that serve no REST route load neither pydantic, Powertools' REST event handler nor asyncio.

The first two are what a REST function pays for its validation and routing (bench/floor, 0.25x and more
of a cold start), and the event handler's package brings asyncio with it. The WebSocket and stream
functions and the sign-up trigger need none of them, and keep their cold start within the target only
without them (docs/decisions/1401-cold-start-and-snapstart.md). asyncio is also what wrapt 2 would
import for the Tracer, which is why the layer pins wrapt 1 (docs/decisions/1403-wrapt-1-in-the-layer.md).
Each check imports handlers as Lambda does, in a fresh interpreter with the template's environment.
"""

import json
import os

from devstack.plumbing import functions_environment, json_printed_last
from devstack.template import ROOT, FunctionSpec, functions, load_template

REST_ONLY = ("asyncio", "aws_lambda_powertools.event_handler", "pydantic")

SCRIPT = """
import importlib.util, json, sys
loaded = {}
for name, path in json.loads(sys.argv[1]).items():
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    loaded[name] = sorted(m for m in json.loads(sys.argv[2]) if m in sys.modules)
print(json.dumps(loaded))
"""


def rest_only_modules_loaded(specs: list[FunctionSpec]) -> dict[str, list[str]]:
    """Per function, imported one after the other in one interpreter: which REST-only modules are loaded by then."""
    environment = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT / "layers" / "shared"), "AWS_REGION": "us-east-1"}
    paths = {spec.logical_id: str(spec.code_uri / (spec.handler.rsplit(".", 1)[0] + ".py")) for spec in specs}
    loaded = json_printed_last(
        SCRIPT,
        json.dumps(paths),
        json.dumps(REST_ONLY),
        environment=environment | functions_environment(),
        timeout=120,
    )
    return dict(loaded)


def test_no_function_without_a_rest_route_loads_pydantic_the_rest_event_handler_or_asyncio() -> None:
    # Given every function of the template that serves no REST route
    others = [spec for spec in functions(load_template()).values() if not spec.routes]
    assert len(others) >= 8

    # When their handlers are imported
    loaded = rest_only_modules_loaded(others)

    # Then none has loaded any of them
    assert loaded == {spec.logical_id: [] for spec in others}


def test_a_rest_function_loads_all_three_so_the_check_above_can_see_them() -> None:
    # Given a REST function
    get_chatgroup = functions(load_template())["GetChatgroupFunction"]

    # When its handler is imported
    loaded = rest_only_modules_loaded([get_chatgroup])

    # Then all three are loaded
    assert loaded == {"GetChatgroupFunction": sorted(REST_ONLY)}
