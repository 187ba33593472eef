"""Request and response shapes of the API, exactly as the seed contract names their fields.

Unknown fields are ignored so that clients may send more than we read; every field we
read is checked here, so the domain only ever sees well-formed values.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from chatgroup.rules import (
    CAPACITY_PATTERN,
    MAX_ATTRS_STRING,
    MAX_DIGITS,
    MAX_INITIAL_MEMBERS,
    MAX_MEMBER_STRING,
    MAX_MESSAGE_CODE_POINTS,
    MAX_NAME,
    MAX_PAGE_TOKEN,
    MAX_PHOTO,
    MAX_TEXT,
    MAX_USER_ID,
    MEMBER_STRING_PATTERN,
    MESSAGE_TEXT_PATTERN,
    NAME_PATTERN,
    NOT_IN_A_URL,
    PAGE_TOKEN_PATTERN,
    PHOTO_PATTERN,
    RESOURCE_ID_PATTERN,
    TEXT_PATTERN,
    USER_ID_PATTERN,
    USER_ID_RULE,
    VISIBLE_ASCII_PATTERN,
    OverlongInteger,
    fullmatch,
    has_lone_surrogate,
    is_user_id,
    parse_json,
)


def _well_formed(value: str) -> str:
    if has_lone_surrogate(value):
        raise ValueError("text must not hold a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff escape)")
    return value


def _user_id(value: str) -> str:
    if not is_user_id(value):
        raise ValueError(USER_ID_RULE)
    return value


def _resource_id(value: str) -> str:
    if not fullmatch(RESOURCE_ID_PATTERN, value):
        raise ValueError("an id is 1 to 64 letters, digits, '-' or '_'")
    return value


def _name(value: str) -> str:
    if len(value) > MAX_NAME or not fullmatch(NAME_PATTERN, value):
        raise ValueError(
            f"a name is 1 to {MAX_NAME} characters on one line, without control or invisible formatting characters"
        )
    return value.strip()


_NOT_IN_A_URL_FOUND = re.compile(f"[{NOT_IN_A_URL}]")


def _photo(value: str) -> str:
    if _NOT_IN_A_URL_FOUND.search(value):
        raise ValueError("photo must not hold tabs, newlines, other control or invisible formatting characters")
    if len(value) > MAX_PHOTO or not fullmatch(PHOTO_PATTERN, value):
        raise ValueError(f"photo must be an http(s) URL of at most {MAX_PHOTO} characters, without spaces")
    return value


def _text(value: str) -> str:
    if len(value) > MAX_TEXT or not fullmatch(TEXT_PATTERN, value):
        raise ValueError(f"a message is at most {MAX_TEXT} characters, without control characters")
    return value


def _message_text(value: str) -> str:
    if not 1 <= len(value) <= MAX_MESSAGE_CODE_POINTS:
        raise ValueError(f"a message is 1 to {MAX_MESSAGE_CODE_POINTS} characters")
    _well_formed(value)
    if not fullmatch(MESSAGE_TEXT_PATTERN, value):
        raise ValueError("a message may hold no control characters other than newline and tab")
    return value


def _capacity(value: Any) -> Any:
    """A number, or the seed's string of one; not `true`, and not what else pydantic would read as a number."""
    if isinstance(value, bool):
        raise ValueError("capacity must be a number, not true or false")
    if isinstance(value, OverlongInteger):
        raise ValueError(f"capacity holds an integer of more than {MAX_DIGITS} digits")
    if isinstance(value, str) and not fullmatch(CAPACITY_PATTERN, value):
        raise ValueError("capacity must be a whole number from 1 to 1000, or a string of its digits")
    return value


def _page_token(value: str) -> str:
    if not 1 <= len(value) <= MAX_PAGE_TOKEN or not fullmatch(PAGE_TOKEN_PATTERN, value):
        raise ValueError("is not a next_token this service gave; start again without it")
    return value


def _visible_ascii(max_length: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not 1 <= len(value) <= max_length or not fullmatch(VISIBLE_ASCII_PATTERN, value):
            raise ValueError(f"must be 1 to {max_length} visible ASCII characters, without spaces")
        return value

    return check


def _decimal_digits(value: Any) -> Any:
    """A number in a query string is written in the digits 0-9 alone: pydantic would also read `+2`, `1_0`, ` 3`
    and `1.0`, which no client writes on purpose, and would let two spellings name one page."""
    if isinstance(value, str) and not fullmatch(r"[0-9]{1,20}", value):
        raise ValueError("must be a whole number written in the digits 0-9")
    return value


def _split_members(value: Any) -> Any:
    """Accept the seed's `'u0;u1;...'` as well as a JSON list of user ids."""
    if isinstance(value, str):
        if len(value) > MAX_MEMBER_STRING:
            raise ValueError(f"memberlist as a string is at most {MAX_MEMBER_STRING} characters")
        return [member.strip() for member in value.split(";") if member.strip()]
    return value


def _not_removable(field: str) -> Callable[[Any], Any]:
    def refuse_null(value: Any) -> Any:
        if value is None:
            raise ValueError(f"{field} cannot be removed")
        return value

    return refuse_null


def _json_object(value: Any) -> Any:
    """`attrs` may be a JSON string (as the seed sends it) or an object."""
    if isinstance(value, str):
        try:
            return parse_json(value)
        except ValueError as error:
            raise ValueError(f"attrs must be a JSON object or a string holding one; this string {error}") from None
    return value


def _documented(pattern: str, max_length: int, min_length: int = 0) -> Any:
    """A validator's rule as the document's JSON Schema keywords; the validator itself gives the human reason."""
    keywords: dict[str, Any] = {"pattern": pattern, "maxLength": max_length}
    return Field(json_schema_extra=keywords | ({"minLength": min_length} if min_length else {}))


@dataclass(frozen=True)
class OrString:
    """In the document, a value the seed contract also lets clients send as a string: `anyOf` both forms."""

    string: dict[str, Any]

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {"anyOf": [handler(schema), {"type": "string", **self.string}]}


class NeverNull:
    """In the document, an optional value that may be left out but not sent as null (which is refused)."""

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        documented = handler(schema)
        options = [option for option in documented.pop("anyOf") if option != {"type": "null"}]
        return documented | (options[0] if len(options) == 1 else {"anyOf": options})


WellFormed = Annotated[str, AfterValidator(_well_formed)]
UserId = Annotated[WellFormed, AfterValidator(_user_id), _documented(USER_ID_PATTERN, MAX_USER_ID, 1)]
ResourceId = Annotated[str, AfterValidator(_resource_id), _documented(RESOURCE_ID_PATTERN, 64, 1)]
Name = Annotated[WellFormed, AfterValidator(_name), _documented(NAME_PATTERN, MAX_NAME, 1)]
Photo = Annotated[WellFormed, AfterValidator(_photo), _documented(PHOTO_PATTERN, MAX_PHOTO, len("http://x"))]
Capacity = Annotated[
    int,
    Field(ge=1, le=1000),
    BeforeValidator(_capacity),
    OrString({"pattern": CAPACITY_PATTERN, "minLength": 1, "maxLength": 4}),
]
Text = Annotated[WellFormed, AfterValidator(_text), _documented(TEXT_PATTERN, MAX_TEXT)]
MemberList = Annotated[
    list[UserId],
    BeforeValidator(_split_members),
    Field(max_length=MAX_INITIAL_MEMBERS),
    OrString(
        {
            "pattern": MEMBER_STRING_PATTERN,
            "maxLength": MAX_MEMBER_STRING,
            "description": f"user ids joined by ';' (the seed's form), at most {MAX_INITIAL_MEMBERS} of them",
        }
    ),
]
Choice = Literal["accept", "deny"]
PageLimit = Annotated[int, Field(ge=1, le=100, description="items per page"), BeforeValidator(_decimal_digits)]
PageToken = Annotated[
    str,
    AfterValidator(_page_token),
    _documented(PAGE_TOKEN_PATTERN, MAX_PAGE_TOKEN, 1),
    Field(description="the next_token of the previous page of the same query; any other is refused with a 400"),
]
IdempotencyKey = Annotated[str, AfterValidator(_visible_ascii(255)), _documented(VISIBLE_ASCII_PATTERN, 255, 1)]
MessageText = Annotated[
    str, AfterValidator(_message_text), _documented(MESSAGE_TEXT_PATTERN, MAX_MESSAGE_CODE_POINTS, 1)
]
ClientMessageId = Annotated[
    str,
    AfterValidator(_visible_ascii(64)),
    _documented(VISIBLE_ASCII_PATTERN, 64, 1),
    Field(
        description="the client's id of this message (visible ASCII), remembered 24 hours per sender and group: "
        "a resend with the same text gets the first answer and stores nothing; with another text, a 409"
    ),
]
Seq = Annotated[
    int, Field(ge=0, le=2**53, description="a seq of the group's timeline"), BeforeValidator(_decimal_digits)
]


class Schema(BaseModel):
    """Every request and response model. Built on first use (defer_build): a function builds the models of
    its own route, not those of all 17 (docs/decisions/1401-cold-start-and-snapstart.md)."""

    model_config = ConfigDict(defer_build=True)


def build_models() -> None:
    """Build every model now (before a SnapStart snapshot, so that no restored environment builds one)."""
    pending = list(Schema.__subclasses__())
    while pending:
        model = pending.pop()
        model.model_rebuild(force=True)
        pending.extend(model.__subclasses__())


class CreateChatgroupRequest(Schema):
    name: Name
    capacity: Capacity
    eventid: ResourceId | None = None
    memberlist: MemberList = []
    photo: Photo | None = None


class ApplicationDecision(Schema):
    type: Literal["application"]
    choice: Choice
    chatgroup_id: ResourceId
    who_apply: UserId
    inbox_message_id: ResourceId | None = None


class InvitationDecision(Schema):
    type: Literal["invitation"]
    choice: Choice
    chatgroup_id: ResourceId
    who_invite: UserId
    inbox_message_id: ResourceId | None = None


class LeaveRequest(Schema):
    type: Literal["leave"]
    chatgroup_id: ResourceId
    who_leave: UserId


class ChatgroupChanges(Schema):
    """What a creator may change; any other key (creator, members, queue) is refused."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    name: Annotated[Name | None, BeforeValidator(_not_removable("name")), NeverNull()] = None
    capacity: Annotated[Capacity | None, BeforeValidator(_not_removable("capacity")), NeverNull()] = None
    photo: Annotated[Photo | None, Field(description="null removes the photo")] = None
    eventid: Annotated[ResourceId | None, Field(description="null removes the event")] = None

    @model_validator(mode="after")
    def _not_empty(self) -> "ChatgroupChanges":
        if not self.model_fields_set:
            raise ValueError("attrs must change at least one of name, capacity, photo, eventid")
        return self


class UpdateRequest(Schema):
    type: Literal["update"]
    chatgroup_id: ResourceId
    attrs: Annotated[
        ChatgroupChanges,
        BeforeValidator(_json_object),
        OrString(
            {
                "contentMediaType": "application/json",
                "maxLength": MAX_ATTRS_STRING,
                "description": "the same object as a JSON string (the seed's form)",
            }
        ),
    ]


class UnbanRequest(Schema):
    type: Literal["unban"]
    chatgroup_id: ResourceId
    who_to_unban: UserId


class TransferRequest(Schema):
    type: Literal["transfer"]
    chatgroup_id: ResourceId
    new_creator: UserId


PutRequest = Annotated[
    ApplicationDecision | InvitationDecision | LeaveRequest | UpdateRequest | UnbanRequest | TransferRequest,
    Field(discriminator="type"),
]


class DismissRequest(Schema):
    type: Literal["dismiss"]
    chatgroup_id: ResourceId
    creator_id: UserId


class KickoutRequest(Schema):
    type: Literal["kickout"]
    chatgroup_id: ResourceId
    who_to_kick_out: UserId
    creator_id: UserId | None = None


class BanRequest(Schema):
    type: Literal["ban"]
    chatgroup_id: ResourceId
    who_to_ban: UserId
    creator_id: UserId | None = None


DeleteRequest = Annotated[DismissRequest | KickoutRequest | BanRequest, Field(discriminator="type")]


class ApplicationMessageRequest(Schema):
    type: Literal["application"]
    chatgroup_id: ResourceId
    message: Text | None = None


class InvitationMessageRequest(Schema):
    type: Literal["invitation"]
    chatgroup_id: ResourceId
    who_to_invite: UserId
    message: Text | None = None


InboxCreateRequest = Annotated[
    ApplicationMessageRequest | InvitationMessageRequest,
    Field(discriminator="type"),
]


class WithdrawApplicationRequest(Schema):
    """The caller withdraws their own pending application to the group."""

    type: Literal["application"]
    chatgroup_id: ResourceId


class RevokeInvitationRequest(Schema):
    """The inviter, or the group's creator, revokes the pending invitation of `who_to_invite`."""

    type: Literal["invitation"]
    chatgroup_id: ResourceId
    who_to_invite: UserId


InboxDeleteRequest = Annotated[
    WithdrawApplicationRequest | RevokeInvitationRequest,
    Field(discriminator="type"),
]


class CreateChatgroupResponse(Schema):
    chatgroup_id: str
    sqs: str = Field(description="ARN of the group's FIFO chat queue")


class SqsResponse(Schema):
    sqs: str = Field(description="ARN of the group's FIFO chat queue")


class ResultResponse(Schema):
    result: Literal["OK"] = "OK"


class ErrorResponse(Schema):
    """The service's refusal: why, in a sentence."""

    result: Literal["fail"] = "fail"
    reason: str


class GatewayError(Schema):
    """API Gateway's own refusal, before any function runs (its body is not the service's to shape)."""

    message: str


def _is_none(value: Any) -> bool:
    """A key a response leaves out rather than sending null."""
    return value is None


class ChatgroupView(Schema):
    """A group as the seed's GET returns it (with `MemberList`), or as a listing shows it (with `MemberCount`)."""

    ChatgroupID: str
    EventID: str | None
    Name: str
    CreatorID: str
    MemberList: Annotated[str | None, NeverNull()] = Field(
        default=None,
        exclude_if=_is_none,
        description="members' user ids joined by ';', the creator first: in a read of one group",
    )
    MemberCount: Annotated[int | None, NeverNull()] = Field(
        default=None,
        exclude_if=_is_none,
        description="how many members the group has: in a listing, instead of MemberList",
    )
    Capacity: int
    PhotoID: str | None
    SQS: str
    Timestamp: str = Field(description="creation time, ISO 8601 UTC")
    LastSeq: int = Field(description="seq of the newest item of the group's timeline; 0 before the first")


class InboxCreateResponse(Schema):
    inbox_message_id: str


class InboxMessageView(Schema):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    inbox_message_id: str
    type: str
    chatgroup_id: str
    sender: str = Field(alias="from")
    message: str | None
    timestamp: str


class InboxPage(Schema):
    messages: list[InboxMessageView]
    next_token: str | None = Field(description="pass back to get the next page; null on the last page")


class SentMessageView(Schema):
    """A pending application or invitation the caller sent; `to` is whose inbox holds it."""

    inbox_message_id: str
    type: str
    chatgroup_id: str
    to: str
    message: str | None
    timestamp: str


class SentPage(Schema):
    messages: list[SentMessageView]
    next_token: str | None = Field(description="pass back to get the next page; null on the last page")


class ChatgroupPage(Schema):
    chatgroups: list[ChatgroupView] = Field(description="each with MemberCount, not MemberList")
    next_token: str | None = Field(description="pass back to get the next page; null on the last page")


class BanView(Schema):
    user: str
    by: str = Field(description="the creator who banned the user")
    at: str = Field(description="when, ISO 8601 UTC")


class BansPage(Schema):
    bans: list[BanView] = Field(description="in user id order")
    next_token: str | None = Field(description="pass back to get the next page; null on the last page")


class SendMessageRequest(Schema):
    text: MessageText
    client_msg_id: ClientMessageId | None = None


class SentMessage(Schema):
    message_id: str
    seq: int
    created_at: str = Field(description="when the message was stored, ISO 8601 UTC")


class MessageItem(Schema):
    """A chat message of the timeline."""

    type: Literal["message"] = "message"
    seq: int
    message_id: str
    chatgroup_id: str
    sender: str
    text: str
    created_at: str


class NoticeItem(Schema):
    """A membership change in the timeline: joined, left, kicked, banned, transferred or updated (with `changes`)."""

    type: Literal["notice"] = "notice"
    seq: int
    message_id: str
    chatgroup_id: str
    notice: str
    user: str
    by: str
    created_at: str
    changes: Annotated[dict[str, Any] | None, NeverNull()] = Field(
        default=None, exclude_if=_is_none, description="what an `updated` notice changed"
    )


TimelineView = Annotated[MessageItem | NoticeItem, Field(discriminator="type")]


class MessagesPage(Schema):
    messages: list[TimelineView] = Field(description="in ascending seq")
    has_more: bool = Field(
        description="without a cursor or with before_seq: older items exist; with after_seq: newer items exist"
    )
