"""Write cost vs group size: WCU of a join (accept), a leave and a kickout in groups of growing size.

A group of N members is built fast, straight into the tables: the group through the API (so its
queue and item are real), then N-1 membership items by BatchWriteItem, then the group's
`member_count` set to N and its `capacity` to N+1, so that one more can join. Only the
measured request goes through the handler. Its cost must not depend on N.
"""

from dataclasses import dataclass
from typing import Any

from bench.awscalls import Call, Recorder
from bench.operations import CREATE, DELETE, INBOX_CREATE, PUT
from bench.stack import Api, BenchError, function_environment

OPERATIONS = ("join", "leave", "kickout")
BATCH = 25


@dataclass(frozen=True)
class Cost:
    operation: str
    size: int
    wcu: int
    calls: int
    by_table: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "size": self.size,
            "wcu": self.wcu,
            "calls": self.calls,
            "by_table": self.by_table,
        }


def _member(index: int) -> str:
    return f"member{index:05d}"


def build_group(api: Api, dynamodb: Any, size: int) -> str:
    """A live group of `size` members (the creator and member00001...), with room for one more.

    It belongs to an event, as most groups do, so its writes also pay for the by-event index.
    """
    body = {"name": f"Group of {size}", "capacity": 2, "eventid": "bench-event"}
    group = api.ok("POST", CREATE, "creator", body)["chatgroup_id"]
    names = function_environment()
    members = [_member(index) for index in range(1, size)]
    for start in range(0, len(members), BATCH):
        requests = [
            {
                "PutRequest": {
                    "Item": {"chatgroup_id": {"S": group}, "user_id": {"S": user}, "joined_at": {"N": str(1 + n)}}
                }
            }
            for n, user in enumerate(members[start : start + BATCH], start)
        ]
        _batch_write(dynamodb, {names["MEMBERSHIP_TABLE"]: requests})
    dynamodb.update_item(
        TableName=names["CHATGROUP_TABLE"],
        Key={"chatgroup_id": {"S": group}},
        UpdateExpression="SET member_count = :n, #capacity = :c",
        ExpressionAttributeNames={"#capacity": "capacity"},
        ExpressionAttributeValues={":n": {"N": str(size)}, ":c": {"N": str(size + 1)}},
    )
    return group


def _batch_write(dynamodb: Any, request_items: dict[str, Any]) -> None:
    for _ in range(10):
        request_items = dynamodb.batch_write_item(RequestItems=request_items).get("UnprocessedItems") or {}
        if not request_items:
            return
    raise BenchError("BatchWriteItem kept leaving items unprocessed")


def _requests(group: str) -> dict[str, tuple[str, str, str, dict[str, str]]]:
    """Method, path, caller and body of each measured request: `joiner` joins, a member leaves, `joiner` is kicked."""
    return {
        "join": (
            "PUT",
            PUT,
            "creator",
            {"type": "application", "choice": "accept", "chatgroup_id": group, "who_apply": "joiner"},
        ),
        "leave": ("PUT", PUT, _member(1), {"type": "leave", "chatgroup_id": group, "who_leave": _member(1)}),
        "kickout": (
            "DELETE",
            DELETE,
            "creator",
            {"type": "kickout", "chatgroup_id": group, "creator_id": "creator", "who_to_kick_out": "joiner"},
        ),
    }


def _by_table(calls: list[Call]) -> dict[str, int]:
    """WCU per table and per index (`Table/index`), summed over every item the calls wrote."""
    units: dict[str, int] = {}
    for write in (write for call in calls for write in call.writes):
        units[write.table] = units.get(write.table, 0) + write.table_units
        for index, count in write.index_units.items():
            units[f"{write.table}/{index}"] = units.get(f"{write.table}/{index}", 0) + count
    return units


def measure_size(api: Api, recorder: Recorder, dynamodb: Any, size: int) -> list[Cost]:
    """Join, leave and kickout once each, in that order, in a fresh group of `size` members."""
    group = build_group(api, dynamodb, size)
    api.ok("POST", INBOX_CREATE, "joiner", {"type": "application", "chatgroup_id": group})
    costs = []
    for operation, (method, path, user, body) in _requests(group).items():
        with recorder.operation() as calls:
            api.ok(method, path, user, body)
        by_table = _by_table(calls)
        costs.append(Cost(operation, size, sum(by_table.values()), len(calls), by_table))
    return costs


def run(api: Api, recorder: Recorder, dynamodb: Any, sizes: tuple[int, ...]) -> list[Cost]:
    return [cost for size in sizes for cost in measure_size(api, recorder, dynamodb, size)]


def constant_in_size(costs: list[Cost]) -> dict[str, bool]:
    """Per operation: is its WCU the same in every group size measured?"""
    return {op: len({cost.wcu for cost in costs if cost.operation == op}) == 1 for op in OPERATIONS}
