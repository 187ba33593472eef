"""DynamoDB read and write capacity as DynamoDB bills it, computed from item sizes.

moto answers ReturnConsumedCapacity with fixed placeholders (1.0 for any single write and
nothing at all for TransactWriteItems), so the bench computes the units itself. Reads:

- a GetItem, and each key of a BatchGetItem, costs one read unit per started 4 KB of its item
  (a key with no item still costs one), half of that when eventually consistent;
- a Query costs one read unit per started 4 KB of the items it reads, summed before rounding,
  half when eventually consistent; a projection or a filter does not lower it (DynamoDB reads
  whole items, then drops what the filter or projection leaves out).

Writes:

- an item's size is the sum of its attribute names' UTF-8 lengths and its values' sizes
  (a number: 1 byte per two significant digits, plus 1);
- a standard write costs 1 WCU per started KB of the larger of the item before and after;
  a transactional one twice that; a transaction's ConditionCheck is billed as a
  transactional write of the item it checks;
- each secondary index whose entry the write creates, changes or removes costs one more
  write per started KB of the entry (two when the index key changes: a delete and a put),
  at the standard rate. The 100 bytes of per-entry overhead DynamoDB counts for index
  storage are not counted here.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from devstack.template import load_template, table_definitions

Item = Mapping[str, Mapping[str, Any]]
KB = 1024
READ_KB = 4 * KB


def value_size(value: Mapping[str, Any]) -> int:
    """Bytes of one AttributeValue in DynamoDB's wire shape (`{"S": "..."}`, `{"N": "12"}`, ...)."""
    ((kind, data),) = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "N":
        return _number_size(data)
    if kind == "B":
        return len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(member.encode()) for member in data)
    if kind == "NS":
        return sum(_number_size(member) for member in data)
    if kind == "BS":
        return sum(len(member) for member in data)
    if kind == "L":
        return 3 + sum(1 + value_size(member) for member in data)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + value_size(member) for name, member in data.items())
    raise ValueError(f"unknown AttributeValue type {kind}")


def _number_size(text: str) -> int:
    digits = Decimal(text).normalize().as_tuple().digits
    return math.ceil(len(digits) / 2) + 1


def item_size(item: Item | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def units(size: int) -> int:
    """Write units of one write: a started KB costs a whole unit, and even an empty write costs one."""
    return max(1, math.ceil(size / KB))


def read_units(sizes: list[int], *, consistent: bool, per_item: bool) -> float:
    """Read units of one read request: per item (GetItem, BatchGetItem) or over the sum of sizes (Query)."""
    factor = 1.0 if consistent else 0.5
    if per_item:
        return factor * sum(max(1, math.ceil(size / READ_KB)) for size in sizes)
    return factor * max(1, math.ceil(sum(sizes) / READ_KB))


@dataclass(frozen=True)
class IndexSpec:
    name: str
    keys: tuple[str, ...]
    projection: str
    included: tuple[str, ...]


@dataclass(frozen=True)
class TableSpec:
    name: str
    keys: tuple[str, ...]
    indexes: tuple[IndexSpec, ...]

    def key_of(self, item: Item) -> dict[str, Any]:
        return {name: item[name] for name in self.keys}


def table_specs() -> dict[str, TableSpec]:
    """Keys and indexes of template.yaml's tables, by the table names the bench gives them."""
    specs = {}
    for definition in table_definitions(load_template()).values():
        indexes = [
            IndexSpec(
                name=index["IndexName"],
                keys=tuple(key["AttributeName"] for key in index["KeySchema"]),
                projection=index["Projection"]["ProjectionType"],
                included=tuple(index["Projection"].get("NonKeyAttributes", ())),
            )
            for index in [*definition.get("GlobalSecondaryIndexes", []), *definition.get("LocalSecondaryIndexes", [])]
        ]
        keys = tuple(key["AttributeName"] for key in definition["KeySchema"])
        specs[definition["TableName"]] = TableSpec(definition["TableName"], keys, tuple(indexes))
    return specs


def index_entry(item: Item | None, table: TableSpec, index: IndexSpec) -> dict[str, Any] | None:
    """The entry an item has in an index, or None when it lacks an index key (a sparse index skips it)."""
    if not item or any(key not in item for key in index.keys):
        return None
    if index.projection == "ALL":
        return dict(item)
    kept = {*table.keys, *index.keys, *(index.included if index.projection == "INCLUDE" else ())}
    return {name: value for name, value in item.items() if name in kept}


def index_units(before: Item | None, after: Item | None, table: TableSpec, index: IndexSpec) -> int:
    old, new = index_entry(before, table, index), index_entry(after, table, index)
    if old is None and new is None:
        return 0
    if old is None or new is None:
        return units(item_size(old or new))
    if all(old[key] == new[key] for key in index.keys):
        return 0 if old == new else units(max(item_size(old), item_size(new)))
    return units(item_size(old)) + units(item_size(new))


@dataclass(frozen=True)
class WriteCost:
    """What one item of a write request costs, on its table and on each of its indexes."""

    table: str
    action: str
    transactional: bool
    size_before: int
    size_after: int
    table_units: int
    index_units: dict[str, int]

    @property
    def total(self) -> int:
        return self.table_units + sum(self.index_units.values())


def write_cost(
    table: TableSpec, action: str, before: Item | None, after: Item | None, *, transactional: bool
) -> WriteCost:
    """Bill one item: `before` and `after` are the item as stored around the request (None: absent)."""
    size_before, size_after = item_size(before), item_size(after)
    factor = 2 if transactional else 1
    if action == "ConditionCheck":
        return WriteCost(table.name, action, transactional, size_before, size_before, factor * units(size_before), {})
    indexes = {index.name: index_units(before, after, table, index) for index in table.indexes}
    return WriteCost(
        table=table.name,
        action=action,
        transactional=transactional,
        size_before=size_before,
        size_after=size_after,
        table_units=factor * units(max(size_before, size_after)),
        index_units={name: count for name, count in indexes.items() if count},
    )
