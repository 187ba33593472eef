"""Request validation: what the API accepts, and the reason it gives for what it refuses."""

import pytest
from pydantic import TypeAdapter, ValidationError

from chatgroup.rules import MAX_INITIAL_MEMBERS, OverlongInteger, parse_json
from chatgroup.schemas import (
    ChatgroupChanges,
    CreateChatgroupRequest,
    InboxCreateRequest,
    InvitationMessageRequest,
    LeaveRequest,
    PutRequest,
    SendMessageRequest,
    UpdateRequest,
)


def test_capacity_may_be_a_numeric_string() -> None:
    assert CreateChatgroupRequest(name="Crew", capacity="7").capacity == 7


@pytest.mark.parametrize("capacity", [0, 1001, -3, "many", True, 2.5])
def test_capacity_outside_1_to_1000_or_not_a_whole_number_is_refused(capacity: object) -> None:
    with pytest.raises(ValidationError):
        CreateChatgroupRequest(name="Crew", capacity=capacity)


def test_memberlist_accepts_the_seeds_semicolon_string() -> None:
    request = CreateChatgroupRequest(name="Crew", capacity=5, memberlist="bob; carol;;dave")
    assert request.memberlist == ["bob", "carol", "dave"]


def test_memberlist_accepts_a_json_list() -> None:
    assert CreateChatgroupRequest(name="Crew", capacity=5, memberlist=["bob"]).memberlist == ["bob"]


def test_memberlist_takes_the_contracts_99_initial_members() -> None:
    members = [f"user{index}" for index in range(99)]
    assert MAX_INITIAL_MEMBERS == 99
    assert CreateChatgroupRequest(name="Crew", capacity=100, memberlist=members).memberlist == members


def test_memberlist_longer_than_the_contracts_99_is_refused() -> None:
    members = [f"user{index}" for index in range(MAX_INITIAL_MEMBERS + 1)]
    with pytest.raises(ValidationError, match=f"at most {MAX_INITIAL_MEMBERS}"):
        CreateChatgroupRequest(name="Crew", capacity=1000, memberlist=members)


@pytest.mark.parametrize("member", ["has space", "semi;colon", "tab\tbed", "x" * 129])
def test_user_ids_with_spaces_separators_or_too_long_are_refused(member: str) -> None:
    with pytest.raises(ValidationError, match="user id"):
        CreateChatgroupRequest(name="Crew", capacity=5, memberlist=[member])


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        "x" * 101,
        "bell\x07",
        "two\nlines",
        "next\x85line",
        "c1\x9f",
        "evil\u202eright",
        "zero\u200bwidth",
        "\ufeffbom",
    ],
)
def test_names_must_be_1_to_100_printable_characters(name: str) -> None:
    with pytest.raises(ValidationError, match="name is 1 to 100"):
        CreateChatgroupRequest(name=name, capacity=5)
    with pytest.raises(ValidationError, match="name is 1 to 100"):
        ChatgroupChanges.model_validate({"name": name})


@pytest.mark.parametrize("name", ["👨\u200d👩\u200d👧 family", "می\u200cخواهم", "\u200fשלום\u200e"])  # noqa: RUF001
def test_names_keep_the_joiners_and_direction_marks_that_emoji_and_scripts_need(name: str) -> None:
    assert CreateChatgroupRequest(name=name, capacity=5).name == name


def test_unicode_names_are_kept() -> None:
    assert CreateChatgroupRequest(name="  Fête 🎉  ", capacity=5).name == "Fête 🎉"


@pytest.mark.parametrize(
    "photo",
    [
        "https://example.com/a\n.png",
        "https://example.com/\ta.png",
        "https://example.com/a.png\r",
        "https://ex\x00.com/",
        "https://example.com/\x85a.png",
        "https://example.com/\u2028",
        "https://example.com/evil\u202egnp.exe",
        "https://example.com/\u200ba.png",
        "https://example.com/\xa0a.png",
    ],
    ids=["newline", "tab", "carriage return", "NUL", "NEL", "line separator", "right-to-left override", "ZWSP", "NBSP"],
)
def test_a_photo_url_with_a_control_character_is_refused_on_create_and_update(photo: str) -> None:
    with pytest.raises(ValidationError, match="photo must not hold tabs, newlines, other control or invisible"):
        CreateChatgroupRequest(name="Crew", capacity=5, photo=photo)
    with pytest.raises(ValidationError, match="photo must not hold tabs, newlines, other control or invisible"):
        ChatgroupChanges.model_validate({"photo": photo})


@pytest.mark.parametrize("photo", ["ftp://example.com/a.png", "javascript:alert(1)", "example.com/a.png"])
def test_photo_must_be_an_http_url(photo: str) -> None:
    with pytest.raises(ValidationError, match="http"):
        CreateChatgroupRequest(name="Crew", capacity=5, photo=photo)


@pytest.mark.parametrize(
    "photo",
    ["https://exa\tmple.com/a.png", "https://example.com/a\n.png", " https://example.com/a.png", "https:///a.png"],
    ids=["tab", "newline", "leading space", "no host"],
)
def test_photo_with_a_space_or_control_character_or_no_host_is_refused(photo: str) -> None:
    # urlparse used to drop tabs, newlines and a leading space before looking: such a URL was stored as sent
    with pytest.raises(ValidationError, match="http"):
        CreateChatgroupRequest(name="Crew", capacity=5, photo=photo)


@pytest.mark.parametrize("capacity", [" 8 ", "8.0", "1_000", "+8", "08", "0"])
def test_capacity_as_a_string_is_its_digits_only(capacity: str) -> None:
    with pytest.raises(ValidationError, match="capacity must be a whole number from 1 to 1000"):
        CreateChatgroupRequest(name="Crew", capacity=capacity)


def test_a_name_padded_past_100_characters_is_refused() -> None:
    with pytest.raises(ValidationError, match="name is 1 to 100"):
        CreateChatgroupRequest(name=" " * 100 + "Crew", capacity=5)


def test_memberlist_as_a_string_is_at_most_99_ids_of_128_characters_and_their_separators() -> None:
    with pytest.raises(ValidationError, match="at most 12770 characters"):
        CreateChatgroupRequest(name="Crew", capacity=5, memberlist=" " * 12_771)


def test_unknown_fields_are_ignored_for_forward_compatibility() -> None:
    request = CreateChatgroupRequest.model_validate({"name": "Crew", "capacity": 5, "colour": "red"})
    assert not hasattr(request, "colour")


def test_put_type_selects_the_variant() -> None:
    request: object = TypeAdapter(PutRequest).validate_python(
        {"type": "leave", "chatgroup_id": "g1", "who_leave": "bob"}
    )
    assert isinstance(request, LeaveRequest)


@pytest.mark.parametrize(
    "body",
    [
        {"type": "promote", "chatgroup_id": "g1"},
        {"type": "application", "choice": "maybe", "chatgroup_id": "g1", "who_apply": "bob"},
        {"type": "application", "choice": "accept", "chatgroup_id": "g1"},
        {"type": "invitation", "choice": "accept", "chatgroup_id": "g1"},
        {"type": "leave", "chatgroup_id": "g1"},
        {"choice": "accept", "chatgroup_id": "g1"},
    ],
)
def test_put_with_unknown_type_or_choice_or_missing_user_is_refused(body: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(PutRequest).validate_python(body)


def test_update_attrs_may_be_a_json_string() -> None:
    request = UpdateRequest.model_validate({"type": "update", "chatgroup_id": "g1", "attrs": '{"capacity": "9"}'})
    assert request.attrs.capacity == 9


@pytest.mark.parametrize(
    "attrs", ['{"creator_id": "mallory"}', {"member_count": 0}, {"queue_arn": "x"}, "{not json", "[]", {}]
)
def test_update_attrs_outside_name_capacity_photo_eventid_are_refused(attrs: object) -> None:
    with pytest.raises(ValidationError):
        UpdateRequest.model_validate({"type": "update", "chatgroup_id": "g1", "attrs": attrs})


def test_update_may_clear_the_photo() -> None:
    changes = ChatgroupChanges.model_validate({"photo": None})
    assert changes.model_fields_set == {"photo"}


@pytest.mark.parametrize("field", ["name", "capacity"])
def test_update_may_not_remove_the_name_or_capacity(field: str) -> None:
    with pytest.raises(ValidationError, match=f"{field} cannot be removed"):
        ChatgroupChanges.model_validate({field: None})


def test_invitation_needs_the_invitee() -> None:
    with pytest.raises(ValidationError, match="who_to_invite"):
        TypeAdapter(InboxCreateRequest).validate_python({"type": "invitation", "chatgroup_id": "g1"})


def test_invitation_names_its_invitee() -> None:
    request: object = TypeAdapter(InboxCreateRequest).validate_python(
        {"type": "invitation", "chatgroup_id": "g1", "who_to_invite": "dave"}
    )
    assert isinstance(request, InvitationMessageRequest)
    assert request.who_to_invite == "dave"


def test_nested_json_where_a_string_belongs_is_refused() -> None:
    with pytest.raises(ValidationError):
        CreateChatgroupRequest.model_validate({"name": {"first": "Crew"}, "capacity": 5})


# JSON that json.loads alone fails on with errors that are not "bad JSON"


def test_json_is_read_as_data() -> None:
    assert parse_json('{"capacity": 12345678901234567890123456789012345678, "ids": [1, -2.5e3]}') == {
        "capacity": 12345678901234567890123456789012345678,
        "ids": [1, -2500.0],
    }


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[" * 50_000, "nests arrays or objects too deeply"),
        ('{"a": ' * 20_000 + "1" + "}" * 20_000, "nests arrays or objects too deeply"),
        ("{not json", "is not valid JSON: Expecting property name enclosed in double quotes at line 1, column 2"),
        ('{"text": "", "text": "second"}', "gives the key 'text' twice"),
        ('{"a": {"b": 1, "b": 2}}', "gives the key 'b' twice"),
        ('{"text": "hi", "x": NaN}', "is not valid JSON: NaN is not a JSON value"),
        ('{"x": [-Infinity]}', "is not valid JSON: -Infinity is not a JSON value"),
    ],
    ids=["50,000 [", "20,000 objects", "not JSON", "repeated key", "repeated nested key", "NaN", "-Infinity"],
)
def test_json_that_cannot_be_read_is_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason) as refused:
        parse_json(text)
    assert type(refused.value) is ValueError


@pytest.mark.parametrize("digits", ["9" * 5000, "-" + "9" * 39], ids=["5000 digits", "39 digits"])
def test_an_integer_longer_than_dynamodb_stores_is_read_without_converting_it(digits: str) -> None:
    # When a document holds an integer of more than 38 digits, even past Python's 4300-digit limit
    document = parse_json('{"extra": ' + digits + "}")

    # Then it is kept as its digits, for a field that reads it to refuse
    assert document == {"extra": OverlongInteger(digits)}


def test_a_capacity_longer_than_dynamodb_stores_is_refused_with_the_reason() -> None:
    with pytest.raises(ValidationError, match="capacity holds an integer of more than 38 digits"):
        CreateChatgroupRequest.model_validate(parse_json('{"name": "x", "capacity": ' + "9" * 39 + "}"))


def test_attrs_in_a_string_are_read_as_carefully_as_a_body() -> None:
    request = {"type": "update", "chatgroup_id": "g1", "attrs": '{"capacity": ' + "9" * 5000 + "}"}
    with pytest.raises(ValidationError, match="an integer of more than 38 digits"):
        UpdateRequest.model_validate(request)


# lone surrogates: what a JSON "\ud800" escape decodes to; not text, and DynamoDB refuses it

LONE = "a\ud800b"


@pytest.mark.parametrize(
    "fields",
    [{"name": LONE}, {"memberlist": [LONE]}, {"memberlist": f"bob;{LONE}"}, {"photo": f"https://x.example/{LONE}"}],
    ids=["name", "member list", "member string", "photo"],
)
def test_a_lone_surrogate_is_refused_wherever_text_is_stored(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError, match="lone UTF-16 surrogate"):
        CreateChatgroupRequest.model_validate({"name": "Crew", "capacity": 5} | fields)


@pytest.mark.parametrize(
    "body",
    [
        {"type": "application", "chatgroup_id": "g1", "message": LONE},
        {"type": "invitation", "chatgroup_id": "g1", "who_to_invite": LONE},
    ],
)
def test_a_lone_surrogate_in_an_inbox_message_is_refused(body: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="lone UTF-16 surrogate"):
        TypeAdapter(InboxCreateRequest).validate_python(body)


def test_a_lone_surrogate_in_a_chat_message_is_refused_for_what_it_is() -> None:
    with pytest.raises(ValidationError, match="lone UTF-16 surrogate"):
        SendMessageRequest.model_validate({"text": LONE})


def test_a_json_escaped_surrogate_pair_is_text() -> None:
    body = parse_json('{"name": "Crew \\ud83c\\udf89", "capacity": 5}')
    assert CreateChatgroupRequest.model_validate(body).name == "Crew \U0001f389"
