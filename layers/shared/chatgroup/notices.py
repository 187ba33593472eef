"""What members learn of membership changes: a notice on the group's queue, or in an inbox.

A queue notice is sent from the timeline's stream (the notifier function), never by the request:
the change's own transaction wrote it into the timeline, so a committed change always has its
notice, and one that was not committed never does. Its deduplication id is the group and the
seq, so SQS drops a retried send of it, and two changes with the same content (a rename A->B->A)
are two notices.
"""

import json
from dataclasses import asdict, dataclass, field
from typing import Any
from uuid import uuid4

from botocore.exceptions import BotoCoreError, ClientError

from chatgroup.clock import iso, now_ms
from chatgroup.models import InboxMessage, TimelineItem, inbox_expiry
from chatgroup.observability import count, logger
from chatgroup.queues import group_queue_url, send_to_group
from chatgroup.streams import Record


@dataclass(frozen=True)
class Notice:
    """A membership change as members read it from the group's queue."""

    type: str
    chatgroup_id: str
    user: str
    by: str
    at: str
    changes: dict[str, Any] | None = field(default=None)

    @classmethod
    def of(cls, item: TimelineItem) -> "Notice":
        """The queue's view of a timeline notice: its kind, who, by whom, when it was committed."""
        return cls(
            item.notice or "", item.chatgroup_id, item.user or "", item.by or "", iso(item.created_at), item.changes
        )

    def body(self) -> str:
        return json.dumps({key: value for key, value in asdict(self).items() if value is not None})


def deduplication_id(item: TimelineItem) -> str:
    """One per committed change: SQS drops a resend of the same group and seq within its 5-minute window."""
    return f"{item.chatgroup_id}-{int(item.seq)}"


def post_notices(chatgroup_id: str, records: list[Record]) -> int | None:
    """Post a group's notices to its queue in seq order; the index of the first not sent, or None.

    The stream retries that record and every later one of the group, so the queue's order never
    breaks. A queue that is gone belongs to a dismissed group, which nobody reads: skipped.
    """
    queue_url = group_queue_url(chatgroup_id)
    for index, record in enumerate(records):
        try:
            sent = send_to_group(queue_url, chatgroup_id, Notice.of(record.item).body(), deduplication_id(record.item))
        except (BotoCoreError, ClientError):
            logger.exception("Notice not sent; the stream retries it", extra={"chatgroup_id": chatgroup_id})
            count("NoticesFailed")
            return index
        count("NoticesSent" if sent else "NoticesToGoneQueues")
    return None


def inbox_notice(
    recipient: str, notice_type: str, chatgroup_id: str, sender: str, key: str | None = None
) -> InboxMessage:
    """An inbox message that reports an outcome; a fixed `key` makes re-sending it overwrite, not repeat."""
    message_id = uuid4().hex
    created_at = now_ms()
    return InboxMessage(
        recipient,
        f"notice#{key or message_id}",
        message_id=message_id,
        type=notice_type,
        chatgroup_id=chatgroup_id,
        sender_id=sender,
        created_at=created_at,
        expires_at=inbox_expiry(created_at),
    )
