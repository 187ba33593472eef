"""Background purge on the timeline table's stream: a dismissal notice deletes its group's timeline.

The dismissal makes the timeline answer 404 at once; this deletes its items within a poll of
the stream. A failure fails the batch, which Lambda retries (a purge can be repeated).
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from chatgroup.observability import logger
from chatgroup.streams import records_of
from chatgroup.timeline import purge_timeline


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> None:
    for record in records_of(event):
        purge_timeline(record.item.chatgroup_id)
        logger.info("Timeline purged", extra={"chatgroup_id": record.item.chatgroup_id})
