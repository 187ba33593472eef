"""Races: requests that contend for the same group at the same moment keep every rule.

Each race is written once and run two ways:
- `direct`: the domain functions on threads against the embedded AWS, where their requests
  interleave in any order, each applied atomically as DynamoDB applies it (devstack.faithful_aws);
- `http`: real requests to the local stack, sent at once. The local stack handles one event
  at a time across all functions (see test_local_stack.py for why), so there whole requests
  interleave, in the order they arrive; the `direct` runs interleave the AWS calls within them.

Every thread waits at a barrier and fires with the others; every call has a timeout.
"""

import os
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import pytest
import requests

from chatgroup import groups, inbox, membership, moderation
from chatgroup.errors import ChatgroupError
from chatgroup.models import Chatgroup, InboxMessage, Membership, is_pending, pending_key
from chatgroup.schemas import (
    ApplicationDecision,
    ApplicationMessageRequest,
    BanRequest,
    ChatgroupChanges,
    CreateChatgroupRequest,
    InvitationDecision,
    InvitationMessageRequest,
    KickoutRequest,
    LeaveRequest,
    TransferRequest,
)
from devstack.aws import dynamodb
from devstack.stackfile import StackInfo
from devstack.template import ROOT
from tests.reliability.conftest import Accounts

CALL_SECONDS = 60
REPORT = Path(os.environ.get("RACES_REPORT") or ROOT / ".local" / "reliability" / "races.txt")
ROUNDS = 3


@dataclass(frozen=True)
class Counters:
    member_count: int
    capacity: int


@dataclass(frozen=True, order=True)
class Notice:
    """An inbox notice about a group: who got it, what it says, who it is from."""

    recipient: str
    type: str
    sender: str


class Api(Protocol):
    """What a race does, answered as HTTP statuses, and what the tables hold afterwards."""

    name: str

    def create(self, creator: str, capacity: int, members: Sequence[str] = ()) -> str: ...
    def apply(self, user: str, group: str) -> int: ...
    def invite(self, inviter: str, group: str, invitee: str) -> int: ...
    def accept_application(self, creator: str, group: str, applicant: str) -> int: ...
    def accept_invitation(self, invitee: str, group: str, inviter: str) -> int: ...
    def leave(self, user: str, group: str) -> int: ...
    def kick_out(self, creator: str, group: str, user: str) -> int: ...
    def set_capacity(self, creator: str, group: str, capacity: int) -> int: ...
    def dismiss(self, creator: str, group: str) -> int: ...
    def ban(self, creator: str, group: str, user: str) -> int: ...
    def transfer(self, creator: str, group: str, new_creator: str) -> int: ...

    def creator(self, group: str) -> str:
        """The group item's creator."""

    def sign_up(self, *users: str) -> None:
        """Make the users known before a race."""

    def get_ready(self) -> None:
        """Prepare the calling thread to call at once with others."""

    def counters(self, group: str) -> Counters | None:
        """The group item's counter and capacity; None once the item is gone."""

    def members(self, group: str) -> set[str]:
        """The users with a membership item of the group."""

    def pending(self, group: str) -> list[str]:
        """The keys of the pending applications and invitations about the group, in every inbox."""

    def notices(self, group: str) -> list[Notice]:
        """The notices about the group, in every inbox, sorted."""


def status_of(call: Callable[[], object]) -> int:
    try:
        call()
    except ChatgroupError as refused:
        return int(refused.status)
    return 200


class DomainApi:
    """The domain functions, called as the handlers call them, against the embedded AWS."""

    name = "direct"

    def sign_up(self, *users: str) -> None:
        return None

    def get_ready(self) -> None:
        return None

    def create(self, creator: str, capacity: int, members: Sequence[str] = ()) -> str:
        request = CreateChatgroupRequest(name="Race", capacity=capacity, memberlist=list(members))
        return groups.create_chatgroup(creator, request).chatgroup_id

    def apply(self, user: str, group: str) -> int:
        return status_of(
            lambda: inbox.send_application(user, ApplicationMessageRequest(type="application", chatgroup_id=group))
        )

    def invite(self, inviter: str, group: str, invitee: str) -> int:
        request = InvitationMessageRequest(type="invitation", chatgroup_id=group, who_to_invite=invitee)
        return status_of(lambda: inbox.send_invitation(inviter, request))

    def accept_application(self, creator: str, group: str, applicant: str) -> int:
        decision = ApplicationDecision(type="application", choice="accept", chatgroup_id=group, who_apply=applicant)
        return status_of(lambda: membership.decide(creator, decision))

    def accept_invitation(self, invitee: str, group: str, inviter: str) -> int:
        decision = InvitationDecision(type="invitation", choice="accept", chatgroup_id=group, who_invite=inviter)
        return status_of(lambda: membership.decide(invitee, decision))

    def leave(self, user: str, group: str) -> int:
        return status_of(lambda: membership.leave(user, LeaveRequest(type="leave", chatgroup_id=group, who_leave=user)))

    def kick_out(self, creator: str, group: str, user: str) -> int:
        request = KickoutRequest(type="kickout", chatgroup_id=group, who_to_kick_out=user, creator_id=creator)
        return status_of(lambda: membership.kick_out(creator, request))

    def set_capacity(self, creator: str, group: str, capacity: int) -> int:
        return status_of(lambda: groups.update_chatgroup(creator, group, ChatgroupChanges(capacity=capacity)))

    def dismiss(self, creator: str, group: str) -> int:
        return status_of(lambda: groups.dismiss_chatgroup(creator, group, creator))

    def ban(self, creator: str, group: str, user: str) -> int:
        request = BanRequest(type="ban", chatgroup_id=group, who_to_ban=user, creator_id=creator)
        return status_of(lambda: membership.ban(creator, request))

    def transfer(self, creator: str, group: str, new_creator: str) -> int:
        request = TransferRequest(type="transfer", chatgroup_id=group, new_creator=new_creator)
        return status_of(lambda: moderation.transfer(creator, request))

    def creator(self, group: str) -> str:
        return str(Chatgroup.get(group, consistent_read=True).creator_id)

    def counters(self, group: str) -> Counters | None:
        try:
            item = Chatgroup.get(group, consistent_read=True)
        except Chatgroup.DoesNotExist:
            return None
        return Counters(member_count=int(item.member_count), capacity=int(item.capacity))

    def members(self, group: str) -> set[str]:
        return {item.user_id for item in Membership.query(group, consistent_read=True)}

    def pending(self, group: str) -> list[str]:
        scan = InboxMessage.scan(InboxMessage.chatgroup_id == group, consistent_read=True)
        return sorted(item.pending_key for item in scan if is_pending(item.pending_key))

    def notices(self, group: str) -> list[Notice]:
        scan = InboxMessage.scan(InboxMessage.chatgroup_id == group, consistent_read=True)
        return sorted(
            Notice(item.recipient_id, item.type, item.sender_id) for item in scan if not is_pending(item.pending_key)
        )


class HttpApi:
    """Requests to the local stack, each user with their own token; the tables read from its embedded AWS."""

    name = "http"

    def __init__(self, stack: StackInfo, accounts: Accounts) -> None:
        self._api_url = stack.api_url
        self._accounts = accounts
        self._dynamodb = dynamodb(stack.aws_endpoint_url)
        self._connection = threading.local()

    def sign_up(self, *users: str) -> None:
        self._accounts.sign_up(*users)

    def get_ready(self) -> None:
        """Open this thread's connection now: the local gateway's listen backlog is 5, so 50 connecting at once
        would be reset. A preflight reaches no function; the race's request then reuses the connection."""
        self._connection.session = requests.Session()
        self._connection.session.options(f"{self._api_url}/api/v1/inbox/get", timeout=CALL_SECONDS).raise_for_status()

    def _send(self, user: str, method: str, path: str, body: dict[str, Any]) -> int:
        caller = self._accounts(user)
        session = getattr(self._connection, "session", None)
        if session is None:
            return caller.call(method, path, body).status_code
        headers = {"Authorization": f"Bearer {caller.token}"}
        answer = session.request(method, f"{self._api_url}{path}", json=body, headers=headers, timeout=CALL_SECONDS)
        session.close()
        del self._connection.session
        return answer.status_code

    def create(self, creator: str, capacity: int, members: Sequence[str] = ()) -> str:
        return self._accounts(creator).create_group(name="Race", capacity=capacity, memberlist=list(members))[
            "chatgroup_id"
        ]

    def apply(self, user: str, group: str) -> int:
        return self._send(user, "POST", "/api/v1/inbox/create", {"type": "application", "chatgroup_id": group})

    def invite(self, inviter: str, group: str, invitee: str) -> int:
        body = {"type": "invitation", "chatgroup_id": group, "who_to_invite": invitee}
        return self._send(inviter, "POST", "/api/v1/inbox/create", body)

    def accept_application(self, creator: str, group: str, applicant: str) -> int:
        body = {"type": "application", "choice": "accept", "chatgroup_id": group, "who_apply": applicant}
        return self._send(creator, "PUT", "/api/v1/chatgroup/put", body)

    def accept_invitation(self, invitee: str, group: str, inviter: str) -> int:
        body = {"type": "invitation", "choice": "accept", "chatgroup_id": group, "who_invite": inviter}
        return self._send(invitee, "PUT", "/api/v1/chatgroup/put", body)

    def leave(self, user: str, group: str) -> int:
        return self._send(
            user, "PUT", "/api/v1/chatgroup/put", {"type": "leave", "chatgroup_id": group, "who_leave": user}
        )

    def kick_out(self, creator: str, group: str, user: str) -> int:
        body = {"type": "kickout", "chatgroup_id": group, "creator_id": creator, "who_to_kick_out": user}
        return self._send(creator, "DELETE", "/api/v1/chatgroup/delete", body)

    def set_capacity(self, creator: str, group: str, capacity: int) -> int:
        body = {"type": "update", "chatgroup_id": group, "attrs": {"capacity": capacity}}
        return self._send(creator, "PUT", "/api/v1/chatgroup/put", body)

    def dismiss(self, creator: str, group: str) -> int:
        body = {"type": "dismiss", "chatgroup_id": group, "creator_id": creator}
        return self._send(creator, "DELETE", "/api/v1/chatgroup/delete", body)

    def ban(self, creator: str, group: str, user: str) -> int:
        body = {"type": "ban", "chatgroup_id": group, "creator_id": creator, "who_to_ban": user}
        return self._send(creator, "DELETE", "/api/v1/chatgroup/delete", body)

    def transfer(self, creator: str, group: str, new_creator: str) -> int:
        body = {"type": "transfer", "chatgroup_id": group, "new_creator": new_creator}
        return self._send(creator, "PUT", "/api/v1/chatgroup/put", body)

    def creator(self, group: str) -> str:
        found = self._dynamodb.get_item(
            TableName="ChatgroupTable", Key={"chatgroup_id": {"S": group}}, ConsistentRead=True
        )
        return str(found["Item"]["creator_id"]["S"])

    def counters(self, group: str) -> Counters | None:
        found = self._dynamodb.get_item(
            TableName="ChatgroupTable", Key={"chatgroup_id": {"S": group}}, ConsistentRead=True
        )
        if "Item" not in found:
            return None
        item = found["Item"]
        return Counters(member_count=int(item["member_count"]["N"]), capacity=int(item["capacity"]["N"]))

    def members(self, group: str) -> set[str]:
        pages = self._dynamodb.get_paginator("query").paginate(
            TableName="MembershipTable",
            KeyConditionExpression="chatgroup_id = :group",
            ExpressionAttributeValues={":group": {"S": group}},
            ConsistentRead=True,
        )
        return {item["user_id"]["S"] for page in pages for item in page["Items"]}

    def pending(self, group: str) -> list[str]:
        return sorted(item["pending_key"]["S"] for item in self._inbox(group) if is_pending(item["pending_key"]["S"]))

    def notices(self, group: str) -> list[Notice]:
        return sorted(
            Notice(item["recipient_id"]["S"], item["type"]["S"], item["sender_id"]["S"])
            for item in self._inbox(group)
            if not is_pending(item["pending_key"]["S"])
        )

    def _inbox(self, group: str) -> list[dict[str, Any]]:
        """Every inbox message about the group."""
        pages = self._dynamodb.get_paginator("scan").paginate(
            TableName="InboxTable",
            FilterExpression="chatgroup_id = :group",
            ExpressionAttributeValues={":group": {"S": group}},
            ConsistentRead=True,
        )
        return [dict(item) for page in pages for item in page["Items"]]


@pytest.fixture
def api(request: pytest.FixtureRequest) -> Api:
    if request.param == "direct":
        request.getfixturevalue("aws")
        return DomainApi()
    return HttpApi(request.getfixturevalue("stack"), request.getfixturevalue("accounts"))


OUTCOMES: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def race_report() -> Iterator[None]:
    """Print, and write to REPORT, how each race's calls were answered."""
    yield
    report = "\n".join(["races: statuses of the calls sent at once", *OUTCOMES])
    print(f"\n{report}")
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(report + "\n")


def at_once(api: Api, calls: Sequence[Callable[[], int]]) -> list[int]:
    """Run every call on its own thread, all released together once ready; their statuses, in the calls' order."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], int]) -> int:
        api.get_ready()
        barrier.wait(CALL_SECONDS)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        statuses = list(pool.map(run, calls, timeout=CALL_SECONDS))
    race = os.environ.get("PYTEST_CURRENT_TEST", "").split("::")[-1].split(" ")[0]
    OUTCOMES.append(f"  {race:<100} {len(calls):>3} calls  {dict(sorted(Counter(statuses).items()))}")
    return statuses


def shuffled[T](items: Sequence[T], seed: int) -> list[T]:
    mixed = list(items)
    random.Random(seed).shuffle(mixed)
    return mixed


def pending_messages(group: str, applicants: Sequence[str], invitees: Sequence[str], excluding: set[str]) -> list[str]:
    """The keys of the applications and invitations of these users, but for those `excluding`."""
    keys = [pending_key("application", group, applicant) for applicant in applicants if applicant not in excluding]
    keys += [pending_key("invitation", group, invitee) for invitee in invitees if invitee not in excluding]
    return sorted(keys)


def acceptances(applicants: Sequence[str], invitees: Sequence[str], joined: set[str]) -> list[Notice]:
    """What the joins of `joined` told: each applicant hears from the creator, the creator from each invitee."""
    notices = [Notice(applicant, "application_accepted", "owner") for applicant in applicants if applicant in joined]
    notices += [Notice("owner", "invitation_accepted", invitee) for invitee in invitees if invitee in joined]
    return sorted(notices)


def answered_200(calls: Sequence[tuple[str, object]], statuses: Sequence[int]) -> set[str]:
    """The users whose call, of `calls` (user, call), was answered 200."""
    return {user for (user, _), status in zip(calls, statuses, strict=True) if status == 200}


BOTH = pytest.mark.parametrize("api", ["direct", "http"], indirect=True)


@BOTH
def test_fifty_accepts_at_once_fill_the_nine_free_places_of_a_group_of_ten_exactly(api: Api) -> None:
    # Given a group of capacity 10 whose creator is its only member, 25 applications and 25 invitations
    applicants = [f"applicant{index:02d}" for index in range(25)]
    invitees = [f"invitee{index:02d}" for index in range(25)]
    api.sign_up("owner", *applicants, *invitees)
    group = api.create("owner", capacity=10)
    assert {api.apply(applicant, group) for applicant in applicants} == {200}
    assert {api.invite("owner", group, invitee) for invitee in invitees} == {200}

    # When all 50 are accepted at once, by the creator and by the invitees
    accepts = [(applicant, partial(api.accept_application, "owner", group, applicant)) for applicant in applicants]
    accepts += [(invitee, partial(api.accept_invitation, invitee, group, "owner")) for invitee in invitees]
    accepts = shuffled(accepts, seed=50)
    statuses = at_once(api, [accept for _, accept in accepts])

    # Then exactly 9 joined, 41 were told the group is full, and the tables hold exactly what was answered:
    # the 9 answered 200 are the members, the 41 refused are still pending, and only the 9 joins were told
    assert Counter(statuses) == {200: 9, 409: 41}
    joined = answered_200(accepts, statuses)
    assert api.members(group) == {"owner"} | joined
    assert api.counters(group) == Counters(member_count=10, capacity=10)
    assert api.pending(group) == pending_messages(group, applicants, invitees, excluding=joined)
    assert api.notices(group) == acceptances(applicants, invitees, joined)


@BOTH
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_dismissal_racing_accepts_leaves_no_member_and_no_pending_message(api: Api, round_: int) -> None:
    # Given a group with 10 pending applications and 10 pending invitations
    applicants = [f"applicant{index:02d}" for index in range(10)]
    invitees = [f"invitee{index:02d}" for index in range(10)]
    api.sign_up("owner", *applicants, *invitees)
    group = api.create("owner", capacity=30)
    assert {api.apply(applicant, group) for applicant in applicants} == {200}
    assert {api.invite("owner", group, invitee) for invitee in invitees} == {200}

    # When the creator dismisses it while all 20 are being accepted
    accepts = [(applicant, partial(api.accept_application, "owner", group, applicant)) for applicant in applicants]
    accepts += [(invitee, partial(api.accept_invitation, invitee, group, "owner")) for invitee in invitees]
    calls = shuffled(accepts, seed=round_)
    dismissal = round_ * len(calls) // ROUNDS
    calls.insert(dismissal, ("owner", partial(api.dismiss, "owner", group)))
    statuses = at_once(api, [call for _, call in calls])

    # Then the dismissal went through; each accept joined before it or found the group gone; the group is
    # gone with every member and pending message of it, and each of the 20 was told of the dismissal
    assert statuses.pop(dismissal) == 200
    calls.pop(dismissal)
    assert set(statuses) <= {200, 404}
    assert api.counters(group) is None
    assert api.members(group) == set()
    assert api.pending(group) == []
    dismissed = [Notice(user, "dismissed", "owner") for user in [*applicants, *invitees]]
    assert api.notices(group) == sorted(acceptances(applicants, invitees, answered_200(calls, statuses)) + dismissed)


@BOTH
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_member_leaving_while_kicked_out_is_removed_once(api: Api, round_: int) -> None:
    # Given a member of a group
    api.sign_up("owner", "leaver", "stayer")
    group = api.create("owner", capacity=5, members=["leaver", "stayer"])

    # When they leave while the creator kicks them out
    calls = [partial(api.leave, "leaver", group), partial(api.kick_out, "owner", group, "leaver")]
    statuses = at_once(api, calls[round_ % 2 :] + calls[: round_ % 2])

    # Then one wins, the other finds no such member, and the counter went down once
    assert sorted(statuses) == [200, 404]
    assert api.members(group) == {"owner", "stayer"}
    assert api.counters(group) == Counters(member_count=2, capacity=5)


@BOTH
def test_the_same_application_sent_ten_times_at_once_is_pending_once(api: Api) -> None:
    api.sign_up("owner", "eager")
    group = api.create("owner", capacity=5)

    statuses = at_once(api, [partial(api.apply, "eager", group)] * 10)

    assert Counter(statuses) == {200: 1, 409: 9}
    assert api.pending(group) == [f"application#{group}#eager"]


@BOTH
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_lowering_the_capacity_while_members_join_never_puts_it_below_the_count(api: Api, round_: int) -> None:
    # Given a group of capacity 10 with 3 members and 7 pending applications
    applicants = [f"applicant{index:02d}" for index in range(7)]
    api.sign_up("owner", "first", "second", *applicants)
    group = api.create("owner", capacity=10, members=["first", "second"])
    assert {api.apply(applicant, group) for applicant in applicants} == {200}

    # When the creator lowers the capacity to 5, three times, while all 7 are accepted
    accepts = [(applicant, partial(api.accept_application, "owner", group, applicant)) for applicant in applicants]
    updates = [("owner", partial(api.set_capacity, "owner", group, 5)) for _ in range(3)]
    calls = shuffled([*accepts, *updates], seed=round_)
    statuses = at_once(api, [call for _, call in calls])
    kinds = ["update" if user == "owner" else "accept" for user, _ in calls]
    outcomes = list(zip(kinds, statuses, strict=True))

    # Then capacity never fell below the count: an update went through only while the count allowed it;
    # the applicants answered 200 are the new members, the others still pending, and only the joins were told
    final = api.counters(group)
    assert final is not None
    assert {status for _, status in outcomes} <= {200, 409}
    joined = answered_200(calls, statuses) - {"owner"}
    assert api.members(group) == {"owner", "first", "second"} | joined
    assert final.member_count == 3 + len(joined) <= final.capacity
    assert api.pending(group) == pending_messages(group, applicants, [], excluding=joined)
    assert api.notices(group) == acceptances(applicants, [], joined)
    updated = ("update", 200) in outcomes
    OUTCOMES.append(
        f"    of which capacity updates {dict(sorted(Counter(s for k, s in outcomes if k == 'update').items()))}, "
        f"joins {dict(sorted(Counter(s for k, s in outcomes if k == 'accept').items()))}: "
        f"capacity {final.capacity}, {final.member_count} members"
    )
    assert final.capacity == (5 if updated else 10)
    assert not updated or final.member_count <= 5, "a successful update's capacity is below the final count"


def in_order(calls: Sequence[Callable[[], int]], round_: int) -> list[Callable[[], int]]:
    """The calls rotated by the round, so that each round fires them in another order."""
    shift = round_ % len(calls)
    return [*calls[shift:], *calls[:shift]]


@BOTH
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_an_accept_by_the_creator_racing_their_transfer_is_decided_by_the_creator_of_that_moment(
    api: Api, round_: int
) -> None:
    # Given an application to owner's group, whose member heir is about to take it over
    api.sign_up("owner", "heir", "hopeful")
    group = api.create("owner", capacity=5, members=["heir"])
    assert api.apply("hopeful", group) == 200

    # When owner accepts the application while transferring the group to heir
    calls = [partial(api.accept_application, "owner", group, "hopeful"), partial(api.transfer, "owner", group, "heir")]
    statuses = at_once(api, in_order(calls, round_))
    accept, handover = statuses if round_ % 2 == 0 else statuses[::-1]

    # Then the transfer went through; the accept only if it committed first (else it is refused, the
    # application pending for heir); members, count and pending messages agree
    assert handover == 200
    assert api.creator(group) == "heir"
    assert accept in (200, 403, 404)
    joined = {"hopeful"} if accept == 200 else set()
    assert api.members(group) == {"owner", "heir"} | joined
    assert api.counters(group) == Counters(member_count=2 + len(joined), capacity=5)
    assert api.pending(group) == ([] if joined else [pending_key("application", group, "hopeful")])


@BOTH
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_the_new_creator_leaving_while_the_group_is_handed_to_them_never_leaves_it_without_a_member_creator(
    api: Api, round_: int
) -> None:
    api.sign_up("owner", "heir")
    group = api.create("owner", capacity=5, members=["heir"])

    calls = [partial(api.leave, "heir", group), partial(api.transfer, "owner", group, "heir")]
    statuses = at_once(api, in_order(calls, round_))
    left, handover = statuses if round_ % 2 == 0 else statuses[::-1]

    # Then either heir left first and the transfer found no such member, or heir became creator and cannot leave
    assert (left, handover) in ((200, 404), (409, 200))
    assert api.creator(group) in api.members(group)
    assert api.counters(group) == Counters(member_count=len(api.members(group)), capacity=5)


@BOTH
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_kick_of_the_inviter_racing_the_accept_of_their_invitation_lets_in_only_a_vouched_invitee(
    api: Api, round_: int
) -> None:
    # Given inviter, a member, invited guest
    api.sign_up("owner", "inviter", "guest")
    group = api.create("owner", capacity=5, members=["inviter"])
    assert api.invite("inviter", group, "guest") == 200

    # When the creator kicks the inviter out while guest accepts
    calls = [
        partial(api.kick_out, "owner", group, "inviter"),
        partial(api.accept_invitation, "guest", group, "inviter"),
    ]
    statuses = at_once(api, in_order(calls, round_))
    kicked, accepted = statuses if round_ % 2 == 0 else statuses[::-1]

    # Then the kick went through; guest joined only if the accept committed first, else the invitation is void
    assert kicked == 200
    assert accepted in (200, 409)
    joined = {"guest"} if accepted == 200 else set()
    assert api.members(group) == {"owner"} | joined
    assert api.counters(group) == Counters(member_count=1 + len(joined), capacity=5)
    assert api.pending(group) == ([] if joined else [pending_key("invitation", group, "guest")])


@BOTH
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_ban_racing_the_accept_of_an_older_invitation_always_leaves_the_user_out(api: Api, round_: int) -> None:
    api.sign_up("owner", "inviter", "outcast")
    group = api.create("owner", capacity=5, members=["inviter"])
    assert api.invite("inviter", group, "outcast") == 200

    calls = [partial(api.ban, "owner", group, "outcast"), partial(api.accept_invitation, "outcast", group, "inviter")]
    statuses = at_once(api, in_order(calls, round_))
    banned, accepted = statuses if round_ % 2 == 0 else statuses[::-1]

    # Then the ban went through; the accept either came first (and the ban removed outcast again) or was refused
    assert banned == 200
    assert accepted in (200, 403)
    assert api.members(group) == {"owner", "inviter"}
    assert api.counters(group) == Counters(member_count=2, capacity=5)
    assert api.pending(group) == []
