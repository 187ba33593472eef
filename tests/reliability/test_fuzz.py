"""Schemathesis against the running local stack: every route, valid and invalid input, with alice's token.

For every generated request, all of Schemathesis' checks, among them:
- no answer is a 5xx (503 only happens when AWS fails, which the local stack never does);
- the answer conforms to the OpenAPI document: a documented status, content type, headers and body;
- a request the document calls valid is not refused as bad input (positive data acceptance), and one
  it calls invalid is refused (negative data rejection): the document says exactly what is accepted;
and, ours, a refused request changed nothing in the embedded AWS: no item anywhere, no queue.

Schemathesis generates from docs/openapi.json (the document the stack serves, see
test_openapi_served.py): the documented examples, its coverage phase (missing and extra fields,
wrong types, boundaries, other methods and media types), then FUZZ_EXAMPLES fuzzed cases per
operation, valid and invalid; then, separately, its stateful phase: sequences that follow the
document's links from a created group to the routes that take its id. Valid cases name a seeded
group and a real user half of the time. Bodies that are not JSON at all, which Schemathesis does
not send, have their own property below.

`make test` runs a small seeded slice; `make fuzz` runs thousands of cases (FUZZ_EXAMPLES per
operation, FUZZ_SEED to replay or vary a run). Either prints, and writes to REPORT, how many
cases each operation got, by status.
"""

import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from devstack.openapi import DOCUMENT
from devstack.stackfile import StackInfo
from devstack.template import ROOT
from tests.reliability.conftest import Accounts, AwsSnapshots, AwsState

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
FUZZ_SEED = int(os.environ.get("FUZZ_SEED", "20261124"))
STATEFUL_SCENARIOS = int(os.environ.get("FUZZ_SCENARIOS", "20"))
STATEFUL_STEPS = 6
REPORT = Path(os.environ.get("FUZZ_REPORT") or ROOT / ".local" / "reliability" / "fuzz.txt")
USERS = ("alice", "bob", "carol", "dave")
USER_FIELDS = ("who_apply", "who_invite", "who_leave", "who_to_kick_out", "who_to_invite", "creator_id")
RESPONSE_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
"""What any answer must be, for a request Schemathesis did not generate: no 5xx, and documented."""
DOCUMENTED = json.loads(DOCUMENT.read_text())


schema = schemathesis.openapi.from_path(
    DOCUMENT,
    config=schemathesis.Config.from_dict(
        {
            "seed": FUZZ_SEED,
            "suppress-health-check": ["all"],
            "generation": {
                "mode": "all",
                "max-examples": FUZZ_EXAMPLES,
                "database": "none",
                "with-security-parameters": False,
            },
            "phases": {
                # No data taken from responses (fresh ids, times): the same command gives the same cases every run.
                "coverage": {"extra-data-sources": {"responses": False}},
                "fuzzing": {"extra-data-sources": {"responses": False}, "error-feedback": {"enabled": False}},
                "stateful": {"max-steps": STATEFUL_STEPS},
            },
        }
    ),
)
seeded_groups: list[str] = []
"""The groups of the current operation's test: valid requests name them half of the time."""


@schema.hook("flatmap_case")
def towards_seeded_groups(context: schemathesis.HookContext, case: schemathesis.Case) -> st.SearchStrategy[Any]:
    """Valid cases name a seeded group and a real user half of the time, so they reach the rules, not just a 404."""
    if not seeded_groups or not is_valid(case):
        return st.just(case)

    def aimed(group: str, user: str) -> schemathesis.Case:
        if "chatgroup_id" in (case.path_parameters or {}):
            case.path_parameters["chatgroup_id"] = group
        if isinstance(case.body, dict):
            case.body.update({"chatgroup_id": group} if "chatgroup_id" in case.body else {})
            case.body.update({field: user for field in USER_FIELDS if field in case.body})
        return case

    return st.one_of(st.just(case), st.builds(aimed, st.sampled_from(seeded_groups), st.sampled_from(USERS)))


def is_valid(case: schemathesis.Case) -> bool:
    return case.meta is not None and case.meta.generation.mode == schemathesis.GenerationMode.POSITIVE


CHANGES = Draft202012Validator(
    {"$ref": "#/components/schemas/ChatgroupChanges", "components": DOCUMENTED["components"]}
)


def keep_the_described_rules(case: schemathesis.Case) -> None:
    """Make a case the schema calls valid keep the rules the route's description states in words, too.

    JSON Schema cannot state them: the caller and the members fit the capacity; after_seq or
    before_seq, not both; a next_token is one the service issued (valid cases send none); attrs as a
    string holds a JSON object of the documented changes.
    """
    if not is_valid(case):
        return
    if case.query:
        case.query.pop("next_token", None)
        if "after_seq" in case.query:
            case.query.pop("before_seq", None)
    body: dict[str, Any] = case.body if isinstance(case.body, dict) else {}
    if case.operation.path == "/api/v1/chatgroup/create" and "capacity" in body:
        listed = body.get("memberlist", [])
        members = [member.strip() for member in (listed.split(";") if isinstance(listed, str) else listed)]
        members = [member for member in members if member]
        if len({"alice", *members}) > int(body["capacity"]):
            body["capacity"] = len({"alice", *members})
    if isinstance(body.get("attrs"), str) and not is_changes(body["attrs"]):
        body["attrs"] = json.dumps({"name": "Renamed"})


def is_changes(text: str) -> bool:
    try:
        return CHANGES.is_valid(json.loads(text))
    except ValueError:
        return False


@dataclass
class Seeded:
    """The groups an operation's cases are aimed at, and the state of the stack after the last refusal."""

    groups: list[str]
    state: AwsState | None = None


SETTLE_SECONDS = 30
DISMISSED_NOTICE = '"notice": {"S": "dismissed"}'


def settled(snapshots: AwsSnapshots, groups: list[str]) -> AwsState:
    """The stack's state once what an accepted request set off in the background is done.

    A dismissal's timeline, its `dismissed` notice last, is purged by a function fed by the
    table's stream, after the answer: a snapshot taken meanwhile would blame that purge on the
    next request. No other background work of the stack changes a table.
    """
    deadline = time.monotonic() + SETTLE_SECONDS
    state = snapshots.take(groups)
    while any(item.startswith("TimelineTable") and DISMISSED_NOTICE in item for item in state.items):
        assert time.monotonic() < deadline, "a dismissed group's timeline was not purged"
        time.sleep(0.1)
        state = snapshots.take(groups)
    return state


@pytest.fixture
def seeded(accounts: Accounts) -> Iterator[Seeded]:
    """Fresh groups for each operation's cases: alice's with members and pending messages, and bob's full one."""
    alice, bob, dave = accounts("alice"), accounts("bob"), accounts("dave")
    crew = alice.create_group(name="Fuzz crew", capacity=6, memberlist="bob;carol", eventid="fuzz-fest")["chatgroup_id"]
    dave.send("application", crew, message="Let me in")
    alice.send("invitation", crew, who_to_invite="dave")
    spare = alice.create_group(name="Spare", capacity=3, memberlist="carol")["chatgroup_id"]
    full = bob.create_group(name="Full house", capacity=2, memberlist="alice", eventid="fuzz-fest")["chatgroup_id"]
    seeded_groups[:] = [crew, spare, full]
    yield Seeded(groups=list(seeded_groups))
    seeded_groups.clear()


class Tally:
    """How many cases each operation got, by status; printed and written to REPORT at the end of the module."""

    def __init__(self) -> None:
        self.statuses: dict[str, Counter[int]] = {}
        self.kinds: Counter[str] = Counter()

    def add(self, case: schemathesis.Case, status: int) -> None:
        self.statuses.setdefault(case.operation.label, Counter())[status] += 1
        if case.meta is not None:
            self.kinds[f"{case.meta.phase.name.value} {case.meta.generation.mode.value}"] += 1

    def add_malformed(self, operation: str, status: int) -> None:
        self.statuses.setdefault(operation, Counter())[status] += 1
        self.kinds["not JSON"] += 1

    def render(self) -> str:
        total = sum(sum(counts.values()) for counts in self.statuses.values())
        lines = [f"fuzz: {total} cases, FUZZ_EXAMPLES={FUZZ_EXAMPLES} FUZZ_SEED={FUZZ_SEED}"]
        for operation, counts in sorted(self.statuses.items()):
            shown = ", ".join(f"{status}: {count}" for status, count in sorted(counts.items()))
            lines.append(f"  {operation:<42} {sum(counts.values()):>6} cases  ({shown})")
        lines += [f"  {kind:<58} {count:>6} cases" for kind, count in sorted(self.kinds.items())]
        return "\n".join(lines)


@pytest.fixture(scope="module")
def tally() -> Iterator[Tally]:
    counted = Tally()
    yield counted
    report = counted.render()
    print(f"\n{report}")
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(report + "\n")


@schema.parametrize()
def test_every_answer_is_documented_and_no_refusal_changes_anything(
    case: schemathesis.Case,
    stack: StackInfo,
    accounts: Accounts,
    aws_snapshots: AwsSnapshots,
    seeded: Seeded,
    tally: Tally,
) -> None:
    before = seeded.state or settled(aws_snapshots, seeded.groups)
    keep_the_described_rules(case)
    response = case.call(base_url=stack.api_url, headers={"Authorization": accounts("alice").token})
    tally.add(case, response.status_code)
    case.validate_response(response)
    if 200 <= response.status_code < 300:
        seeded.state = None
        return
    seeded.state = aws_snapshots.take(seeded.groups)
    changes = seeded.state.changes_since(before)
    assert not changes, f"{response.status_code} {response.text} yet the stack changed:\n" + "\n".join(changes)


def test_workflows_along_the_documents_links_find_no_failure(
    stack: StackInfo, accounts: Accounts, tally: Tally
) -> None:
    # Given Schemathesis' state machine of the document: a created group's id flows, by the document's
    # links, into reads, messages, applications, decisions, updates, leaves and dismissals
    token = accounts("alice").token

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"base_url": stack.api_url, "headers": {"Authorization": token}}

        def before_call(self, case: schemathesis.Case) -> None:
            keep_the_described_rules(case)

        def after_call(self, response: requests.Response, case: schemathesis.Case) -> None:
            tally.add(case, response.status_code)

    # When it runs its scenarios, then every step passes every check (the run raises on the first failure)
    Workflow.run(
        settings=hypothesis.settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
    )
    assert any(label.startswith("POST /api/v1/chatgroup/create") for label in tally.statuses)


BODY_OPERATIONS = [("POST", "/api/v1/chatgroup/create"), ("PUT", "/api/v1/chatgroup/put")]
BODY_OPERATIONS += [("DELETE", "/api/v1/chatgroup/delete"), ("POST", "/api/v1/inbox/create")]
BODY_OPERATIONS += [("DELETE", "/api/v1/inbox/delete")]
VALID_BODIES = [
    {"name": "Crew", "capacity": 4, "memberlist": "bob;carol"},
    {"type": "update", "chatgroup_id": "0f8b", "attrs": {"name": "Renamed", "capacity": 6}},
    {"type": "kickout", "chatgroup_id": "0f8b", "creator_id": "alice", "who_to_kick_out": "bob"},
    {"type": "invitation", "chatgroup_id": "0f8b", "who_to_invite": "dave", "message": "Come along"},
]


def is_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


NOT_JSON = st.one_of(
    st.sampled_from(VALID_BODIES)
    .map(lambda body: json.dumps(body).encode())
    .flatmap(lambda body: st.integers(0, len(body) - 1).map(lambda cut: body[:cut])),
    st.text(max_size=64).map(str.encode),
    st.binary(max_size=64),
).filter(lambda body: not is_json(body))
"""Truncated valid bodies (the empty one too), random text, random bytes: anything but JSON."""


@pytest.mark.parametrize(("method", "path"), BODY_OPERATIONS, ids=[f"{m} {p}" for m, p in BODY_OPERATIONS])
def test_a_body_that_is_not_json_is_refused_as_bad_input_and_changes_nothing(
    stack: StackInfo, accounts: Accounts, aws_snapshots: AwsSnapshots, tally: Tally, method: str, path: str
) -> None:
    operation = schema[path][method]
    headers = {"Authorization": accounts("alice").token, "Content-Type": "application/json"}
    before = aws_snapshots.take()

    @hypothesis.seed(FUZZ_SEED)
    @hypothesis.settings(
        max_examples=FUZZ_EXAMPLES, deadline=None, database=None, suppress_health_check=list(hypothesis.HealthCheck)
    )
    @hypothesis.given(body=NOT_JSON)
    def refused(body: bytes) -> None:
        response = requests.request(method, f"{stack.api_url}{path}", data=body, headers=headers, timeout=30)
        tally.add_malformed(operation.label, response.status_code)
        assert (response.status_code, response.json()["result"]) == (400, "fail"), body
        operation.Case(media_type="application/json").validate_response(response, checks=RESPONSE_CHECKS)

    refused()
    assert not aws_snapshots.take().changes_since(before)


def test_the_snapshot_sees_every_change_a_request_makes(accounts: Accounts, aws_snapshots: AwsSnapshots) -> None:
    # Given alice's group and a snapshot of the stack about it
    alice = accounts("alice")
    group = alice.create_group(memberlist="bob")["chatgroup_id"]
    before = aws_snapshots.take([group])

    # When she renames it (no item added or removed), then creates another group (items and a queue added)
    assert alice.call(
        "PUT", "/api/v1/chatgroup/put", {"type": "update", "chatgroup_id": group, "attrs": {"name": "X"}}
    ).ok
    renamed = aws_snapshots.take([group])
    alice.create_group()

    # Then each snapshot tells the change from the one before
    assert any(change.startswith("+ item ChatgroupTable") for change in renamed.changes_since(before))
    grown = aws_snapshots.take([group]).changes_since(renamed)
    assert "ChatgroupTable: " in grown[0]
    assert any(change.startswith("+ queue chatgroup-") for change in grown)
