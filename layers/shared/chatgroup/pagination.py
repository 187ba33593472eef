"""Opaque page tokens that cannot be turned into a query of someone else's items."""

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from pynamodb.indexes import Index
from pynamodb.models import Model

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


@dataclass(frozen=True)
class Page[T]:
    items: list[T]
    next_token: str | None


def newest_first[T: Model](index: Index[T], partition: str, value: str, limit: int, token: str | None) -> Page[T]:
    """One page of an index's partition, newest first; the token may only continue this very query."""
    results = index.query(
        value,
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=decode_token(token, {partition: value}),
    )
    items = list(results)
    return Page(items=items, next_token=encode_token(results.last_evaluated_key))
