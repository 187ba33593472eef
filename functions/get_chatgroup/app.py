"""GET /api/v1/chatgroup/get/{chatgroup_id}: any signed-in user reads a group."""

from chatgroup.api import caller_id, create_app, lambda_handler_for
from chatgroup.groups import get_chatgroup
from chatgroup.observability import tracer
from chatgroup.schemas import ChatgroupView

app = create_app()


@app.get("/api/v1/chatgroup/get/<chatgroup_id>")
@tracer.capture_method
def get(chatgroup_id: str) -> ChatgroupView:
    caller_id(app.current_event)
    return get_chatgroup(chatgroup_id)


lambda_handler = lambda_handler_for(app)
