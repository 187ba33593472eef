"""Opaque page tokens that cannot be turned into a query of someone else's items."""

import base64
import binascii
import json
from typing import Any

from chatgroup.errors import InvalidRequest

_INVALID = "next_token is not valid for this query; start again without it."


def encode_token(last_evaluated_key: dict[str, Any] | None) -> str | None:
    if not last_evaluated_key:
        return None
    return base64.urlsafe_b64encode(json.dumps(last_evaluated_key, separators=(",", ":")).encode()).decode()


def decode_token(token: str | None, bound: dict[str, str]) -> dict[str, Any] | None:
    """Decode a token, refusing it unless its partition is the one this query is bound to."""
    if token is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, binascii.Error):
        raise InvalidRequest(_INVALID) from None
    if not _is_key(key) or any(key.get(name) != {"S": value} for name, value in bound.items()):
        raise InvalidRequest(_INVALID)
    return key


def _is_key(key: Any) -> bool:
    return (
        isinstance(key, dict)
        and 0 < len(key) <= 4
        and all(
            isinstance(value, dict)
            and len(value) == 1
            and next(iter(value)) in ("S", "N")
            and isinstance(next(iter(value.values())), str)
            for value in key.values()
        )
    )
