"""PynamoDB models: one per table of template.yaml."""

from pynamodb.attributes import (
    JSONAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.connection.table import TableConnection
from pynamodb.indexes import (
    AllProjection,
    GlobalSecondaryIndex,
    IncludeProjection,
    KeysOnlyProjection,
    LocalSecondaryIndex,
)
from pynamodb.models import Model

from chatgroup.clients import dynamodb
from chatgroup.settings import get_settings

_settings = get_settings()


class _TableMeta:
    region = _settings.region
    host = _settings.dynamodb_endpoint
    connect_timeout_seconds = 2
    read_timeout_seconds = 5
    max_retry_attempts = 3


class _Table(Model):
    """A model whose table is reached through the connection every table shares (`chatgroup.clients`)."""

    @classmethod
    def _get_connection(cls) -> TableConnection:
        table = super()._get_connection()
        shared = dynamodb()
        if table.connection is not shared:
            shared.add_meta_table(table.get_meta_table())
            table.connection = shared
        return table


class ChatgroupsByEvent(GlobalSecondaryIndex["Chatgroup"]):
    """An event's groups, newest first; sparse: a group without an event (or being dismissed) is not in it."""

    class Meta:
        index_name = "by_event"
        projection = AllProjection()

    event_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class Chatgroup(_Table):
    """A chat group; `member_count` is the one counter every join and leave conditions on."""

    class Meta(_TableMeta):
        table_name = _settings.chatgroup_table

    chatgroup_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    creator_id = UnicodeAttribute()
    capacity = NumberAttribute()
    member_count = NumberAttribute()
    event_id = UnicodeAttribute(null=True)
    photo = UnicodeAttribute(null=True)
    queue_url = UnicodeAttribute()
    queue_arn = UnicodeAttribute()
    created_at = NumberAttribute()
    dismissed_at = NumberAttribute(null=True)
    last_seq = NumberAttribute(null=True)
    """The seq of the newest timeline item; absent until the first one. Each timeline write moves it by one."""
    previous_creator = UnicodeAttribute(null=True)
    """Who handed the group over, set by a transfer: that user may re-run the move of their pending applications."""
    by_event = ChatgroupsByEvent()


class MembershipsByUser(GlobalSecondaryIndex["Membership"]):
    """A user's groups, most recently joined first."""

    class Meta:
        index_name = "by_user"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)
    joined_at = NumberAttribute(range_key=True)


class Membership(_Table):
    """One item per (group, member): a join or a leave writes one item, whatever the group's size."""

    class Meta(_TableMeta):
        table_name = _settings.membership_table

    chatgroup_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)
    joined_at = NumberAttribute()
    by_user = MembershipsByUser()


class InboxByTime(LocalSecondaryIndex["InboxMessage"]):
    """A recipient's messages in the order they arrived."""

    class Meta:
        index_name = "by_time"
        projection = AllProjection()

    recipient_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class InboxByChatgroup(GlobalSecondaryIndex["InboxMessage"]):
    """Every pending message about a group, so that dismissing it can remove them."""

    class Meta:
        index_name = "by_chatgroup"
        projection = KeysOnlyProjection()

    chatgroup_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class InboxBySender(GlobalSecondaryIndex["InboxMessage"]):
    """What a user sent, newest first: one Query per page of `GET /api/v1/inbox/sent`.

    It projects what that page shows and filters on (type, expiry), so a page needs no read
    of the table; the text is the bulk of it. Notices carry a sender too (the decider) and are in it.
    """

    class Meta:
        index_name = "by_sender"
        projection = IncludeProjection(["message_id", "type", "chatgroup_id", "message", "expires_at"])

    sender_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class InboxMessage(_Table):
    """A message in a user's inbox.

    `pending_key` is `<type>#<chatgroup_id>#<subject>` for an application (subject: the
    applicant) or an invitation (subject: the invitee), so that a conditional put allows
    one pending message per group and user, and a decision finds it with one read.
    Notices (a decision's outcome, a dismissal) are keyed `notice#...`. Every message expires
    by TTL, so that nothing lingers, e.g. a pending message that a dismissal's index read missed.
    """

    class Meta(_TableMeta):
        table_name = _settings.inbox_table

    recipient_id = UnicodeAttribute(hash_key=True)
    pending_key = UnicodeAttribute(range_key=True)
    message_id = UnicodeAttribute()
    type = UnicodeAttribute()
    chatgroup_id = UnicodeAttribute()
    sender_id = UnicodeAttribute()
    message = UnicodeAttribute(null=True)
    created_at = NumberAttribute()
    expires_at = NumberAttribute(null=True)
    by_time = InboxByTime()
    by_chatgroup = InboxByChatgroup()
    by_sender = InboxBySender()


class QuotaUsage(_Table):
    """The quota slots one user holds: each slot is an element of a string set, counted with `size()`.

    `groups`: ids of the live groups the user created. `pending`: one `pending_slot` per application
    or invitation the user sent that awaits a decision. Set elements make taking a slot and giving
    it back idempotent, and giving back works whether or not the item exists. An empty set is no
    attribute at all (DynamoDB stores no empty sets).
    """

    class Meta(_TableMeta):
        table_name = _settings.quota_table

    user_id = UnicodeAttribute(hash_key=True)
    groups = UnicodeSetAttribute(null=True)
    pending = UnicodeSetAttribute(null=True)


PENDING_TYPES = ("application", "invitation")
INBOX_RETENTION_SECONDS = 30 * 86_400
"""Inbox messages, pending or not, expire (DynamoDB TTL) a month after they were sent."""


def inbox_expiry(created_at_ms: int) -> int:
    return created_at_ms // 1000 + INBOX_RETENTION_SECONDS


def pending_key(message_type: str, chatgroup_id: str, subject_id: str) -> str:
    """Key of the one pending message of a type about a group and a user."""
    return f"{message_type}#{chatgroup_id}#{subject_id}"


def is_pending(key: str) -> bool:
    return key.split("#", 1)[0] in PENDING_TYPES


def subject_of(key: str) -> str:
    """The user a pending message is about: the applicant, or the invitee."""
    return key.rsplit("#", 1)[1]


def pending_slot(message: InboxMessage) -> str:
    """The sender's quota slot for a pending message: the message's key, `<recipient> <pending_key>`.

    A user id never holds whitespace (Cognito usernames cannot, and the API refuses it), so the
    first space separates the two.
    """
    return f"{message.recipient_id} {message.pending_key}"


def message_of_slot(slot: str) -> tuple[str, str]:
    """The (recipient_id, pending_key) of the message a pending slot stands for."""
    recipient, key = slot.split(" ", 1)
    return recipient, key


class TimelineItem(_Table):
    """One item of a group's timeline: a chat message or a membership notice, ordered by `seq`.

    `seq` is written in the same transaction that moves the group's `last_seq` to it, so seq n+1
    can never commit before seq n. A dismissal writes a last notice, `dismissed`, naming the
    `members` to revoke; it is internal (the timeline answers 404 from then on) and tells the
    background purge to delete the group's items.
    """

    class Meta(_TableMeta):
        table_name = _settings.timeline_table

    chatgroup_id = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    type = UnicodeAttribute()
    message_id = UnicodeAttribute()
    created_at = NumberAttribute()
    sender = UnicodeAttribute(null=True)
    text = UnicodeAttribute(null=True)
    notice = UnicodeAttribute(null=True)
    user = UnicodeAttribute(null=True)
    by = UnicodeAttribute(null=True)
    changes = JSONAttribute(null=True)
    members = UnicodeSetAttribute(null=True)


class Ban(_Table):
    """A user kept out of a group: every way in (applying, being invited, accepting) checks that none exists."""

    class Meta(_TableMeta):
        table_name = _settings.ban_table

    chatgroup_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)
    by = UnicodeAttribute()
    at = NumberAttribute()


class SendRate(_Table):
    """How many messages a user sent in one fixed window: one item per (user, window), expired by TTL."""

    class Meta(_TableMeta):
        table_name = _settings.send_rate_table

    user_window = UnicodeAttribute(hash_key=True)
    sends = NumberAttribute(null=True)
    expires_at = NumberAttribute(null=True)


class ClientMessage(_Table):
    """A message sent under a client_msg_id: its first answer, kept 24 hours so that a resend gets it back.

    Written in the send's own transaction, so it exists exactly when the message does. The key is
    `<sender>#<chatgroup_id>#<client_msg_id>`: neither a user id nor a group id holds `#`, so the
    first two separate the parts, and whatever follows (`#` included) is the client's id. The
    text is kept as its SHA-256 only, enough to tell a resend from another message.
    """

    class Meta(_TableMeta):
        table_name = _settings.client_message_table

    sender_group_msg = UnicodeAttribute(hash_key=True)
    message_id = UnicodeAttribute()
    seq = NumberAttribute()
    created_at = NumberAttribute()
    text_sha256 = UnicodeAttribute()
    expires_at = NumberAttribute()


def client_message_key(sender: str, chatgroup_id: str, client_msg_id: str) -> str:
    """The ClientMessage key of a sender's client_msg_id in a group (see ClientMessage for why it is unambiguous)."""
    return f"{sender}#{chatgroup_id}#{client_msg_id}"


class UserConnections(_Table):
    """A user's open connections: `connections` maps a connection id to when it was opened (epoch ms)."""

    class Meta(_TableMeta):
        table_name = _settings.connections_table

    user_id = UnicodeAttribute(hash_key=True)
    connections: MapAttribute[str, float] = MapAttribute()
    expires_at = NumberAttribute(null=True)
