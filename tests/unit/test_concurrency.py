"""Concurrent accepts against the embedded AWS in server mode: capacity holds."""

from concurrent.futures import ThreadPoolExecutor

from chatgroup import inbox, membership
from chatgroup.errors import Conflict
from chatgroup.models import Chatgroup, InboxMessage, Membership
from chatgroup.schemas import ApplicationDecision, ApplicationMessageRequest


def test_twenty_concurrent_accepts_fill_a_group_of_five_exactly(new_group) -> None:
    group = new_group(creator="alice", capacity=5)
    applicants = [f"applicant{index:02d}" for index in range(20)]
    for applicant in applicants:
        inbox.send_application(
            applicant, ApplicationMessageRequest(type="application", chatgroup_id=group.chatgroup_id)
        )

    def accept(applicant: str) -> str:
        decision = ApplicationDecision(
            type="application", choice="accept", chatgroup_id=group.chatgroup_id, who_apply=applicant
        )
        try:
            membership.decide("alice", decision)
        except Conflict:
            return "refused"
        return "joined"

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(accept, applicants))

    assert outcomes.count("joined") == 4
    assert outcomes.count("refused") == 16
    assert Chatgroup.get(group.chatgroup_id).member_count == 5
    assert len(list(Membership.query(group.chatgroup_id))) == 5
    assert len(list(InboxMessage.query("alice"))) == 16
