"""Opaque page tokens that cannot be turned into a query of someone else's items, nor into a malformed one.

A token is the Query's LastEvaluatedKey, base64-encoded. Coming back, it is the caller's input:
DynamoDB refuses an ExclusiveStartKey that is not exactly the key of the index being queried
(the table's key attributes plus the index's, each of its declared type, numbers well formed)
with a ValidationException, which is our failure, not the caller's. So a token is checked
against the index's key schema here, and refused as bad input unless it fits.
"""

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from pynamodb.expressions.condition import Condition
from pynamodb.indexes import Index
from pynamodb.models import Model

from chatgroup.errors import InvalidRequest
from chatgroup.rules import has_lone_surrogate

_INVALID = "next_token is not valid for this query; start again without it."
_NUMBER = re.compile(r"-?(0|[1-9][0-9]{0,37})")
"""Our key numbers are integers (milliseconds); DynamoDB keeps 38 significant digits."""
_MAX_KEY_BYTES = 1024
"""DynamoDB's limit for a sort key value (a partition key may hold 2048 bytes); ours are far shorter."""


def encode_token(last_evaluated_key: dict[str, Any] | None) -> str | None:
    """The key as UTF-8 JSON in base64: escaping non-ASCII (`\\ud83d\\ude00`) would triple a long user id's share,
    past the length a token may have coming back (`MAX_PAGE_TOKEN`)."""
    if not last_evaluated_key:
        return None
    text = json.dumps(last_evaluated_key, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode()


def decode_token(token: str | None, key_schema: dict[str, str], bound: dict[str, str]) -> dict[str, Any] | None:
    """Decode a token, refusing it unless it is a key of `key_schema` (name: S or N) within the `bound` partition."""
    if token is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, binascii.Error):
        raise InvalidRequest(_INVALID) from None
    if not _fits(key, key_schema) or any(key[name] != {"S": value} for name, value in bound.items()):
        raise InvalidRequest(_INVALID)
    return key


def _fits(key: Any, key_schema: dict[str, str]) -> bool:
    """Exactly the schema's attributes, each a well-formed value of its type."""
    return (
        isinstance(key, dict)
        and key.keys() == key_schema.keys()
        and all(_is_value(key[name], attribute_type) for name, attribute_type in key_schema.items())
    )


def _is_value(value: Any, attribute_type: str) -> bool:
    if not (isinstance(value, dict) and value.keys() == {attribute_type} and isinstance(value[attribute_type], str)):
        return False
    text: str = value[attribute_type]
    if attribute_type == "N":
        return _NUMBER.fullmatch(text) is not None
    return not has_lone_surrogate(text) and 0 < len(text.encode()) <= _MAX_KEY_BYTES


def key_schema(index: Index[Any]) -> dict[str, str]:
    """The attributes (name: DynamoDB type) of a key that a Query on `index` returns: the table's and the index's."""
    model: type[Model] = index._model  # set by PynamoDB when the index is declared on its model
    return _keys([*model.get_attributes().values(), *type(index).Meta.attributes.values()])


def _keys(attributes: list[Any]) -> dict[str, str]:
    return {
        attribute.attr_name: attribute.attr_type
        for attribute in attributes
        if attribute.is_hash_key or attribute.is_range_key
    }


@dataclass(frozen=True)
class Page[T]:
    items: list[T]
    next_token: str | None


def newest_first[T: Model](
    index: Index[T], partition: str, value: str, limit: int, token: str | None, only: Condition | None = None
) -> Page[T]:
    """One page of an index's partition, newest first; the token may only continue this very query.

    With `only` (a filter), the page still holds `limit` items unless the partition ends: DynamoDB
    applies `Limit` before the filter, so the Query goes on until the page is full, and the token
    is the key of the last item shown (PynamoDB's `last_evaluated_key` in the middle of a page).
    """
    results = index.query(
        value,
        scan_index_forward=False,
        filter_condition=only,
        limit=limit,
        last_evaluated_key=decode_token(token, key_schema(index), {partition: value}),
    )
    items = list(results)
    return Page(items=items, next_token=encode_token(results.last_evaluated_key))


def in_key_order[T: Model](model: type[T], partition: str, value: str, limit: int, token: str | None) -> Page[T]:
    """One page of a table's partition in sort-key order; the token may only continue this very query."""
    results = model.query(
        value,
        limit=limit,
        last_evaluated_key=decode_token(token, _keys(list(model.get_attributes().values())), {partition: value}),
        consistent_read=True,
    )
    items = list(results)
    return Page(items=items, next_token=encode_token(results.last_evaluated_key))
