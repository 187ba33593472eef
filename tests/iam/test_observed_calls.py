"""The functions' IAM policies proven from the calls they made: these tests run after every other test.

The local stack and the embedded AWS do not enforce IAM, so a call a policy forbids passes every
other test and fails only in AWS. Every call a function made while the tests before these ran
(in this process, through tests/integration's handlers and the bench, and in the local stacks of
tests/e2e and tests/reliability) was logged; here each is evaluated against the function's role
as SAM deploys it. See policy.py for how calls become IAM requests, and its LAMBDAS_OWN and
MANAGED_POLICIES for the grants no call can show used.
"""

import os
from pathlib import Path

import pytest

from devstack.aws_calls import read_calls
from tests.iam.conftest import SuiteProgress
from tests.iam.policy import LocalArns, Policy, function_policies, refusals, translated_template, unused_grants


@pytest.fixture(scope="module")
def policies() -> dict[str, Policy]:
    translated = translated_template()
    return function_policies(translated, LocalArns.of(translated))


def test_every_aws_call_a_function_made_is_allowed_by_its_policy(call_log: Path, policies: dict[str, Policy]) -> None:
    # Given every AWS call each function made in this run
    calls = read_calls(call_log)
    if not calls:
        pytest.skip("no function was invoked in this run")

    # When each is evaluated against the function's policy, as IAM would
    refused = refusals(calls, policies)

    # Then none is refused
    assert not refused, "IAM would refuse:\n" + "\n".join(str(refusal) for refusal in refused)


def test_every_grant_was_used_by_a_call_or_is_needed_by_lambda_itself(
    call_log: Path, policies: dict[str, Policy], suite: SuiteProgress, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the calls of a run of the whole suite, every test passed
    incomplete = suite.whole_suite_passed()
    if incomplete is not None:
        pytest.skip(f"unused grants are judged on a run of the whole suite that passed; here {incomplete}")
    calls = read_calls(call_log)

    # When the grants of each policy are matched with the calls that used them
    unexplained, lambdas_own = unused_grants(calls, policies)

    # Then every grant was used, or is one Lambda itself needs (listed with why, for the record)
    with capsys.disabled():
        print("\nGrants no call used, needed by Lambda itself:", *lambdas_own, sep="\n  ")
    assert not unexplained, "granted, never used, not needed by Lambda:\n" + "\n".join(map(str, unexplained))


def test_calls_were_logged_both_in_this_process_and_by_the_local_stacks(call_log: Path, suite: SuiteProgress) -> None:
    # Given a run of the whole suite: handlers called in this process, and local stacks in subprocesses
    incomplete = suite.whole_suite_passed()
    if incomplete is not None:
        pytest.skip(f"the whole suite did not run; here {incomplete}")

    # When the log folder is read
    writers = {path.name for path in call_log.glob("calls-*.jsonl") if path.stat().st_size}

    # Then this process logged calls, and so did at least one local stack
    assert f"calls-{os.getpid()}.jsonl" in writers
    assert len(writers) >= 2, writers
