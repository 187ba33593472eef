"""The HTTP edge shared by every function: the resolver, the caller's identity, errors as HTTP."""

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

from chatgroup.errors import ChatgroupError, InvalidRequest, NotAuthenticated
from chatgroup.observability import logger, metrics, tracer
from chatgroup.schemas import ErrorResponse


def create_app() -> APIGatewayRestResolver:
    """A REST resolver that validates requests and maps every error to `{"result": "fail", "reason"}`."""
    cors = CORSConfig(allow_origin="*", max_age=300, expose_headers=["Retry-After"])
    app = APIGatewayRestResolver(enable_validation=True, cors=cors)
    app.use([_limit_body_size])
    app.exception_handler(ChatgroupError)(_refused)
    app.exception_handler(RequestValidationError)(_invalid)
    app.exception_handler(RequestUnsupportedContentType)(_not_json)
    app.exception_handler(ValueError)(lambda error: _unreadable_body(app, error))
    app.exception_handler([PynamoDBException, BotoCoreError, ClientError])(_unavailable)
    app.exception_handler(Exception)(_internal)
    return app


MAX_BODY_BYTES = 64 * 1024
"""Far above the largest valid request (99 initial members), far below API Gateway's 10 MB."""


def _limit_body_size(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    body = app.current_event.body or ""
    if len(body.encode()) > MAX_BODY_BYTES:
        raise InvalidRequest(f"The request body is larger than {MAX_BODY_BYTES // 1024} KiB.")
    return next_middleware(app)


def responses(*refusals: HTTPStatus) -> dict[int, OpenAPIResponse]:
    """A route's documented answers: 200 (its return type), bad input, no user, AWS down, and its `refusals`."""
    always = (HTTPStatus.BAD_REQUEST, HTTPStatus.UNAUTHORIZED, HTTPStatus.SERVICE_UNAVAILABLE)
    failures: dict[int, OpenAPIResponse] = {
        int(status): {
            "description": status.phrase,
            "content": {content_types.APPLICATION_JSON: {"model": ErrorResponse}},
        }
        for status in sorted({*always, *refusals})
    }
    success: OpenAPIResponse = {"description": "OK"}
    return {int(HTTPStatus.OK): success} | failures


def caller_id(event: APIGatewayProxyEvent) -> str:
    """The signed-in user: the Cognito username in the authorizer's claims (ID or access token)."""
    claims = event.request_context.authorizer.claims or {}
    username = claims.get("cognito:username") or claims.get("username")
    if not isinstance(username, str) or not username:
        raise NotAuthenticated("Sign in: the request carries no Cognito user.")
    return username


def websocket_caller(event: dict[str, Any]) -> str:
    """The user a WebSocket connection belongs to: the principal our $connect authorizer returned."""
    authorizer = event.get("requestContext", {}).get("authorizer") or {}
    username = authorizer.get("principalId")
    if not isinstance(username, str) or not username:
        raise NotAuthenticated("The connection carries no authorized user.")
    return username


def _fail(status: HTTPStatus, reason: str, headers: dict[str, str] | None = None) -> Response[str]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=ErrorResponse(reason=reason).model_dump_json(),
        headers=headers,
    )


def _refused(error: ChatgroupError) -> Response[str]:
    logger.info("Request refused", extra={"status": int(error.status), "reason": str(error)})
    return _fail(error.status, str(error), error.headers())


def _invalid(error: RequestValidationError) -> Response[str]:
    reason = "; ".join(_describe(detail) for detail in error.errors()[:3])
    logger.info("Request invalid", extra={"reason": reason})
    return _fail(HTTPStatus.BAD_REQUEST, reason)


def _not_json(error: Exception) -> Response[str]:
    return _fail(HTTPStatus.BAD_REQUEST, "Send the request body as JSON, with Content-Type: application/json.")


def _unreadable_body(app: APIGatewayRestResolver, error: ValueError) -> Response[str]:
    """Powertools fails on a multipart body without a boundary with a bare ValueError: bad input. Else a bug."""
    if app.current_event.headers.get("Content-Type", "").lower().startswith("multipart/"):
        return _not_json(error)
    return _internal(error)


def _describe(detail: dict[str, Any]) -> str:
    """One validation problem as a sentence: where it is and what is wrong."""
    if detail.get("type") == "json_invalid":
        return "The request body is not valid JSON."
    location = ".".join(str(part) for part in detail.get("loc", ())[1:])
    message = str(detail.get("msg", "is invalid")).removeprefix("Value error, ")
    if detail.get("type") == "union_tag_invalid":
        expected = detail.get("ctx", {}).get("expected_tags", "")
        return f"type must be one of {expected}."
    if detail.get("type") == "union_tag_not_found":
        return "type is required."
    return f"{location}: {message}" if location else f"The request body is invalid: {message}"


def _unavailable(error: Exception) -> Response[str]:
    logger.exception("AWS dependency failed")
    return _fail(HTTPStatus.SERVICE_UNAVAILABLE, "A backing service failed; please retry.")


def _internal(error: Exception) -> Response[str]:
    """A bug, not bad input: a 500 that hides the details, which go to the log."""
    logger.exception("Unexpected error")
    return _fail(HTTPStatus.INTERNAL_SERVER_ERROR, "The service failed unexpectedly; the error was logged.")


def lambda_handler_for(app: APIGatewayRestResolver) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """The Lambda entry point of a function: logs with the API Gateway request id, traces, flushes metrics."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    @tracer.capture_lambda_handler
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return app.resolve(event, context)

    return lambda_handler
