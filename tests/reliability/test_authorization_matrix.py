"""Who may do what: every route and variant, called by every kind of caller, over HTTP, from a known state.

A row's cells start from a world made through the API: `creator`'s live group with `member`
in it, `applicant`'s pending application, `invitee`'s pending invitation (from the creator) and
`friend`'s (from `member`, who is the inviter of the withdraw/revoke rows; `friend` never
calls); `kicked` was a member and was kicked out of it, and `banned` is banned (a non-member
ban). A refused request changes nothing (test_fuzz.py checks that of every refusal), so the
cells of a row share its world until one succeeds: the next cell gets a new world, and no
cell sees another's effects. Three groups that no request of the matrix can change are made
once per stack and checked unchanged at the end: one `creator` dismissed with `dismissed` in
it, `outsider`'s group with a pending application of `applicant`, and a full group of
`creator` and `member`.

Columns are who calls. The group a request names is the caller's: the live group, or for
the user of a dismissed group, that dismissed group. Rows whose request names a payload user
other than the caller (who_leave, creator_id) are refused with 403 before any group is read,
so they answer 403 even about a dismissed group: the request is forbidden whatever the group.

A stack runs its cells one after another: the local stack can mix up two functions'
requests that run at the same time (see test_local_stack.py), and the matrix is about
rules, not races. The rows are spread over a few stacks that run side by side.
"""

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from devstack.template import ROOT
from tests.e2e.conftest import StackProcess
from tests.reliability.conftest import Accounts, Caller, stop

REPORT = Path(os.environ.get("MATRIX_REPORT") or ROOT / ".local" / "reliability" / "authorization-matrix.txt")
STACKS = 3
PUT = "/api/v1/chatgroup/put"
DELETE = "/api/v1/chatgroup/delete"
INBOX_CREATE = "/api/v1/inbox/create"
INBOX_DELETE = "/api/v1/inbox/delete"

SIGNED_IN = ("stranger", "member", "creator", "applicant", "invitee", "kicked", "dismissed", "banned")
"""The kinds of caller with a token; each is also the name of the user who plays it."""
COLUMNS = ("no token", "invalid token", *SIGNED_IN)
TITLES = {"kicked": "kicked out", "dismissed": "of dismissed"}


@dataclass(frozen=True)
class World:
    """The groups and pending messages a cell starts from."""

    dismissed: str
    other: str
    """outsider's group, with a pending application of the applicant."""
    full: str
    group: str = ""
    application: str = ""
    """The applicant's pending application, in the creator's inbox."""
    invitation: str = ""
    """The invitee's pending invitation from the creator, in the invitee's inbox."""


@dataclass(frozen=True)
class Cell:
    world: World
    column: str

    @property
    def target(self) -> str:
        """The group the caller's request is about: their live group, or the dismissed one they were in."""
        return self.world.dismissed if self.column == "dismissed" else self.world.group


Request = Callable[[Cell], tuple[str, str, dict[str, Any] | None]]


@dataclass(frozen=True)
class Row:
    name: str
    request: Request
    expected: dict[str, int]


def row(name: str, request: Request, *statuses: int, banned: int | None = None) -> Row:
    """A route or variant: its request, and the expected status for each kind of caller in SIGNED_IN's order.

    The banned user is, to a group, a stranger whom it refuses to let in: the stranger's status unless `banned`.
    """
    assert len(statuses) == len(SIGNED_IN) - 1, name
    unsigned = {"no token": 401, "invalid token": 401}
    expected = dict(zip(SIGNED_IN, (*statuses, statuses[0] if banned is None else banned), strict=True))
    return Row(name, request, unsigned | expected)


def get(path: str) -> Request:
    return lambda cell: ("GET", path.format(target=cell.target), None)


def put(kind: str, **fields: Any) -> Request:
    """A PUT about the caller's group; a callable field is computed from the cell."""
    return lambda cell: ("PUT", PUT, {"type": kind, "chatgroup_id": cell.target} | resolved(fields, cell))


def delete(kind: str, **fields: Any) -> Request:
    return lambda cell: ("DELETE", DELETE, {"type": kind, "chatgroup_id": cell.target} | resolved(fields, cell))


def apply(group: Callable[[Cell], str]) -> Request:
    return lambda cell: ("POST", INBOX_CREATE, {"type": "application", "chatgroup_id": group(cell)})


def invite(invitee: Callable[[Cell], str]) -> Request:
    return lambda cell: (
        "POST",
        INBOX_CREATE,
        {"type": "invitation", "chatgroup_id": cell.target, "who_to_invite": invitee(cell)},
    )


def withdraw() -> Request:
    return lambda cell: ("DELETE", INBOX_DELETE, {"type": "application", "chatgroup_id": cell.target})


def revoke(invitee: str) -> Request:
    return lambda cell: (
        "DELETE",
        INBOX_DELETE,
        {"type": "invitation", "chatgroup_id": cell.target, "who_to_invite": invitee},
    )


def resolved(fields: dict[str, Any], cell: Cell) -> dict[str, Any]:
    return {name: value(cell) if callable(value) else value for name, value in fields.items()}


def the_caller(cell: Cell) -> str:
    return cell.column


def another_member(cell: Cell) -> str:
    return "creator" if cell.column == "member" else "member"


def the_other_group(cell: Cell) -> str:
    return cell.world.other


# fmt: off
ROWS = [
    # Expected status for: stranger, member, creator, applicant, invitee, kicked out, of a dismissed group
    # (and banned: the stranger's, unless `banned=` says otherwise).
    row("create", lambda c: ("POST", "/api/v1/chatgroup/create", {"name": "Matrix", "capacity": 3}),
        200, 200, 200, 200, 200, 200, 200),
    row("get", get("/api/v1/chatgroup/get/{target}"),
        200, 200, 200, 200, 200, 200, 404),
    row("put application accept", put("application", choice="accept", who_apply="applicant"),
        403, 403, 200, 403, 403, 403, 404),
    row("put application deny", put("application", choice="deny", who_apply="applicant"),
        403, 403, 200, 403, 403, 403, 404),
    row("  who_apply: a user who did not apply", put("application", choice="accept", who_apply="stranger"),
        403, 403, 404, 403, 403, 403, 404),
    row("  inbox_message_id: the invitee's message",
        put("application", choice="accept", who_apply="applicant", inbox_message_id=lambda c: c.world.invitation),
        403, 403, 404, 403, 403, 403, 404),
    row("  chatgroup_id: another group's",
        put("application", choice="accept", who_apply="applicant", chatgroup_id=the_other_group),
        403, 403, 403, 403, 403, 403, 403),
    row("put invitation accept", put("invitation", choice="accept", who_invite="creator"),
        404, 404, 404, 404, 200, 404, 404, banned=403),
    row("put invitation deny", put("invitation", choice="deny", who_invite="creator"),
        404, 404, 404, 404, 200, 404, 404),
    row("  who_invite: a member who did not invite", put("invitation", choice="accept", who_invite="member"),
        404, 404, 404, 404, 404, 404, 404, banned=403),
    row("  inbox_message_id: the applicant's message",
        put("invitation", choice="accept", who_invite="creator", inbox_message_id=lambda c: c.world.application),
        404, 404, 404, 404, 404, 404, 404, banned=403),
    row("  chatgroup_id: another group's",
        put("invitation", choice="accept", who_invite="outsider", chatgroup_id=the_other_group),
        404, 404, 404, 404, 404, 404, 404),
    row("put leave", put("leave", who_leave=the_caller),
        404, 200, 409, 404, 404, 404, 404),
    row("  who_leave: another member", put("leave", who_leave=another_member),
        403, 403, 403, 403, 403, 403, 403),
    row("put update", put("update", attrs={"name": "Renamed"}),
        403, 403, 200, 403, 403, 403, 404),
    row("  capacity: below the member count", put("update", attrs={"capacity": 1}),
        403, 403, 409, 403, 403, 403, 404),
    row("delete dismiss", delete("dismiss", creator_id=the_caller),
        403, 403, 200, 403, 403, 403, 404),
    row("  creator_id: the creator", delete("dismiss", creator_id="creator"),
        403, 403, 200, 403, 403, 403, 403),
    row("delete kickout", delete("kickout", who_to_kick_out="member"),
        403, 403, 200, 403, 403, 403, 404),
    row("  creator_id: the creator", delete("kickout", who_to_kick_out="member", creator_id="creator"),
        403, 403, 200, 403, 403, 403, 403),
    row("  who_to_kick_out: a non-member", delete("kickout", who_to_kick_out="stranger"),
        403, 403, 404, 403, 403, 403, 404),
    row("  who_to_kick_out: the creator", delete("kickout", who_to_kick_out="creator"),
        403, 403, 409, 403, 403, 403, 404),
    row("delete ban", delete("ban", who_to_ban="member"),
        403, 403, 200, 403, 403, 403, 404),
    row("  creator_id: the creator", delete("ban", who_to_ban="member", creator_id="creator"),
        403, 403, 200, 403, 403, 403, 403),
    row("  who_to_ban: a non-member", delete("ban", who_to_ban="stranger"),
        403, 403, 200, 403, 403, 403, 404),
    row("  who_to_ban: the creator", delete("ban", who_to_ban="creator"),
        403, 403, 409, 403, 403, 403, 404),
    row("put unban", put("unban", who_to_unban="banned"),
        403, 403, 200, 403, 403, 403, 404),
    row("  who_to_unban: a user not banned", put("unban", who_to_unban="stranger"),
        403, 403, 404, 403, 403, 403, 404),
    row("put transfer", put("transfer", new_creator="member"),
        403, 403, 200, 403, 403, 403, 404),
    row("  new_creator: a non-member", put("transfer", new_creator="stranger"),
        403, 403, 404, 403, 403, 403, 404),
    row("  new_creator: the caller", put("transfer", new_creator=the_caller),
        403, 403, 409, 403, 403, 403, 404),
    row("chatgroup bans", get("/api/v1/chatgroup/{target}/bans"),
        403, 403, 200, 403, 403, 403, 404),
    row("inbox create application", apply(lambda c: c.target),
        200, 409, 409, 409, 200, 200, 404, banned=403),
    row("  chatgroup_id: a full group's", apply(lambda c: c.world.full),
        409, 409, 409, 409, 409, 409, 409),
    row("inbox create invitation", invite(lambda c: "guest"),
        403, 200, 200, 403, 403, 403, 404),
    row("  who_to_invite: another member", invite(another_member),
        403, 409, 409, 403, 403, 403, 404),
    row("  who_to_invite: already invited", invite(lambda c: "invitee"),
        403, 409, 409, 403, 403, 403, 404),
    row("  who_to_invite: the caller", invite(the_caller),
        403, 409, 409, 403, 403, 403, 404),
    row("  who_to_invite: a banned user", invite(lambda c: "banned"),
        403, 403, 403, 403, 403, 403, 404),
    row("inbox get", get("/api/v1/inbox/get"),
        200, 200, 200, 200, 200, 200, 200),
    row("inbox delete application (withdraw)", withdraw(),
        404, 404, 404, 200, 404, 404, 404),
    row("inbox delete invitation: member's (revoke)", revoke("friend"),
        403, 200, 200, 403, 403, 403, 404),
    row("inbox delete invitation: creator's (revoke)", revoke("invitee"),
        403, 403, 200, 403, 403, 403, 404),
    row("  who_to_invite: nobody invited", revoke("guest"),
        404, 404, 404, 404, 404, 404, 404),
    row("inbox sent", get("/api/v1/inbox/sent"),
        200, 200, 200, 200, 200, 200, 200),
    row("chatgroup mine", get("/api/v1/chatgroup/mine"),
        200, 200, 200, 200, 200, 200, 200),
    row("chatgroup list", get("/api/v1/chatgroup/list?eventid=matrix"),
        200, 200, 200, 200, 200, 200, 200),
]
# fmt: on


def shared_world(accounts: Accounts) -> World:
    """The groups no request of the matrix can change: made once, checked unchanged at the end."""
    creator = accounts("creator")
    dismissed = creator.create_group(name="Gone", capacity=5, memberlist="dismissed")["chatgroup_id"]
    dismiss = {"type": "dismiss", "chatgroup_id": dismissed, "creator_id": "creator"}
    assert creator.call("DELETE", DELETE, dismiss).status_code == 200
    other = accounts("outsider").create_group(name="Elsewhere", capacity=5)["chatgroup_id"]
    accounts("applicant").send("application", other)
    full = creator.create_group(name="Full", capacity=2, memberlist="member")["chatgroup_id"]
    return World(dismissed=dismissed, other=other, full=full)


def assert_unchanged(accounts: Accounts, shared: World) -> None:
    outsider, creator = accounts("outsider"), accounts("creator")
    assert creator.group(shared.dismissed).status_code == 404
    assert outsider.members(shared.other) == ["outsider"]
    assert [(m["type"], m["from"]) for m in outsider.inbox_about(shared.other)] == [("application", "applicant")]
    assert creator.members(shared.full) == ["creator", "member"]


def own_world(accounts: Accounts, shared: World) -> World:
    """The state a row's cells start from, made through the API as its users would make it."""
    creator = accounts("creator")
    group = creator.create_group(name="Matrix", capacity=5, memberlist="member;kicked", eventid="matrix")[
        "chatgroup_id"
    ]
    kickout = {"type": "kickout", "chatgroup_id": group, "who_to_kick_out": "kicked"}
    assert creator.call("DELETE", DELETE, kickout).status_code == 200
    ban = {"type": "ban", "chatgroup_id": group, "who_to_ban": "banned"}
    assert creator.call("DELETE", DELETE, ban).status_code == 200
    accounts("member").send("invitation", group, who_to_invite="friend")
    return replace(
        shared,
        group=group,
        application=accounts("applicant").send("application", group, message="Let me in"),
        invitation=creator.send("invitation", group, who_to_invite="invitee"),
    )


def caller(accounts: Accounts, column: str) -> Caller:
    if column == "no token":
        return accounts.anonymous()
    if column == "invalid token":
        return accounts.forged("stranger")
    return accounts(column)


def answers_on(accounts: Accounts, rows: list[int]) -> dict[tuple[int, str], int]:
    """The rows' answers from one stack, one cell at a time, its shared groups checked unchanged at the end."""
    accounts.sign_up(*SIGNED_IN, "outsider")
    shared = shared_world(accounts)
    answers = {}
    for index in rows:
        world = None
        for column in COLUMNS:
            world = world or own_world(accounts, shared)
            method, path, body = ROWS[index].request(Cell(world=world, column=column))
            answers[index, column] = status = caller(accounts, column).call(method, path, body).status_code
            if 200 <= status < 300:
                world = None
    assert_unchanged(accounts, shared)
    return answers


def render(answers: dict[tuple[int, str], int]) -> str:
    """The matrix as a table: the expected status of each cell, `expected!answered` where they differ."""
    width = max(len(r.name) for r in ROWS) + 2
    header = f"{'route / variant':<{width}}" + "".join(f"{TITLES.get(c, c):>14}" for c in COLUMNS)
    lines = [header, "-" * len(header)]
    for index, r in enumerate(ROWS):
        shown = [
            f"{r.expected[c]}" if answers[index, c] == r.expected[c] else f"{r.expected[c]}!{answers[index, c]}"
            for c in COLUMNS
        ]
        lines.append(f"{r.name:<{width}}" + "".join(f"{cell:>14}" for cell in shown))
    wrong = sum(answers[index, c] != r.expected[c] for index, r in enumerate(ROWS) for c in COLUMNS)
    lines.append(f"{len(ROWS)} routes and variants x {len(COLUMNS)} callers = {len(answers)} cells, {wrong} wrong")
    lines.append("A cell shows the expected status, or expected!answered where the API answered otherwise.")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def stacks(start_stack: Callable[..., StackProcess]) -> Iterator[list[Accounts]]:
    processes = [start_stack() for _ in range(STACKS)]
    yield [Accounts(process.wait_until_ready()) for process in processes]
    stop(*processes)


def test_every_route_answers_every_kind_of_caller_as_the_rules_say(stacks: list[Accounts]) -> None:
    # Given, for each row, a world of its own; when each cell's caller sends its row's request
    rows = list(range(len(ROWS)))
    with ThreadPoolExecutor(max_workers=len(stacks)) as pool:
        parts = pool.map(answers_on, stacks, [rows[part :: len(stacks)] for part in range(len(stacks))])
        answers = {cell: status for part in parts for cell, status in part.items()}

    # Then every status is the one the rules give
    matrix = render(answers)
    print(f"\n{matrix}")
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(matrix + "\n")
    wrong = [
        f"{ROWS[index].name.strip()} / {column}: expected {ROWS[index].expected[column]}, got {status}"
        for (index, column), status in answers.items()
        if status != ROWS[index].expected[column]
    ]
    assert not wrong, "\n".join(wrong)
