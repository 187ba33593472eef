"""Timeline items as clients see them, and the purge of a dismissed group's timeline.

One view of an item goes into REST pages (where `chatgroup.schemas.TimelineView` documents and
checks it) and into WebSocket frames. It is built as plain data so that the stream functions,
which serve no REST route, import no pydantic (docs/decisions/1401-cold-start-and-snapstart.md).
"""

from typing import Any

from chatgroup.clock import iso
from chatgroup.models import TimelineItem

REMOVALS = ("left", "kicked", "banned")
"""Notices after which their `user` no longer receives the group's items."""
DISMISSED = "dismissed"


def item_view(item: TimelineItem) -> dict[str, Any]:
    """A timeline item as clients see it: a `message`, or a `notice` (with `changes` when it has them)."""
    shared = {"seq": int(item.seq), "message_id": item.message_id, "chatgroup_id": item.chatgroup_id}
    created_at = iso(item.created_at)
    if item.type == "message":
        return {
            "type": "message",
            **shared,
            "sender": item.sender or "",
            "text": item.text or "",
            "created_at": created_at,
        }
    notice = {
        "type": "notice",
        **shared,
        "notice": item.notice or "",
        "user": item.user or "",
        "by": item.by or "",
        "created_at": created_at,
    }
    if item.changes is not None:
        notice["changes"] = item.changes
    return notice


def purge_timeline(chatgroup_id: str) -> None:
    """Delete every item of a dismissed group's timeline: a Query of keys, BatchWriteItem 25 at a time.

    Run in the background on the dismissal notice; deleting what is already gone is harmless, so
    a retried purge finishes the job.
    """
    with TimelineItem.batch_write() as batch:
        for item in TimelineItem.query(chatgroup_id, attributes_to_get=["chatgroup_id", "seq"], consistent_read=True):
            batch.delete(item)
