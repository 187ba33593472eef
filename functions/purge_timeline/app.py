"""Background purge on the chatgroup table's stream: a deleted group item deletes its group's timeline.

A dismissal makes the timeline answer 404 at once and deletes the group's item as its last step;
this deletes the timeline's items within a poll of that stream. It reads the chatgroup table's
stream, not the timeline's, because DynamoDB Streams throttles a shard read by more than two
functions, and the fan-out and the queue notices already read the timeline's. A failure fails
the batch, which Lambda retries (a purge can be repeated).
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from chatgroup.items import purge_timeline
from chatgroup.observability import logger
from chatgroup.streams import removed_keys


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> None:
    for chatgroup_id in removed_keys(event, "chatgroup_id"):
        purge_timeline(chatgroup_id)
        logger.info("Timeline purged", extra={"chatgroup_id": chatgroup_id})
