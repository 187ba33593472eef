"""What members learn of membership changes: a notice on the group's queue, or in an inbox.

A queue notice is sent after the change it reports has been committed; failing to send it
never fails the change: botocore retries it, then it is logged and counted.
"""

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any
from uuid import uuid4

from botocore.exceptions import BotoCoreError, ClientError

from chatgroup.clock import iso, now_ms
from chatgroup.models import Chatgroup, InboxMessage, inbox_expiry
from chatgroup.observability import count, logger
from chatgroup.queues import send_to_group


@dataclass(frozen=True)
class Notice:
    """A membership change as members read it from the group's queue."""

    type: str
    chatgroup_id: str
    user: str
    by: str
    at: str
    changes: dict[str, Any] | None = field(default=None)

    def deduplication_id(self) -> str:
        """Stable for one change, so that SQS drops a resend of it within its 5-minute window.

        An update is identified by what it changed (a retried update posts once); a join,
        leave or kick by when it happened (retrying one of those is refused anyway).
        """
        identity = [self.type, self.chatgroup_id, self.user, self.by]
        identity.append(json.dumps(self.changes, sort_keys=True) if self.type == "updated" else self.at)
        return hashlib.sha256("|".join(identity).encode()).hexdigest()

    def body(self) -> str:
        return json.dumps({key: value for key, value in asdict(self).items() if value is not None})


def announce(group: Chatgroup, change: str, user: str, by: str, changes: dict[str, Any] | None = None) -> None:
    """Post a membership change to the group's queue, best effort."""
    notice = Notice(change, group.chatgroup_id, user, by, iso(now_ms()), changes)
    try:
        send_to_group(group.queue_url, group.chatgroup_id, notice.body(), notice.deduplication_id())
    except (BotoCoreError, ClientError):
        logger.exception("Notice not sent", extra={"chatgroup_id": group.chatgroup_id, "notice": notice.type})
        count("NoticesFailed")


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
