"""The packaged code is what runs: `sam build` output alone carries everything the functions import.

template.yaml builds for arm64; the build here is of a copy switched to this machine's
architecture (devstack.build), since arm64 wheels (pydantic_core) cannot load on x86_64.
It takes a few seconds (pip installs the layer), so it is done once for this module.
"""

import importlib.util
import json
import re
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path

import pytest

from devstack.aws import REGION
from devstack.build import host_architecture, sam_build
from devstack.code import LOCAL_DEFAULTS
from devstack.plumbing import functions_environment
from devstack.template import functions, load_template
from tests.e2e.conftest import StackProcess, User, sign_in

pytestmark = pytest.mark.local_only  # the sam build output run as a local stack

LAMBDA_RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")
"""What the python3.13 Lambda runtime provides besides the standard library: the AWS SDK and its dependencies."""

IMPORT_EVERY_HANDLER = """
import importlib.util, json, sys
layer, runtime, handlers = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
sys.path[:0] = [layer, runtime]
for name, (folder, module, attribute) in handlers.items():
    sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(name, f"{folder}/{module}.py")
    code = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(code)
    assert callable(getattr(code, attribute)), name
    sys.path.remove(folder)
print(json.dumps({name: getattr(module, "__file__", None) for name, module in sys.modules.items()}))
"""


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sam") / "build"
    sam_build(folder, host_architecture())
    return folder


@pytest.fixture
def runtime_packages(tmp_path: Path) -> Path:
    """A folder standing for the runtime's own packages: links to this interpreter's copies of them."""
    folder = tmp_path / "runtime"
    folder.mkdir()
    for name in LAMBDA_RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        assert spec is not None, name
        assert spec.origin is not None, name
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (folder / source.name).symlink_to(source)
    return folder


def test_every_built_handler_imports_with_only_the_built_layer(build_dir: Path, runtime_packages: Path) -> None:
    # Given the built functions, the built layer, and the packages of the Lambda runtime
    template = load_template()
    specs = functions(template)
    handlers = {
        logical_id: [str(build_dir / logical_id), *spec.handler.rsplit(".", 1)] for logical_id, spec in specs.items()
    }
    env = functions_environment(template) | LOCAL_DEFAULTS | {"AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION}
    layer = build_dir / "SharedLayer" / "python"

    # When a bare interpreter (no site-packages, no sources) imports every handler
    result = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            IMPORT_EVERY_HANDLER,
            str(layer),
            str(runtime_packages),
            json.dumps(handlers),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    # Then every import succeeds, and each module came from the build, the runtime or the standard library
    assert result.returncode == 0, result.stderr
    origins = {name: Path(file) for name, file in json.loads(result.stdout).items() if file}
    allowed = [
        build_dir,
        runtime_packages,
        Path(sysconfig.get_paths()["stdlib"]),
        Path(sysconfig.get_paths()["platstdlib"]),
    ]
    strays = sorted(name for name, file in origins.items() if not any(file.is_relative_to(root) for root in allowed))
    assert strays == []
    assert origins["chatgroup"].is_relative_to(layer)


def test_stack_serves_the_built_code(start_stack: Callable[..., StackProcess], build_dir: Path) -> None:
    # Given the local stack started on the build, as `make run BUILT=1` does
    process = start_stack("--built-dir", str(build_dir))
    stack = process.wait_until_ready()
    alice = User(name="alice", api_url=stack.api_url, token=sign_in(stack, "alice", stack.users["alice"])["IdToken"])

    # When alice creates a group and reads it
    group = alice.create_group(name="Built")["chatgroup_id"]

    # Then the built handlers answered, and the layer's own code was served from the build
    assert alice.group(group).json()["Name"] == "Built"
    assert f"serving the build in {build_dir}" in process.output()
    from_venv = re.search(r"from \.venv, not the layer: (.*)", process.output())
    assert from_venv is None or "chatgroup" not in from_venv.group(1).split(", ")


def test_the_built_layer_ships_bytecode_that_lambda_can_use_as_is(build_dir: Path) -> None:
    """/opt is read-only in Lambda: without .pyc in the layer every cold start compiles it from source."""
    sources = sorted((build_dir / "SharedLayer" / "python").rglob("*.py"))
    assert sources
    flags = {}
    for source in sources:
        compiled = Path(importlib.util.cache_from_source(str(source)))
        assert compiled.exists(), f"{source} ships without bytecode"
        flags[source] = int.from_bytes(compiled.read_bytes()[4:8], "little")
    assert set(flags.values()) == {1}, "bytecode must be unchecked-hash (flags 1), valid whatever the zip's timestamps"
