"""Concurrent accepts against the embedded AWS: capacity holds, and the tables hold exactly what was answered."""

from concurrent.futures import ThreadPoolExecutor

from chatgroup import inbox, membership
from chatgroup.errors import Conflict
from chatgroup.models import Chatgroup, InboxMessage, Membership, is_pending, pending_key
from chatgroup.schemas import ApplicationDecision, ApplicationMessageRequest


def test_twenty_concurrent_accepts_fill_a_group_of_five_exactly(new_group) -> None:
    # Given a group of capacity 5 with its creator and 20 pending applications
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

    # When the creator accepts all 20 at once
    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = dict(zip(applicants, pool.map(accept, applicants), strict=True))

    # Then 4 joined and 16 were refused; the members are exactly those told they joined, the refused
    # applications are still pending, and only those who joined were told so in their inbox
    joined = {applicant for applicant, outcome in outcomes.items() if outcome == "joined"}
    assert len(joined) == 4
    assert set(outcomes.values()) == {"joined", "refused"}
    assert Chatgroup.get(group.chatgroup_id, consistent_read=True).member_count == 5
    assert {item.user_id for item in Membership.query(group.chatgroup_id, consistent_read=True)} == {"alice"} | joined
    pending = {item.pending_key for item in InboxMessage.query("alice", consistent_read=True)}
    assert pending == {pending_key("application", group.chatgroup_id, a) for a in applicants if a not in joined}
    told = {
        applicant
        for applicant in applicants
        for item in InboxMessage.query(applicant, consistent_read=True)
        if not is_pending(item.pending_key) and item.type == "application_accepted"
    }
    assert told == joined
