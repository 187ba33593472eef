"""What text the API accepts, as plain data and functions: the patterns (which are also the OpenAPI
document's), the limits, the user-id rule and the JSON reader of request bodies.

Apart from `chatgroup.schemas`, which binds these rules to the request fields, the functions that
serve no REST route (the WebSocket and stream functions, the sign-up trigger) use them too: this
module imports no pydantic, so that their cold start does not pay for it
(docs/decisions/1401-cold-start-and-snapstart.md).
"""

import json
import re
from dataclasses import dataclass
from typing import Any, NoReturn

MAX_INITIAL_MEMBERS = 99
"""The contract's maximum: with the creator, 100 members. The group, the creator's quota slot and 100 membership
items exceed one DynamoDB transaction (100 items), so a creation writes the overflow first (groups.create_chatgroup)."""

# Each rule on text is one regular expression, which both validates and is the OpenAPI document's `pattern`,
# so the document says exactly what is accepted. They are written for Python's `re` and ECMA-262 alike: no
# `\s` (whose members differ), explicit classes instead; lone surrogates, which no JSON text of a generator
# holds, are refused by `has_lone_surrogate` rather than in the patterns.
_SPACE = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
"""What `str.isspace` holds, i.e. what `str.strip` removes."""
MAX_USER_ID = 128
_USER_ID_CHARACTER = rf"[^{_SPACE};#\x00-\x1f\x7f]"
"""`;` separates a MemberList and `#` the parts of an inbox key (`<type>#<group>#<user>`): a user id holds neither."""
USER_ID_PATTERN = rf"^{_USER_ID_CHARACTER}{{1,{MAX_USER_ID}}}$"
RESOURCE_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
MAX_NAME = 100
_CONTROL = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
"""C0 and C1 control characters (NEL, U+0085, among them) and the Unicode line and paragraph separators."""
_INVISIBLE_FORMAT = r"\u200b\u202a-\u202e\u2060\u2066-\u2069\ufeff"
"""Zero-width space, word joiner and BOM, and the bidirectional embeddings, overrides and isolates: a name or URL
holding them can show as another (U+202E turns "evil" into "live") and spill its direction into the text around
it. The joiners that emoji and scripts need (U+200C, U+200D) and the direction marks (U+200E, U+200F) stay."""
_NOT_IN_A_NAME = _CONTROL + _INVISIBLE_FORMAT
NAME_PATTERN = (
    rf"^[{_SPACE}]*[^{_SPACE}{_NOT_IN_A_NAME}](?:[^{_NOT_IN_A_NAME}]*[^{_SPACE}{_NOT_IN_A_NAME}])?[{_SPACE}]*$"
)
"""One line without control characters, whose spaces around are dropped: what is left is the name."""
MAX_PHOTO = 2048
NOT_IN_A_URL = _CONTROL + _INVISIBLE_FORMAT + r"\xa0"
PHOTO_PATTERN = rf"^[Hh][Tt][Tt][Pp][Ss]?://[^ {NOT_IN_A_URL}/?#]+(?:[/?#][^ {NOT_IN_A_URL}]*)?$"
"""An absolute http(s) URL with a host, without spaces, control characters (tab and newline included: urlparse
drops those silently), line separators or invisible formatting characters."""
MAX_TEXT = 1000
TEXT_PATTERN = r"^[^\x00-\x08\x0b-\x1f\x7f]*$"
"""Control characters but tab and newline."""
MAX_MESSAGE_CODE_POINTS = 4000
MESSAGE_TEXT_PATTERN = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$"
"""Control characters but tab and newline (lone surrogates, which no UTF-8 text can hold, are refused too)."""
CAPACITY_PATTERN = r"^(?:[1-9][0-9]{0,2}|1000)$"
VISIBLE_ASCII_PATTERN = r"^[\x21-\x7e]+$"
PAGE_TOKEN_PATTERN = r"^[A-Za-z0-9_-]+={0,2}$"  # noqa: S105 - a pattern, not a secret
MAX_PAGE_TOKEN = 4096
"""Room for the longest key a page can end on: the sent list's four attributes, two of them user ids of 128
four-byte characters, are ~1.8 KB of JSON, ~2.3 KB in base64."""
MAX_MEMBER_STRING = MAX_INITIAL_MEMBERS * (MAX_USER_ID + 1) - 1
"""99 ids of 128 characters and the 98 `;` between them."""
_SPACES = rf"[{_SPACE}]*"
_MEMBER = rf"{_USER_ID_CHARACTER}{{1,{MAX_USER_ID}}}{_SPACES}"
_EMPTY_PARTS = rf"(?:;{_SPACES})*"
MEMBER_STRING_PATTERN = (
    rf"^{_SPACES}{_EMPTY_PARTS}"
    rf"(?:{_MEMBER}(?:;{_SPACES}{_EMPTY_PARTS}{_MEMBER}){{0,{MAX_INITIAL_MEMBERS - 1}}}{_EMPTY_PARTS})?$"
)
"""At most 99 user ids separated by `;`, spaces around each and empty parts ignored."""
MAX_DIGITS = 38
"""DynamoDB's number precision; a longer integer in a request is never converted (see `OverlongInteger`)."""
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
MAX_ATTRS_STRING = 64 * 1024
"""`attrs` as a JSON string: no longer than a whole request body may be."""


def parse_json(text: str) -> Any:
    """A JSON document from a request, or a ValueError whose message ends "The body ..." with why it is unreadable.

    `json.loads` alone fails on some valid JSON with errors that are not bad-JSON errors:
    RecursionError when arrays or objects nest thousands deep, and ValueError for an integer
    of more than 4300 digits (Python's limit on converting strings to int). An integer longer
    than DynamoDB stores is kept as an `OverlongInteger`: a field we read refuses it, one we ignore may hold it.
    NaN and Infinity, which `json.loads` accepts and JSON does not, are refused wherever they are.
    """
    try:
        return json.loads(
            text, parse_int=_integer, parse_constant=_not_json_constant, object_pairs_hook=_object_without_repeated_keys
        )
    except json.JSONDecodeError as error:
        raise ValueError(f"is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}") from None
    except RecursionError:
        raise ValueError("nests arrays or objects too deeply") from None


def _not_json_constant(name: str) -> NoReturn:
    raise ValueError(f"is not valid JSON: {name} is not a JSON value")


def _object_without_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A key given twice is refused: parsers disagree on which value wins, so a proxy or a log could
    read another value than the one we would store."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"gives the key {key!r} twice")
        found[key] = value
    return found


@dataclass(frozen=True)
class OverlongInteger:
    """A request's integer of more than 38 digits, left unconverted: the document lets a client send any
    extra property, so only a field we read may refuse it, and none of ours takes such a number."""

    digits: str


def _integer(digits: str) -> int | OverlongInteger:
    if len(digits.removeprefix("-")) > MAX_DIGITS:
        return OverlongInteger(digits)
    return int(digits)


def has_lone_surrogate(value: str) -> bool:
    """JSON's `\\ud800`-style escapes can decode to half of a UTF-16 pair: not text; DynamoDB refuses it."""
    return _LONE_SURROGATE.search(value) is not None


USER_ID_RULE = f"a user id is 1 to {MAX_USER_ID} characters without spaces, ';', '#' or control characters"


def is_user_id(value: str) -> bool:
    return fullmatch(USER_ID_PATTERN, value) and not has_lone_surrogate(value)


def fullmatch(pattern: str, value: str) -> bool:
    """Whether `pattern` holds for the whole of `value`: `$` alone would also match before a final newline."""
    return re.fullmatch(pattern, value) is not None
