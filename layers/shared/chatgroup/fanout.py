"""Live delivery: each timeline item to the WebSocket connections of everyone who may read it.

Recipients of an item of seq s are the group's members at delivery time (read consistently)
and the users removed after s (their removal notice has a seq above s): a removed user gets
every item below their removal, then `revoked`, then nothing more. Members read the whole
history anyway, so a user who joined after s may get it too. A dismissal revokes every member.
Delivery is at least once: a retried batch posts again, and clients drop a seq they have seen.
"""

import contextvars
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from chatgroup.clients import create_client
from chatgroup.connections import connections_of, remove_stale
from chatgroup.items import DISMISSED, REMOVALS, item_view
from chatgroup.jsontext import compact_json
from chatgroup.models import Membership, TimelineItem
from chatgroup.observability import count, logger
from chatgroup.settings import get_settings
from chatgroup.streams import Record

if TYPE_CHECKING:
    from mypy_boto3_apigatewaymanagementapi import ApiGatewayManagementApiClient

MAX_FRAME_BYTES = 32_000
"""API Gateway closes a socket that is sent a frame over 32 KB (32,768 bytes); a margin below it."""
POSTERS = 32
"""PostToConnection calls in flight at once: 1,000 connections in about 1 s at ~30 ms each."""


@dataclass(frozen=True)
class Frame:
    """One PostToConnection: its JSON, and the index (in the group's records) of the first record it carries."""

    data: bytes
    first_record: int


@cache
def _management() -> "ApiGatewayManagementApiClient":
    """The @connections API of this stack's WebSocket API (its callback URL), and nothing else."""
    return create_client(
        "apigatewaymanagementapi",
        region_name=get_settings().region,
        endpoint_url=get_settings().websocket_callback_url,
        config=Config(
            connect_timeout=2,
            read_timeout=5,
            retries={"mode": "standard", "max_attempts": 3},
            max_pool_connections=POSTERS,
        ),
    )


def deliver_group(chatgroup_id: str, records: list[Record]) -> int | None:
    """Post a group's records, in seq order, to every recipient's connections; the first undelivered index."""
    cutoffs = _cutoffs(chatgroup_id, records)
    connections = connections_of(cutoffs)
    jobs = [
        (user, connection_id, _frames(records, cutoffs[user]))
        for user, connection_ids in connections.items()
        for connection_id in connection_ids
    ]
    jobs = [job for job in jobs if job[2]]
    if not jobs:
        return None
    # Created here, once: the posting threads would each create one (botocore sessions are per thread).
    client = _management()
    with ThreadPoolExecutor(max_workers=POSTERS) as posters:
        # Each post runs in a copy of this thread's context (copied here, before it starts), so that what the
        # context carries, such as the X-Ray segment the posts belong to, reaches the posting threads.
        posts = [
            posters.submit(contextvars.copy_context().run, _post_all, client, user, connection, frames)
            for user, connection, frames in jobs
        ]
        undelivered = [index for post in posts if (index := post.result()) is not None]
    count_frames = sum(len(frames) for _, _, frames in jobs)
    logger.debug("Fan-out", extra={"chatgroup_id": chatgroup_id, "connections": len(jobs), "frames": count_frames})
    return min(undelivered, default=None)


def _cutoffs(chatgroup_id: str, records: list[Record]) -> dict[str, float]:
    """For each recipient, the seq from which they get nothing (infinity for a current member).

    Removals are read from the timeline from the batch's first seq: those after the batch count
    too, since a user removed later was a member when the batch's items were written. The batch's
    own removals count even if the background purge of a dismissed group deleted them already.
    """
    first_seq = int(records[0].item.seq)
    members = {m.user_id for m in Membership.query(chatgroup_id, consistent_read=True, attributes_to_get=["user_id"])}
    cutoffs: dict[str, float] = dict.fromkeys(members, float("inf"))
    removals = TimelineItem.query(
        chatgroup_id,
        TimelineItem.seq >= first_seq,
        filter_condition=TimelineItem.notice.is_in(*REMOVALS, DISMISSED),
        consistent_read=True,
        attributes_to_get=["seq", "notice", "user", "members"],
    )
    found = {int(removal.seq): removal for removal in removals}
    for record in records:
        if record.item.notice in (*REMOVALS, DISMISSED):
            found.setdefault(int(record.item.seq), record.item)
    for removal in found.values():
        removed = (removal.members or set()) if removal.notice == DISMISSED else {removal.user or ""}
        for user in removed:
            if removal.notice == DISMISSED or user not in members:
                cutoffs[user] = min(cutoffs.get(user, float("inf")), int(removal.seq))
    return cutoffs


def _frames(records: list[Record], cutoff: float) -> list[Frame]:
    """The frames one connection gets: its items in seq order, packed under 32 KB, then `revoked` if it was."""
    frames: list[Frame] = []
    pending: list[tuple[int, dict[str, Any]]] = []
    for index, record in enumerate(records):
        item = record.item
        if item.seq >= cutoff:
            if item.seq == cutoff:
                frames += _packed(pending)
                pending = []
                revoked = {"type": "revoked", "chatgroup_id": item.chatgroup_id, "reason": item.notice}
                frames.append(Frame(compact_json(revoked).encode(), index))
            break
        if item.notice != DISMISSED:
            pending.append((index, item_view(item)))
    return frames + _packed(pending)


def _packed(items: list[tuple[int, dict[str, Any]]]) -> list[Frame]:
    """One item alone, several as `{"type": "batch", "items": [...]}`: as few frames as fit under the limit."""
    frames: list[Frame] = []
    chunk: list[tuple[int, dict[str, Any]]] = []
    for entry in items:
        if chunk and len(_frame_of([*chunk, entry])) > MAX_FRAME_BYTES:
            frames.append(Frame(_frame_of(chunk), chunk[0][0]))
            chunk = []
        chunk.append(entry)
    if chunk:
        frames.append(Frame(_frame_of(chunk), chunk[0][0]))
    return frames


def _frame_of(chunk: list[tuple[int, dict[str, Any]]]) -> bytes:
    if len(chunk) == 1:
        return compact_json(chunk[0][1]).encode()
    return compact_json({"type": "batch", "items": [item for _, item in chunk]}).encode()


def _post_all(
    client: "ApiGatewayManagementApiClient", user: str, connection_id: str, frames: Iterable[Frame]
) -> int | None:
    """Post the frames in order; stop at a gone connection (forgotten) or a failure (its first record)."""
    for frame in frames:
        try:
            client.post_to_connection(ConnectionId=connection_id, Data=frame.data)
        except client.exceptions.GoneException:
            remove_stale(user, connection_id)
            return None
        except (ClientError, BotoCoreError):
            logger.exception("Frame not delivered", extra={"connection_id": connection_id})
            count("FramesFailed")
            return frame.first_record
        count("FramesPosted")
    return None
