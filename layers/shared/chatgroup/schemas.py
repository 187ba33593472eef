"""Request and response shapes of the API, exactly as the seed contract names their fields.

Unknown fields are ignored so that clients may send more than we read; every field we
read is checked here, so the domain only ever sees well-formed values.
"""

import json
import re
from typing import Annotated, Any, Literal
from urllib.parse import urlparse

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

MAX_INITIAL_MEMBERS = 99
"""The contract's maximum: with the creator, 100 members. The group, the creator's quota slot and 100 membership
items exceed one DynamoDB transaction (100 items), so a creation writes the overflow first (groups.create_chatgroup)."""

_USER_ID = re.compile(r"[^\s;#\x00-\x1f\x7f\ud800-\udfff]{1,128}")
"""`;` separates a MemberList and `#` the parts of an inbox key (`<type>#<group>#<user>`): a user id holds neither."""
_RESOURCE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_LINE_BREAKING = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
_MAX_DIGITS = 38
"""DynamoDB's number precision; longer integers in a request are refused before Python reads them."""


def parse_json(text: str) -> Any:
    """A JSON document from a request, or a ValueError whose message ends "The body ..." with why it is unreadable.

    `json.loads` alone fails on some valid JSON with errors that are not bad-JSON errors:
    RecursionError when arrays or objects nest thousands deep, and ValueError for an integer
    of more than 4300 digits (Python's limit on converting strings to int).
    """
    try:
        return json.loads(text, parse_int=_integer)
    except json.JSONDecodeError as error:
        raise ValueError(f"is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}") from None
    except RecursionError:
        raise ValueError("nests arrays or objects too deeply") from None


def _integer(digits: str) -> int:
    if len(digits.removeprefix("-")) > _MAX_DIGITS:
        raise ValueError(f"holds an integer of more than {_MAX_DIGITS} digits")
    return int(digits)


def has_lone_surrogate(value: str) -> bool:
    """JSON's `\\ud800`-style escapes can decode to half of a UTF-16 pair: not text; DynamoDB refuses it."""
    return _LONE_SURROGATE.search(value) is not None


def _well_formed(value: str) -> str:
    if has_lone_surrogate(value):
        raise ValueError("text must not hold a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff escape)")
    return value


USER_ID_RULE = "a user id is 1 to 128 characters without spaces, ';', '#' or control characters"


def is_user_id(value: str) -> bool:
    return _USER_ID.fullmatch(value) is not None


def _user_id(value: str) -> str:
    if not is_user_id(value):
        raise ValueError(USER_ID_RULE)
    return value


def _resource_id(value: str) -> str:
    if not _RESOURCE_ID.fullmatch(value):
        raise ValueError("an id is 1 to 64 letters, digits, '-' or '_'")
    return value


def _name(value: str) -> str:
    value = value.strip()
    if not 1 <= len(value) <= 100 or _LINE_BREAKING.search(value):
        raise ValueError("a name is 1 to 100 characters on one line, without control characters")
    return value


_NOT_IN_A_URL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
"""Control characters, tab and newline included (urlparse drops those silently, the stored text keeps them), and
Unicode's line and paragraph separators."""


def _photo(value: str) -> str:
    if _NOT_IN_A_URL.search(value):
        raise ValueError("photo must not hold tabs, newlines or other control characters")
    url = urlparse(value)
    if len(value) > 2048 or url.scheme not in ("http", "https") or not url.netloc:
        raise ValueError("photo must be an http(s) URL of at most 2048 characters")
    return value


def _text(value: str) -> str:
    if len(value) > 1000 or _CONTROL.search(value):
        raise ValueError("a message is at most 1000 characters, without control characters")
    return value


MAX_MESSAGE_CODE_POINTS = 4000
_NOT_IN_A_MESSAGE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
"""Control characters but tab and newline, and lone surrogates (which no UTF-8 text can hold)."""


def _message_text(value: str) -> str:
    if not 1 <= len(value) <= MAX_MESSAGE_CODE_POINTS:
        raise ValueError(f"a message is 1 to {MAX_MESSAGE_CODE_POINTS} characters")
    if _NOT_IN_A_MESSAGE.search(value):
        raise ValueError("a message may hold no control characters other than newline and tab")
    return value


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("capacity must be a number, not true or false")
    return value


def _split_members(value: Any) -> Any:
    """Accept the seed's `'u0;u1;...'` as well as a JSON list of user ids."""
    if isinstance(value, str):
        return [member.strip() for member in value.split(";") if member.strip()]
    return value


def _json_object(value: Any) -> Any:
    """`attrs` may be a JSON string (as the seed sends it) or an object."""
    if isinstance(value, str):
        try:
            return parse_json(value)
        except ValueError as error:
            raise ValueError(f"attrs must be a JSON object or a string holding one; this string {error}") from None
    return value


WellFormed = Annotated[str, AfterValidator(_well_formed)]
UserId = Annotated[WellFormed, AfterValidator(_user_id)]
ResourceId = Annotated[str, AfterValidator(_resource_id)]
Name = Annotated[WellFormed, AfterValidator(_name)]
Photo = Annotated[WellFormed, AfterValidator(_photo)]
Capacity = Annotated[int, Field(ge=1, le=1000), BeforeValidator(_not_bool)]
Text = Annotated[WellFormed, AfterValidator(_text)]
MemberList = Annotated[list[UserId], BeforeValidator(_split_members), Field(max_length=MAX_INITIAL_MEMBERS)]
Choice = Literal["accept", "deny"]
PageLimit = Annotated[int, Field(ge=1, le=100, description="items per page")]
PageToken = Annotated[str, Field(max_length=2048, description="the next_token of the previous page")]
IdempotencyKey = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$")]
MessageText = Annotated[str, AfterValidator(_message_text)]
ClientMessageId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[\x21-\x7e]+$",
        description="the client's id of this message (visible ASCII): a resend with the same text is stored once",
    ),
]
Seq = Annotated[int, Field(ge=0, le=2**53, description="a seq of the group's timeline")]


class CreateChatgroupRequest(BaseModel):
    name: Name
    capacity: Capacity
    eventid: ResourceId | None = None
    memberlist: MemberList = []
    photo: Photo | None = None


class ApplicationDecision(BaseModel):
    type: Literal["application"]
    choice: Choice
    chatgroup_id: ResourceId
    who_apply: UserId
    inbox_message_id: ResourceId | None = None


class InvitationDecision(BaseModel):
    type: Literal["invitation"]
    choice: Choice
    chatgroup_id: ResourceId
    who_invite: UserId
    inbox_message_id: ResourceId | None = None


class LeaveRequest(BaseModel):
    type: Literal["leave"]
    chatgroup_id: ResourceId
    who_leave: UserId


class ChatgroupChanges(BaseModel):
    """What a creator may change; any other key (creator, members, queue) is refused."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    capacity: Capacity | None = None
    photo: Photo | None = None
    eventid: ResourceId | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> "ChatgroupChanges":
        if not self.model_fields_set:
            raise ValueError("attrs must change at least one of name, capacity, photo, eventid")
        return self


class UpdateRequest(BaseModel):
    type: Literal["update"]
    chatgroup_id: ResourceId
    attrs: Annotated[ChatgroupChanges, BeforeValidator(_json_object)]


PutRequest = Annotated[
    ApplicationDecision | InvitationDecision | LeaveRequest | UpdateRequest,
    Field(discriminator="type"),
]


class DismissRequest(BaseModel):
    type: Literal["dismiss"]
    chatgroup_id: ResourceId
    creator_id: UserId


class KickoutRequest(BaseModel):
    type: Literal["kickout"]
    chatgroup_id: ResourceId
    who_to_kick_out: UserId
    creator_id: UserId | None = None


DeleteRequest = Annotated[DismissRequest | KickoutRequest, Field(discriminator="type")]


class ApplicationMessageRequest(BaseModel):
    type: Literal["application"]
    chatgroup_id: ResourceId
    message: Text | None = None


class InvitationMessageRequest(BaseModel):
    type: Literal["invitation"]
    chatgroup_id: ResourceId
    who_to_invite: UserId
    message: Text | None = None


InboxCreateRequest = Annotated[
    ApplicationMessageRequest | InvitationMessageRequest,
    Field(discriminator="type"),
]


class WithdrawApplicationRequest(BaseModel):
    """The caller withdraws their own pending application to the group."""

    type: Literal["application"]
    chatgroup_id: ResourceId


class RevokeInvitationRequest(BaseModel):
    """The inviter, or the group's creator, revokes the pending invitation of `who_to_invite`."""

    type: Literal["invitation"]
    chatgroup_id: ResourceId
    who_to_invite: UserId


InboxDeleteRequest = Annotated[
    WithdrawApplicationRequest | RevokeInvitationRequest,
    Field(discriminator="type"),
]


class CreateChatgroupResponse(BaseModel):
    chatgroup_id: str
    sqs: str = Field(description="ARN of the group's FIFO chat queue")


class SqsResponse(BaseModel):
    sqs: str = Field(description="ARN of the group's FIFO chat queue")


class ResultResponse(BaseModel):
    result: Literal["OK"] = "OK"


class ErrorResponse(BaseModel):
    result: Literal["fail"] = "fail"
    reason: str


class ChatgroupView(BaseModel):
    """A group as the seed's GET returns it."""

    ChatgroupID: str
    EventID: str | None
    Name: str
    CreatorID: str
    MemberList: str = Field(description="members' user ids joined by ';'")
    Capacity: int
    PhotoID: str | None
    SQS: str
    Timestamp: str = Field(description="creation time, ISO 8601 UTC")
    LastSeq: int = Field(description="seq of the newest item of the group's timeline; 0 before the first")


class InboxCreateResponse(BaseModel):
    inbox_message_id: str


class InboxMessageView(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    inbox_message_id: str
    type: str
    chatgroup_id: str
    sender: str = Field(alias="from")
    message: str | None
    timestamp: str


class InboxPage(BaseModel):
    messages: list[InboxMessageView]
    next_token: str | None = Field(description="pass back to get the next page; absent on the last page")


class SentMessageView(BaseModel):
    """A pending application or invitation the caller sent; `to` is whose inbox holds it."""

    inbox_message_id: str
    type: str
    chatgroup_id: str
    to: str
    message: str | None
    timestamp: str


class SentPage(BaseModel):
    messages: list[SentMessageView]
    next_token: str | None = Field(description="pass back to get the next page; absent on the last page")


class ChatgroupSummary(BaseModel):
    """A group in a listing: the seed's GET keys but the member list, plus how many members it has."""

    ChatgroupID: str
    EventID: str | None
    Name: str
    CreatorID: str
    Capacity: int
    MemberCount: int
    PhotoID: str | None
    SQS: str
    Timestamp: str = Field(description="creation time, ISO 8601 UTC")
    LastSeq: int = Field(description="seq of the newest item of the group's timeline; 0 before the first")


class ChatgroupPage(BaseModel):
    chatgroups: list[ChatgroupSummary]
    next_token: str | None = Field(description="pass back to get the next page; absent on the last page")


class SendMessageRequest(BaseModel):
    text: MessageText
    client_msg_id: ClientMessageId | None = None


class SentMessage(BaseModel):
    message_id: str
    seq: int
    created_at: str = Field(description="when the message was stored, ISO 8601 UTC")


class MessageItem(BaseModel):
    """A chat message of the timeline."""

    type: Literal["message"] = "message"
    seq: int
    message_id: str
    chatgroup_id: str
    sender: str
    text: str
    created_at: str


class NoticeItem(BaseModel):
    """A membership change in the timeline: joined, left, kicked, banned, transferred or updated (with `changes`)."""

    type: Literal["notice"] = "notice"
    seq: int
    message_id: str
    chatgroup_id: str
    notice: str
    user: str
    by: str
    created_at: str
    changes: dict[str, Any] | None = None

    @model_serializer(mode="wrap")
    def _changes_only_when_updated(self, serialize: SerializerFunctionWrapHandler) -> dict[str, Any]:
        shown: dict[str, Any] = serialize(self)
        if self.changes is None:
            shown.pop("changes", None)
        return shown


TimelineView = Annotated[MessageItem | NoticeItem, Field(discriminator="type")]


class MessagesPage(BaseModel):
    messages: list[TimelineView] = Field(description="in ascending seq")
    has_more: bool = Field(
        description="without a cursor or with before_seq: older items exist; with after_seq: newer items exist"
    )
