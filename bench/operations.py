"""AWS calls per operation: a scripted flow through the handlers, each step beside the fewest calls it needs.

A minimum is the fewest AWS calls that can produce the operation's documented effects with
the current tables, taking the contract's answer (e.g. the queue ARN on accept) and the
membership notices (queue message, inbox notice) as required. Calls above it are listed
with the reason the bench knows for them.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.awscalls import Call, Recorder
from bench.stack import Api

CREATE = "/api/v1/chatgroup/create"
GET = "/api/v1/chatgroup/get/{chatgroup_id}"
PUT = "/api/v1/chatgroup/put"
DELETE = "/api/v1/chatgroup/delete"
INBOX_CREATE = "/api/v1/inbox/create"
INBOX_GET = "/api/v1/inbox/get"
MINE = "/api/v1/chatgroup/mine"
BY_EVENT = "/api/v1/chatgroup/list"
MESSAGES = "/api/v1/chatgroup/{chatgroup_id}/messages"
EVENT_ID = "bench-event"


@dataclass(frozen=True)
class Minimum:
    calls: tuple[str, ...]
    why: str


_ACCEPT = Minimum(
    ("dynamodb.GetItem", "dynamodb.TransactWriteItems"),
    "read the group (its queue ARN is the answer, its seq the notice's); counter, membership, pending message, "
    "the sender's inbox notice and the timeline's 'joined' notice in one transaction (the notifier sends it "
    "to the queue from the stream)",
)
_REMOVE = (
    "read the group (its seq, which the removal notice takes); the membership delete, the counter update "
    "({who} by its condition) and the timeline notice, which the notifier sends to the queue from the stream, "
    "in one transaction"
)

MINIMUMS: dict[str, Minimum] = {
    "create": Minimum(
        ("sqs.CreateQueue", "dynamodb.TransactWriteItems"),
        "the queue first (the group records its ARN, derived from the URL), then the group and its members "
        "in one transaction",
    ),
    "create, Idempotency-Key": Minimum(
        (
            "dynamodb.PutItem",
            "sqs.CreateQueue",
            "dynamodb.TransactWriteItems",
            "dynamodb.UpdateItem",
        ),
        "as create, between claiming the key (a conditional put of the idempotency record) and storing the "
        "response in that record",
    ),
    "create, replayed key": Minimum(
        ("dynamodb.PutItem",),
        "the key's claim fails and returns the stored record (ReturnValuesOnConditionCheckFailure): nothing "
        "else is needed to answer",
    ),
    "get": Minimum(("dynamodb.GetItem", "dynamodb.Query"), "the group item, then its members from their own table"),
    "apply": Minimum(
        ("dynamodb.GetItem", "dynamodb.TransactWriteItems"),
        "read the group (the creator is the recipient); checks (live, room, not a member) and the message "
        "in one transaction",
    ),
    "accept": _ACCEPT,
    "deny": Minimum(
        ("dynamodb.TransactWriteItems",),
        "the pending message sits in the caller's own inbox under a key naming group and applicant, so a "
        "conditional delete of it (with the sender's notice, one transaction) is the whole check",
    ),
    "invite": Minimum(
        ("dynamodb.TransactWriteItems",),
        "checks (group live, inviter a member, invitee not) and the message in one transaction; nothing "
        "needs reading first",
    ),
    "accept invitation": _ACCEPT,
    "leave": Minimum(("dynamodb.GetItem", "dynamodb.TransactWriteItems"), _REMOVE.format(who="the creator excluded")),
    "kickout": Minimum(("dynamodb.GetItem", "dynamodb.TransactWriteItems"), _REMOVE.format(who="creator-only")),
    "update": Minimum(
        ("dynamodb.GetItem", "dynamodb.TransactWriteItems"),
        "read the group (its timeline's seq); the conditional update (creator, live, capacity not below the "
        "members, seq unchanged) and the timeline notice in one transaction (the notifier sends it to the "
        "queue from the stream)",
    ),
    "send": Minimum(
        ("dynamodb.GetItem", "dynamodb.TransactWriteItems"),
        "read the group (its seq); the message at the next seq, the seq's move, the sender's membership check, "
        "the send-rate count and the client_msg_id's claim in one transaction",
    ),
    "send, resent client_msg_id": Minimum(
        ("dynamodb.GetItem", "dynamodb.TransactWriteItems"),
        "as send: the claim refuses the transaction and returns the first send's answer with the cancellation "
        "(ReturnValuesOnConditionCheckFailure), so nothing is read to answer",
    ),
    "inbox list": Minimum(("dynamodb.Query",), "one page of the caller's inbox"),
    "list mine": Minimum(
        ("dynamodb.Query", "dynamodb.BatchGetItem"), "the caller's memberships, then their groups in one batch"
    ),
    "list event": Minimum(("dynamodb.Query",), "one page of the event's groups (the index projects them whole)"),
    "dismiss": Minimum(
        (
            "dynamodb.GetItem",
            "dynamodb.Query",
            "dynamodb.TransactWriteItems",
            "dynamodb.Query",
            "dynamodb.BatchWriteItem",
            "dynamodb.TransactWriteItems",
            "sqs.DeleteQueue",
            "dynamodb.DeleteItem",
        ),
        "read the group (its seq, which the dismissal notice takes) and list the members, then mark it "
        "dismissed with the timeline notice naming them and give the creator's quota slot back (one "
        "transaction); list pending messages; the members' removal and their notices (one batch per 25 items); "
        "the pending messages with their senders' quota slots (one transaction per 100); delete the queue, then "
        "the group",
    ),
}

EXTRA_REASONS: dict[str, str] = {
    "dynamodb.GetItem": "deny and invite read the group first (access.load_group) for an early 404/403 and the "
    "creator; the write's own conditions enforce the rules (refusal_of explains a refusal after the fact). A "
    "create reads the caller's quota item first, so that a user at the limit is refused before a queue is made; "
    "an accept and a kickout read the pending invitation, whose sender's quota slot goes back with it",
    "dynamodb.Query": "a dismissal lists the members twice: for the mark's notice, and again for the cleanup",
    "dynamodb.BatchGetItem": "a dismissal reads the pending messages' senders, whose quota slots it gives back",
    "dynamodb.BatchWriteItem": "the notices and the members' removal each get their own batch_write, so a "
    "small group pays two BatchWriteItem where one batch of at most 25 items would do",
    "dynamodb.TransactWriteItems": "a transaction retried after a TransactionConflict (db.Transaction.commit)",
}


@dataclass
class OperationResult:
    name: str
    calls: list[Call]
    minimum: Minimum
    extras: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.calls)

    @property
    def wcu(self) -> int:
        return sum(write.total for call in self.calls for write in call.writes)

    def as_dict(self) -> dict[str, Any]:
        return {
            "operation": self.name,
            "calls": self.count,
            "minimum": len(self.minimum.calls),
            "made": [call.label for call in self.calls],
            "attempts": sum(call.attempts for call in self.calls),
            "wcu": self.wcu,
            "minimum_reasoning": self.minimum.why,
            "above_minimum": self.extras,
        }


def extras(calls: list[Call], minimum: Minimum) -> list[str]:
    """Each call above the minimum, with the reason the bench knows for it."""
    surplus = Counter(f"{call.service}.{call.operation}" for call in calls) - Counter(minimum.calls)
    return [
        f"+{count} {name}: {EXTRA_REASONS.get(name, 'not explained by the bench: new since it was written')}"
        for name, count in sorted(surplus.items())
    ]


class _Flow:
    """The scripted flow: each measured step is the one request of that operation, setup steps go uncounted."""

    def __init__(self, api: Api, recorder: Recorder) -> None:
        self.api = api
        self.recorder = recorder
        self.results: list[OperationResult] = []

    def step(self, name: str, request: Callable[[], Any]) -> Any:
        """Send one request with its AWS calls counted under `name`; its answer feeds the next steps."""
        with self.recorder.operation() as calls:
            answer = request()
        result = OperationResult(name, list(calls), MINIMUMS[name])
        result.extras = extras(result.calls, result.minimum)
        self.results.append(result)
        return answer


def run_flow(api: Api, recorder: Recorder) -> list[OperationResult]:
    """alice creates a group with bob; carol applies and is accepted, dave is denied; bob invites erin, who
    accepts; the inbox is listed; carol leaves, bob is kicked out, the group is updated, erin sends a message
    and resends it, then the group is dismissed."""
    flow = _Flow(api, recorder)
    ok = api.ok
    body = {"name": "Bench crew", "capacity": 10, "memberlist": "bob", "eventid": EVENT_ID}
    group = flow.step("create", lambda: ok("POST", CREATE, "alice", body))["chatgroup_id"]
    retry_safe = {"Idempotency-Key": "bench-create-1"}
    flow.step("create, Idempotency-Key", lambda: ok("POST", CREATE, "zoe", body, headers=retry_safe))
    flow.step("create, replayed key", lambda: ok("POST", CREATE, "zoe", body, headers=retry_safe))
    flow.step("get", lambda: ok("GET", GET.format(chatgroup_id=group), "bob"))
    apply = {"type": "application", "chatgroup_id": group, "message": "Can I join?"}
    flow.step("apply", lambda: ok("POST", INBOX_CREATE, "carol", apply))
    decision = {"type": "application", "chatgroup_id": group}
    flow.step("accept", lambda: ok("PUT", PUT, "alice", decision | {"choice": "accept", "who_apply": "carol"}))
    ok("POST", INBOX_CREATE, "dave", apply)
    flow.step("deny", lambda: ok("PUT", PUT, "alice", decision | {"choice": "deny", "who_apply": "dave"}))
    invite = {"type": "invitation", "chatgroup_id": group, "who_to_invite": "erin"}
    flow.step("invite", lambda: ok("POST", INBOX_CREATE, "bob", invite))
    accept = {"type": "invitation", "choice": "accept", "chatgroup_id": group, "who_invite": "bob"}
    flow.step("accept invitation", lambda: ok("PUT", PUT, "erin", accept))
    flow.step("inbox list", lambda: ok("GET", INBOX_GET, "alice", query={"limit": "20"}))
    if api.has_route("GET", MINE):
        flow.step("list mine", lambda: ok("GET", MINE, "erin", query={"limit": "20"}))
    if api.has_route("GET", BY_EVENT):
        flow.step("list event", lambda: ok("GET", BY_EVENT, "erin", query={"eventid": EVENT_ID, "limit": "20"}))
    flow.step("leave", lambda: ok("PUT", PUT, "carol", {"type": "leave", "chatgroup_id": group, "who_leave": "carol"}))
    kick = {"type": "kickout", "chatgroup_id": group, "creator_id": "alice", "who_to_kick_out": "bob"}
    flow.step("kickout", lambda: ok("DELETE", DELETE, "alice", kick))
    update = {"type": "update", "chatgroup_id": group, "attrs": {"name": "Back row crew", "capacity": 12}}
    flow.step("update", lambda: ok("PUT", PUT, "alice", update))
    message = {"text": "See you at the front!", "client_msg_id": "bench-1"}
    messages = MESSAGES.format(chatgroup_id=group)
    if api.has_route("POST", MESSAGES):
        flow.step("send", lambda: ok("POST", messages, "erin", message))
        flow.step("send, resent client_msg_id", lambda: ok("POST", messages, "erin", message))
    ok("POST", INBOX_CREATE, "frank", apply)
    dismiss = {"type": "dismiss", "chatgroup_id": group, "creator_id": "alice"}
    flow.step("dismiss", lambda: ok("DELETE", DELETE, "alice", dismiss))
    return flow.results
