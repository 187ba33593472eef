"""The chat routes through their Lambda handlers: each answer and each refusal, with its status."""

from typing import Any

import pytest

from chatgroup.settings import get_settings
from tests.integration.conftest import Invoke, Reply


def create(invoke: Invoke, members: str = "bob") -> str:
    reply = invoke("CreateChatgroupFunction", "create_chatgroup", "alice", {"memberlist": members})
    assert reply.status == 200, reply.body
    return str(reply.body["chatgroup_id"])


def send(invoke: Invoke, chatgroup_id: str, user: str = "bob", body: Any = None) -> Reply:
    body = {"text": "hello", "client_msg_id": None} if body is None else body
    return invoke("SendMessageFunction", "send_message", user, body, path_parameters={"chatgroup_id": chatgroup_id})


def read(invoke: Invoke, chatgroup_id: str, user: str = "bob", **query: str) -> Reply:
    return invoke(
        "ListMessagesFunction", "list_messages", user, path_parameters={"chatgroup_id": chatgroup_id}, query=query
    )


def test_a_member_sends_and_gets_the_message_id_seq_and_time(invoke: Invoke) -> None:
    group = create(invoke)
    reply = send(invoke, group)
    assert reply.status == 200, reply.body
    assert set(reply.body) == {"message_id", "seq", "created_at"}
    assert reply.body["seq"] == 1
    assert reply.body["created_at"].endswith("Z")


def test_the_sender_is_the_tokens_user_not_a_field_of_the_body(invoke: Invoke) -> None:
    group = create(invoke)
    assert send(invoke, group, "bob", {"text": "hi", "sender": "alice"}).status == 200
    [item] = read(invoke, group).body["messages"]
    assert (item["type"], item["sender"], item["text"]) == ("message", "bob", "hi")


def test_a_read_answers_items_in_the_documented_shape(invoke: Invoke) -> None:
    group = create(invoke)
    sent = send(invoke, group).body
    reply = read(invoke, group, after_seq="0")
    assert reply.status == 200
    assert reply.body == {
        "messages": [
            {
                "type": "message",
                "seq": 1,
                "message_id": sent["message_id"],
                "chatgroup_id": group,
                "sender": "bob",
                "text": "hello",
                "created_at": sent["created_at"],
            }
        ],
        "has_more": False,
    }


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"text": ""}, "text"),
        ({"text": "x" * 4001}, "text"),
        ({"text": "bell\x07"}, "control"),
        ({"text": "carriage\rreturn"}, "control"),
        ({"text": None}, "text"),
        ({"text": "ok", "client_msg_id": ""}, "client_msg_id"),
        ({"text": "ok", "client_msg_id": "x" * 65}, "client_msg_id: must be 1 to 64 visible ASCII characters"),
        ({"text": "ok", "client_msg_id": "with space"}, "client_msg_id: must be 1 to 64 visible ASCII characters"),
        ("{not json", "not valid JSON"),
        ('{"text": "", "text": "second"}', "gives the key 'text' twice"),
    ],
)
def test_bad_messages_are_refused_with_a_reason_and_store_nothing(invoke: Invoke, body: Any, reason: str) -> None:
    group = create(invoke)
    reply = send(invoke, group, body=body)
    assert reply.status == 400, reply.body
    assert reason in reply.body["reason"]
    assert read(invoke, group).body["messages"] == []


def test_four_thousand_characters_with_newlines_tabs_and_emoji_are_accepted(invoke: Invoke) -> None:
    group = create(invoke)
    text = ("line\tone\n😀" * 400)[:4000]
    assert send(invoke, group, body={"text": text, "client_msg_id": None}).status == 200
    assert read(invoke, group).body["messages"][0]["text"] == text


def test_a_non_member_gets_403_on_send_and_read(invoke: Invoke) -> None:
    group = create(invoke)
    assert send(invoke, group, "mallory").status == 403
    assert read(invoke, group, "mallory").status == 403


def test_an_unknown_group_is_404(invoke: Invoke) -> None:
    assert send(invoke, "f" * 32).status == 404
    assert read(invoke, "f" * 32).status == 404


def test_both_cursors_at_once_are_a_400(invoke: Invoke) -> None:
    group = create(invoke)
    reply = read(invoke, group, after_seq="1", before_seq="5")
    assert reply.status == 400
    assert "not both" in reply.body["reason"]


@pytest.mark.parametrize(
    "query",
    [
        *({"limit": "0"}, {"limit": "101"}, {"after_seq": "-1"}, {"before_seq": "one"}),
        *({"after_seq": "1_0"}, {"before_seq": "+2"}, {"after_seq": "1.0"}, {"before_seq": " 3"}),
    ],
)
def test_bad_page_parameters_are_a_400(invoke: Invoke, query: dict[str, str]) -> None:
    group = create(invoke)
    reply = read(invoke, group, **query)
    assert reply.status == 400
    assert reply.body["reason"].startswith(f"{next(iter(query))}: ")


def test_a_retried_client_msg_id_returns_the_first_answer_and_stores_one_message(invoke: Invoke) -> None:
    group = create(invoke)
    body = {"text": "only once", "client_msg_id": "phone-1"}
    first, again = send(invoke, group, body=body), send(invoke, group, body=body)
    assert (first.status, again.status) == (200, 200)
    assert again.body == first.body
    assert [item["text"] for item in read(invoke, group).body["messages"]] == ["only once"]


def test_a_client_msg_id_reused_with_other_text_is_a_409(invoke: Invoke) -> None:
    group = create(invoke)
    assert send(invoke, group, body={"text": "first", "client_msg_id": "phone-2"}).status == 200
    reply = send(invoke, group, body={"text": "second", "client_msg_id": "phone-2"})
    assert reply.status == 409
    assert "client_msg_id" in reply.body["reason"]
    assert len(read(invoke, group).body["messages"]) == 1


def test_the_same_client_msg_id_from_another_sender_or_group_is_another_message(invoke: Invoke) -> None:
    group, other = create(invoke, "bob;carol"), create(invoke, "bob")
    body = {"text": "same", "client_msg_id": "shared-id"}
    replies = [send(invoke, group, "bob", body), send(invoke, group, "carol", body), send(invoke, other, "bob", body)]
    assert [reply.status for reply in replies] == [200, 200, 200]
    assert len(read(invoke, group).body["messages"]) == 2


def test_sending_too_fast_is_a_429_with_retry_after(invoke: Invoke) -> None:
    group = create(invoke)
    attempts = 2 * get_settings().send_rate_limit + 1
    replies = [send(invoke, group, body={"text": f"m{n}", "client_msg_id": None}) for n in range(attempts)]
    refused = [reply for reply in replies if reply.status != 200]
    assert refused, "the rate was never enforced"
    assert {reply.status for reply in refused} == {429}
    assert int(refused[0].headers["Retry-After"]) >= 1


def test_a_refused_send_does_not_use_up_its_client_msg_id(invoke: Invoke) -> None:
    # Given carol, not a member, whose send under a client_msg_id is refused
    group = create(invoke)
    body = {"text": "let me in", "client_msg_id": "carol-1"}
    assert send(invoke, group, "carol", body).status == 403

    # When she has joined (an application alice accepts) and sends it again under the same id
    applied = invoke("CreateInboxMessageFunction", "inbox_create_application", "carol", {"chatgroup_id": group})
    assert applied.status == 200, applied.body
    accepted = invoke(
        "PutChatgroupFunction",
        "put_application_accept",
        "alice",
        {"chatgroup_id": group, "who_apply": "carol", "inbox_message_id": None},
    )
    assert accepted.status == 200, accepted.body
    again = send(invoke, group, "carol", body)

    # Then it is stored: the refusal was not remembered as the id's answer
    assert again.status == 200, again.body
    assert [item["text"] for item in read(invoke, group, "carol").body["messages"] if item["type"] == "message"] == [
        "let me in"
    ]
