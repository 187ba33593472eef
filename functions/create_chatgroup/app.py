"""POST /api/v1/chatgroup/create: the caller creates a group and becomes its first member."""

from aws_lambda_powertools.metrics import MetricUnit

from chatgroup.api import caller_id, create_app, lambda_handler_for
from chatgroup.groups import create_chatgroup
from chatgroup.observability import metrics, tracer
from chatgroup.schemas import CreateChatgroupRequest, CreateChatgroupResponse

app = create_app()


@app.post("/api/v1/chatgroup/create")
@tracer.capture_method
def create(request: CreateChatgroupRequest) -> CreateChatgroupResponse:
    group = create_chatgroup(caller_id(app.current_event), request)
    metrics.add_metric(name="ChatgroupsCreated", unit=MetricUnit.Count, value=1)
    return CreateChatgroupResponse(chatgroup_id=group.chatgroup_id, sqs=group.queue_arn)


lambda_handler = lambda_handler_for(app)
