"""Powertools Logger, Tracer and Metrics, configured by the POWERTOOLS_* variables of template.yaml."""

import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger()
# Every AWS call goes through botocore (PynamoDB's too): patching only it keeps X-Ray's other
# patchers (requests, httplib, sqlite3, ...) out of the cold start.
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics()
# Reads record no metric by design; Powertools would warn about that on every invocation.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)


def count(event: str) -> None:
    """Count a domain event (ChatgroupsCreated, MembersJoined, ...) in the function's metrics."""
    metrics.add_metric(name=event, unit=MetricUnit.Count, value=1)
