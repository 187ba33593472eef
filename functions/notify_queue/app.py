"""Queue notices on the timeline table's stream: each committed membership notice to the group's SQS queue.

Membership notices only (FilterCriteria; `dismissed` is internal), one batch at a time per
shard; a notice that cannot be sent is reported failed with every later record of its group, so
the stream retries it and the queue's order never breaks. The deduplication id (group and seq)
makes a retried send land once.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from chatgroup.notices import post_notices
from chatgroup.observability import logger, metrics, tracer
from chatgroup.streams import deliver_in_group_order


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return deliver_in_group_order(event, post_notices)
