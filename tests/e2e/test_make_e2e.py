"""`make e2e STACK_NAME=…`: every module collects without the functions' environment, and a stack that cannot be
the target stops the run with one line saying why."""

import os
import subprocess

import pytest

from devstack.aws import FAKE_CREDENTIALS, REGION
from devstack.stackfile import StackInfo
from devstack.template import ROOT

pytestmark = pytest.mark.local_only  # runs `make e2e` itself, which would start this module again

NO_AWS_SETTINGS = {
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}
"""No profile, no credentials file, no instance metadata: a shell without AWS credentials."""


def make_e2e(stack_name: str, pytest_args: str = "", **variables: str) -> subprocess.CompletedProcess[str]:
    """`make e2e STACK_NAME=…` from a shell that has only PATH and HOME, as a developer's has: none of the
    functions' environment that this test process holds (the root conftest sets it)."""
    shell = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
    make = ["make", "--no-print-directory", "e2e", f"STACK_NAME={stack_name}"]
    return subprocess.run(  # noqa: S603 - fixed arguments
        [*make, f"PYTEST_ARGS=-p no:cacheprovider {pytest_args}"],
        cwd=ROOT,
        env=shell | NO_AWS_SETTINGS | {"AWS_REGION": REGION} | variables,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_every_module_collects_for_a_deployed_stack() -> None:
    # When `make e2e STACK_NAME=…` collects the suite, which loads only tests/e2e's conftest
    result = make_e2e("chatgroup-collected", "--collect-only")

    # Then every module is collected, the quota tests' too: none needs the functions' environment at import
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ERROR collecting" not in result.stdout
    assert "tests/e2e/test_quotas.py::" in result.stdout


def test_without_credentials_the_run_stops_in_one_line_saying_so() -> None:
    # When `make e2e STACK_NAME=…` runs where no AWS credentials are set
    result = make_e2e("chatgroup-anything")

    # Then it stops before any test, with one line naming what is missing, and no traceback
    assert result.returncode != 0
    assert "make e2e: no AWS credentials to read stack chatgroup-anything with" in result.stdout, result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert " passed" not in result.stdout


def test_a_stack_that_does_not_exist_stops_the_run_in_one_line_naming_it(stack: StackInfo) -> None:
    # Given an AWS (the local stack's embedded one) where no stack chatgroup-absent was ever deployed
    aws = FAKE_CREDENTIALS | {"AWS_ENDPOINT_URL": stack.aws_endpoint_url}

    # When `make e2e STACK_NAME=chatgroup-absent` runs against it
    result = make_e2e("chatgroup-absent", **aws)

    # Then it stops before any test, with one line naming the stack CloudFormation does not know, and no traceback
    assert result.returncode != 0
    assert "make e2e: stack chatgroup-absent: " in result.stdout, result.stdout
    assert "does not exist" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert " passed" not in result.stdout
