"""The floor of a REST function: Powertools' event handler, Logger, Tracer and Metrics, and no code of ours.

The cold-start bench times this function beside ours, twice: with the event handler's request
validation (`FLOOR_VALIDATION=on`, which brings pydantic) and without it. It is wired as ours are
(the same decorators, the Tracer patching botocore only, clients from botocore without boto3), and
its one request reads a group with one GetItem through one DynamoDB client, behind a route that
takes a JSON body. What a REST function of ours takes beyond the validated floor is what it adds:
PynamoDB, our layer and models, its request's other AWS calls. The floors' ratios to the baseline
are what Powertools and pydantic cost, less boto3's own import, which the baseline pays and neither
the floors nor our functions do (the baseline's "boto3 + s3transfer", ~28 ms).
"""

import os
from typing import TYPE_CHECKING, Any, cast

import botocore.session
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

VALIDATED = os.environ.get("FLOOR_VALIDATION") == "on"
ROUTE = "/floor"

logger = Logger()
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics()
app = APIGatewayRestResolver(enable_validation=VALIDATED)
_client = cast("DynamoDBClient", botocore.session.get_session().create_client("dynamodb"))


def _group_exists(chatgroup_id: str) -> bool:
    """The baseline's GetItem."""
    key = {"chatgroup_id": {"S": chatgroup_id}}
    return "Item" in _client.get_item(TableName=os.environ["CHATGROUP_TABLE"], Key=key)


if VALIDATED:
    from typing import Annotated

    from aws_lambda_powertools.event_handler.openapi.params import Body
    from pydantic import BaseModel, Field

    class Lookup(BaseModel):
        chatgroup_id: str = Field(min_length=1, max_length=64)

    class Found(BaseModel):
        found: bool

    @app.post(ROUTE)
    @tracer.capture_method
    def look_up(lookup: Annotated[Lookup, Body()]) -> Found:
        return Found(found=_group_exists(lookup.chatgroup_id))

else:

    @app.post(ROUTE)
    @tracer.capture_method
    def look_up_unvalidated() -> dict[str, bool]:
        return {"found": _group_exists(app.current_event.json_body["chatgroup_id"])}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
