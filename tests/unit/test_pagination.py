"""Page tokens: a token continues only the query it came from, and only as a key DynamoDB accepts."""

import base64
import json
from typing import Any

import pytest
from pydantic import TypeAdapter

from chatgroup.errors import InvalidRequest
from chatgroup.models import Chatgroup, InboxMessage, Membership
from chatgroup.pagination import decode_token, encode_token, key_schema
from chatgroup.rules import MAX_USER_ID
from chatgroup.schemas import PageToken

MINE = key_schema(Membership.by_user)
KEY = {"chatgroup_id": {"S": "g1"}, "user_id": {"S": "alice"}, "joined_at": {"N": "1795563457573"}}


def token(key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def test_a_query_key_holds_the_tables_key_and_the_indexs() -> None:
    assert key_schema(Membership.by_user) == {"chatgroup_id": "S", "user_id": "S", "joined_at": "N"}
    assert key_schema(Chatgroup.by_event) == {"chatgroup_id": "S", "event_id": "S", "created_at": "N"}
    assert key_schema(InboxMessage.by_time) == {"recipient_id": "S", "pending_key": "S", "created_at": "N"}


def test_a_key_comes_back_from_its_token() -> None:
    assert decode_token(encode_token(KEY), MINE, {"user_id": "alice"}) == KEY


def test_a_sent_list_token_between_users_with_the_longest_ids_is_short_enough_to_send_back() -> None:
    # Given the key a sent-list page ends on when both users' ids are 128 four-byte characters
    sender, recipient = "😀" * MAX_USER_ID, "🎉" * MAX_USER_ID
    pending = f"invitation#{'g' * 64}#{recipient}"
    key = {
        "recipient_id": {"S": recipient},
        "pending_key": {"S": pending},
        "sender_id": {"S": sender},
        "created_at": {"N": "1795563457573"},
    }

    # When it becomes a next_token
    sent_token = encode_token(key)

    # Then the request model takes it back, and it continues that very query
    assert sent_token is not None
    assert TypeAdapter(PageToken).validate_python(sent_token) == sent_token
    assert decode_token(sent_token, key_schema(InboxMessage.by_sender), {"sender_id": sender}) == key


@pytest.mark.parametrize(
    "key",
    [
        KEY | {"joined_at": {"N": "abc"}},
        KEY | {"joined_at": {"N": "1e999"}},
        KEY | {"joined_at": {"N": "1" * 39}},
        KEY | {"joined_at": {"S": "1"}},
        KEY | {"chatgroup_id": {"S": ""}},
        KEY | {"chatgroup_id": {"S": "x" * 1025}},
        KEY | {"chatgroup_id": {"S": "a\ud800"}},
        KEY | {"chatgroup_id": {"S": "g1", "N": "1"}},
        KEY | {"chatgroup_id": {"S": 1}},
        KEY | {"event_id": {"S": "gig"}},
        {name: value for name, value in KEY.items() if name != "joined_at"},
        [KEY],
    ],
    ids=[
        "non-numeric number",
        "number out of range",
        "39-digit number",
        "number sent as string",
        "empty string",
        "string over 1024 bytes",
        "lone surrogate",
        "two types",
        "string of another JSON type",
        "another index's attribute too",
        "index key missing",
        "not an object",
    ],
)
def test_a_token_that_is_not_a_key_of_the_index_is_refused(key: Any) -> None:
    with pytest.raises(InvalidRequest, match="next_token"):
        decode_token(token(key), MINE, {"user_id": "alice"})


def test_a_token_of_another_partition_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="next_token"):
        decode_token(encode_token(KEY), MINE, {"user_id": "mallory"})
