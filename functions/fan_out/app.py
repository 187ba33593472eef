"""Fan-out on the timeline table's stream: each new item to the WebSocket connections of its recipients.

Inserts only (FilterCriteria), one batch at a time per shard; a record that cannot be delivered
is reported failed with every later record of its group, so a retry never reorders a group.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from chatgroup.fanout import deliver_group
from chatgroup.observability import logger, metrics, tracer
from chatgroup.streams import deliver_in_group_order


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return deliver_in_group_order(event, deliver_group)
