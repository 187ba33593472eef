"""The chat routes through their Lambda handlers: each answer and each refusal, with its status."""

import time
from collections.abc import Iterator
from typing import Any

import pytest

from chatgroup.clients import dynamodb
from chatgroup.models import ClientMessage, SendRate, client_message_key
from chatgroup.settings import get_settings
from tests.integration.conftest import Invoke, Reply


def create(invoke: Invoke, members: str = "bob") -> str:
    reply = invoke("CreateChatgroupFunction", "create_chatgroup", "alice", {"memberlist": members})
    assert reply.status == 200, reply.body
    return str(reply.body["chatgroup_id"])


def send(invoke: Invoke, chatgroup_id: str, user: str = "bob", body: Any = None) -> Reply:
    body = {"text": "hello", "client_msg_id": None} if body is None else body
    return invoke("SendMessageFunction", "send_message", user, body, path_parameters={"chatgroup_id": chatgroup_id})


def read(invoke: Invoke, chatgroup_id: str, user: str = "bob", **query: str | list[str]) -> Reply:
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


def test_a_page_sends_non_ascii_text_as_utf8_not_escaped(invoke: Invoke) -> None:
    # Given a message in Japanese with an emoji
    group = create(invoke)
    assert send(invoke, group, body={"text": "乾杯 🍻", "client_msg_id": None}).status == 200

    # When it is read
    reply = read(invoke, group)

    # Then the answer carries the characters themselves, as a WebSocket frame does (3 and 4 bytes, not 6 and 12)
    assert '"text":"乾杯 🍻"' in reply.text
    assert "\\u" not in reply.text


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


def test_a_page_parameter_given_twice_is_a_400_that_says_so(invoke: Invoke) -> None:
    # Given a group
    group = create(invoke)

    # When a read gives `limit` twice
    reply = read(invoke, group, limit=["2", "3"])

    # Then it is refused, and the reason names the parameter and what is wrong with it
    assert reply.status == 400
    assert reply.body["reason"] == "limit: give it once, not 2 times"


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_a_send_without_a_body_is_a_400_that_says_the_body_is_missing(invoke: Invoke, content_type: str) -> None:
    # Given a group bob is a member of
    group = create(invoke)

    # When he sends with an empty body, declared as JSON or as form data
    reply = invoke(
        "SendMessageFunction",
        "send_message",
        "bob",
        "",
        path_parameters={"chatgroup_id": group},
        headers={"Content-Type": content_type},
    )

    # Then it is refused as a missing body, not as missing fields, and nothing is stored
    assert reply.status == 400
    assert reply.body["reason"] == "The request body is missing: send a JSON object."
    assert read(invoke, group).body["messages"] == []


def test_a_read_that_carries_a_form_body_is_answered_since_a_get_takes_no_body(invoke: Invoke) -> None:
    # Given a group with one message
    group = create(invoke)
    assert send(invoke, group).status == 200

    # When a member reads it with a stray form body (some HTTP clients send one)
    reply = invoke(
        "ListMessagesFunction",
        "list_messages",
        "bob",
        "a=b",
        path_parameters={"chatgroup_id": group},
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    # Then the body is ignored, as a GET's is
    assert reply.status == 200, reply.body
    assert [item["text"] for item in reply.body["messages"]] == ["hello"]


def texts(invoke: Invoke, chatgroup_id: str, user: str = "bob") -> list[str]:
    """The texts of the group's messages (notices left out), oldest first."""
    return [item["text"] for item in read(invoke, chatgroup_id, user).body["messages"] if item["type"] == "message"]


def sends_counted() -> int:
    """Every send the rate has counted, over all users and windows."""
    return sum(int(window.sends or 0) for window in SendRate.scan(consistent_read=True))


def claims() -> int:
    return sum(1 for _ in ClientMessage.scan(consistent_read=True))


def test_a_retried_client_msg_id_returns_the_first_answer_stores_nothing_and_is_not_counted(invoke: Invoke) -> None:
    # Given bob's message sent under a client_msg_id
    group = create(invoke)
    body = {"text": "only once", "client_msg_id": "phone-1"}
    first = send(invoke, group, body=body)
    assert first.status == 200, first.body

    # When he sends it again, twice
    again = [send(invoke, group, body=body) for _ in range(2)]

    # Then both get the first answer, one message and one claim are stored, and the rate counted one send
    assert [(reply.status, reply.body) for reply in again] == [(200, first.body)] * 2
    assert texts(invoke, group) == ["only once"]
    assert claims() == 1
    assert sends_counted() == 1


def test_a_client_msg_id_reused_with_other_text_is_a_409(invoke: Invoke) -> None:
    group = create(invoke)
    assert send(invoke, group, body={"text": "first", "client_msg_id": "phone-2"}).status == 200
    reply = send(invoke, group, body={"text": "second", "client_msg_id": "phone-2"})
    assert reply.status == 409
    assert reply.body["reason"] == "This client_msg_id was already used with a different text."
    assert texts(invoke, group) == ["first"]


def test_an_expired_client_msg_id_counts_as_unused_though_ttl_has_not_deleted_it(invoke: Invoke) -> None:
    # Given bob's message under a client_msg_id whose 24 hours ended a second ago (TTL deletes it days later)
    group = create(invoke)
    body = {"text": "good morning", "client_msg_id": "phone-3"}
    first = send(invoke, group, body=body)
    claim = ClientMessage(client_message_key("bob", group, "phone-3"))
    claim.update(actions=[ClientMessage.expires_at.set(int(time.time()) - 1)])

    # When he sends the same text under the same id
    again = send(invoke, group, body=body)

    # Then it is a new message, and the id is remembered anew for it
    assert again.status == 200, again.body
    assert (again.body["seq"], again.body["message_id"] != first.body["message_id"]) == (2, True)
    assert texts(invoke, group) == ["good morning", "good morning"]
    assert send(invoke, group, body=body).body == again.body


def test_a_resend_after_the_sender_left_gets_the_first_answer(invoke: Invoke) -> None:
    # Given bob's message under a client_msg_id, then bob left the group
    group = create(invoke)
    body = {"text": "bye all", "client_msg_id": "phone-4"}
    first = send(invoke, group, body=body)
    left = invoke("PutChatgroupFunction", "put_leave", "bob", {"chatgroup_id": group, "who_leave": "bob"})
    assert left.status == 200, left.body

    # When his phone sends it again
    again = send(invoke, group, body=body)

    # Then it gets the first answer (the message was stored), and nothing more is stored
    assert (again.status, again.body) == (200, first.body)
    assert texts(invoke, group, "alice") == ["bye all"]
    assert send(invoke, group, body={"text": "new", "client_msg_id": "phone-5"}).status == 403


def test_a_resend_to_a_group_dismissed_since_gets_the_first_answer(invoke: Invoke) -> None:
    # Given bob's message under a client_msg_id, then alice dismissed the group
    group = create(invoke)
    body = {"text": "see you", "client_msg_id": "phone-6"}
    first = send(invoke, group, body=body)
    dismissed = invoke("DeleteChatgroupFunction", "delete_dismiss", "alice", {"chatgroup_id": group})
    assert dismissed.status == 200, dismissed.body

    # When his phone sends it again, and another message under another id
    again, other = send(invoke, group, body=body), send(invoke, group, body={"text": "?", "client_msg_id": "phone-7"})

    # Then the resend gets the first answer (the message was sent), the new message a 404
    assert (again.status, again.body) == (200, first.body)
    assert other.status == 404


@pytest.fixture
def dynamodb_calls() -> Iterator[list[str]]:
    """The DynamoDB operations the handlers call from now on, in order, as the SDK sends them."""
    calls: list[str] = []

    def record(model: Any, **_: Any) -> None:
        calls.append(model.name)

    events = dynamodb().client.meta.events
    events.register("before-call.dynamodb", record)
    yield calls
    events.unregister("before-call.dynamodb", record)


def test_a_send_under_a_client_msg_id_and_its_resend_make_two_aws_calls_each(
    invoke: Invoke, dynamodb_calls: list[str]
) -> None:
    # Given a group
    group = create(invoke)
    dynamodb_calls.clear()

    # When bob sends under a client_msg_id, then sends it again
    body = {"text": "counted", "client_msg_id": "phone-8"}
    assert send(invoke, group, body=body).status == 200
    first = list(dynamodb_calls)
    dynamodb_calls.clear()
    assert send(invoke, group, body=body).status == 200

    # Then each read the group and sent one transaction: the resend's answer came with its cancellation
    assert first == dynamodb_calls == ["GetItem", "TransactWriteItems"]


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
