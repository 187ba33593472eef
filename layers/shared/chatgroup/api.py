"""The HTTP edge shared by every function: the resolver, the caller's identity, errors as HTTP."""

from collections.abc import Callable, Sequence
from functools import partial
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse, OpenAPIResponseHeader
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.shared.json_encoder import Encoder
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from pynamodb.exceptions import PynamoDBException

from chatgroup.errors import ChatgroupError, InvalidRequest
from chatgroup.jsontext import compact_json
from chatgroup.observability import logger, metrics, tracer
from chatgroup.rules import parse_json
from chatgroup.schemas import ErrorResponse, GatewayError, NeverNull, PageLimit, PageToken

PageLimitQuery = Annotated[PageLimit, Query()]
"""A listing's `limit`, from the query string; each listing gives its own default."""
NextTokenQuery = Annotated[PageToken | None, Query(), NeverNull()]
"""A listing's `next_token`, from the query string: absent on the first page, never null."""


def create_app() -> APIGatewayRestResolver:
    """A REST resolver that validates requests and maps every error to `{"result": "fail", "reason"}`."""
    app = APIGatewayRestResolver(
        enable_validation=True,
        cors=CORSConfig(allow_origin="*", max_age=300, expose_headers=["Retry-After"]),
        json_body_deserializer=_read_json_body,
        serializer=_utf8_json,
    )
    app.use([_check_body])
    app.exception_handler(ChatgroupError)(_refused)
    app.exception_handler(NotFoundError)(_no_route)
    app.exception_handler(RequestValidationError)(lambda error: _invalid(app, error))
    app.exception_handler(RequestUnsupportedContentType)(_not_json)
    app.exception_handler(ValueError)(lambda error: _unreadable_body(app, error))
    app.exception_handler(Exception)(_failed)
    return app


_utf8_json = partial(compact_json, cls=Encoder)
"""Powertools' serializer (its encoder class), in the service's one JSON encoding: non-ASCII as UTF-8."""


MAX_BODY_BYTES = 64 * 1024
"""Far above the largest valid request (99 initial members), far below API Gateway's 10 MB."""


def _read_json_body(body: str) -> Any:
    """The body as data, read by Powertools' validation before it validates anything (its deserializer hook).

    Powertools runs its request validation before any middleware, so this is where a JSON body is
    measured, before it is parsed: a 9 MiB body is refused without being read. Then it is parsed
    so that every document JSON allows, however deep or long its numbers, is data or bad input, and
    anything but an object is refused.
    """
    _refuse_oversized(body)
    try:
        data = parse_json(body)
    except ValueError as error:
        raise InvalidRequest(f"The request body {error}.") from None
    # Every request body is one object; Powertools would read an array's first element as the body.
    if not isinstance(data, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    return data


def _check_body(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """For bodies that Powertools parses itself (form data, multipart), after it has: the same size limit,
    then JSON only, which is what every route that takes a body documents."""
    _refuse_oversized(app.current_event.body or "")
    if _sent_as_other_than_json(app.current_event):
        raise InvalidRequest(NOT_JSON)
    return next_middleware(app)


NOT_JSON = "Send the request body as JSON, with Content-Type: application/json."
MISSING_BODY = "The request body is missing: send a JSON object."


def _sent_as_other_than_json(event: APIGatewayProxyEvent) -> bool:
    """A body declared as something else: Powertools reads form data and multipart bodies as well as JSON
    (and a body without a Content-Type as JSON). Every POST, PUT and DELETE route takes a JSON body; GET,
    HEAD and OPTIONS take none, and a stray body there is ignored."""
    content_type = (event.headers.get("Content-Type") or "").strip().lower()
    declared_otherwise = bool(content_type) and not content_type.startswith(content_types.APPLICATION_JSON)
    return bool(event.body) and declared_otherwise and event.http_method not in _BODILESS_METHODS


_BODILESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _refuse_oversized(body: str) -> None:
    # A character is at least one byte: a long body is refused without encoding it.
    if len(body) > MAX_BODY_BYTES or len(body.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
        raise InvalidRequest(f"The request body is larger than {MAX_BODY_BYTES // 1024} KiB.")


EXAMPLE_CHATGROUP_ID = "9f1c2e7a4b5d4c8e9a0b1c2d3e4f5a6b"
EXAMPLE_QUEUE_ARN = f"arn:aws:sqs:us-east-1:123456789012:chatgroup-{EXAMPLE_CHATGROUP_ID}.fifo"
EXAMPLE_CHATGROUP_PAGE = {
    "chatgroups": [
        {
            "ChatgroupID": EXAMPLE_CHATGROUP_ID,
            "EventID": "jazz-2026",
            "Name": "Friday crew",
            "CreatorID": "alice",
            "MemberCount": 3,
            "Capacity": 8,
            "PhotoID": None,
            "SQS": EXAMPLE_QUEUE_ARN,
            "Timestamp": "2026-11-24T19:30:00.000Z",
            "LastSeq": 2,
        }
    ],
    "next_token": "eyJjaGF0Z3JvdXBfaWQiOnsiUyI6IjlmMWMifX0=",
}
"""Values the routes' documented examples share."""

_RETRY_AFTER: OpenAPIResponseHeader = {
    "description": "Seconds until waiting alone frees room; absent when only an action of yours does.",
    "schema": {"type": "integer", "minimum": 1},
}
_ALWAYS: dict[HTTPStatus, str] = {
    HTTPStatus.BAD_REQUEST: "A field breaks its rule (the reason names it), or the body is not JSON or over 64 KiB.",
    HTTPStatus.UNAUTHORIZED: 'No valid Cognito token: API Gateway answers `{"message": "Unauthorized"}`.',
    HTTPStatus.FORBIDDEN: (
        "The caller's account name cannot be a user id; or, from API Gateway, "
        '`{"message": "Missing Authentication Token"}` for a path it does not route (an empty path parameter).'
    ),
    HTTPStatus.SERVICE_UNAVAILABLE: "AWS failed or throttled; nothing was changed, retry.",
}
_FROM_THE_GATEWAY: dict[HTTPStatus, Any] = {
    HTTPStatus.UNAUTHORIZED: GatewayError | ErrorResponse,
    HTTPStatus.FORBIDDEN: ErrorResponse | GatewayError,
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: GatewayError,
}
"""Statuses API Gateway answers itself, with its own body, before the function runs."""
_TOO_LARGE = 'A body over API Gateway\'s 10 MB: it answers `{"message": "Request Too Long"}`.'


def responses(
    *refusals: HTTPStatus,
    ok: Any = None,
    example: Any = None,
    when: dict[HTTPStatus, str] | None = None,
    takes_body: bool = False,
    links: dict[str, Any] | None = None,
) -> dict[int, OpenAPIResponse]:
    """A route's documented answers: 200 (`ok`, shown by `example`), the refusals every route can give, the
    route's own (`refusals`, and those in `when`, which says when each is given), and 413 if it `takes_body`.

    A route that names no `ok`, `example` or `when` is still documented (200 from its return type, the
    status names as descriptions), and the document's tests then tell what it leaves out.
    """
    whens = {status: status.phrase for status in refusals} | _ALWAYS
    whens |= {HTTPStatus.REQUEST_ENTITY_TOO_LARGE: _TOO_LARGE} if takes_body else {}
    for status, reason in (when or {}).items():
        whens[status] = f"{reason} {_ALWAYS[status]}" if status in _ALWAYS else reason
    success: OpenAPIResponse = {"description": "OK"}
    if ok is not None:
        success["content"] = {content_types.APPLICATION_JSON: {"model": ok, "examples": {"ok": {"value": example}}}}
    if links:
        success["links"] = links
    documented: dict[int, OpenAPIResponse] = {int(HTTPStatus.OK): success}
    for status in sorted(whens):
        documented[int(status)] = {
            "description": whens[status],
            "content": {content_types.APPLICATION_JSON: {"model": _FROM_THE_GATEWAY.get(status, ErrorResponse)}},
        }
    if HTTPStatus.TOO_MANY_REQUESTS in documented:
        documented[HTTPStatus.TOO_MANY_REQUESTS]["headers"] = {"Retry-After": _RETRY_AFTER}
    return documented


def _fail(status: HTTPStatus, reason: str, headers: dict[str, str] | None = None) -> Response[str]:
    # A reason may quote the request (a field name), and JSON cannot carry a lone surrogate: escape it.
    printable = reason.encode("utf-8", "backslashreplace").decode()
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=ErrorResponse(reason=printable).model_dump_json(),
        headers=headers,
    )


def _refused(error: ChatgroupError) -> Response[str]:
    logger.info("Request refused", extra={"status": int(error.status), "reason": str(error)})
    return _fail(error.status, str(error), error.headers())


def _no_route(error: NotFoundError) -> Response[str]:
    """API Gateway sent the request here, but Powertools' route does not match it: a path parameter holds
    a character outside its pattern (`"`, `#`, `\\`, an emoji...). Nothing lives at such a path."""
    return _fail(HTTPStatus.NOT_FOUND, "Nothing is found at this path.")


def _invalid(app: APIGatewayRestResolver, error: RequestValidationError) -> Response[str]:
    return _bad_request(_reason_of(app.current_event, error.errors()))


def _reason_of(event: APIGatewayProxyEvent, problems: Sequence[Any]) -> str:
    """The first three problems, each named; for a body sent as form data, that it must be JSON: its fields
    were not missing, only sent the wrong way (`curl -d` without a Content-Type sends form data)."""
    if _sent_as_other_than_json(event):
        return NOT_JSON
    if not event.body and any(problem.get("loc", ())[:1] == ("body",) for problem in problems):
        return MISSING_BODY
    return "; ".join(_describe(problem) for problem in problems[:3])


def _not_json(error: Exception) -> Response[str]:
    return _bad_request(NOT_JSON)


def _bad_request(reason: str) -> Response[str]:
    logger.info("Request invalid", extra={"reason": reason})
    return _fail(HTTPStatus.BAD_REQUEST, reason)


def _unreadable_body(app: APIGatewayRestResolver, error: ValueError) -> Response[str]:
    """Powertools reads the body itself, and fails with a bare ValueError on two kinds of bad input.

    A base64-encoded body that is not base64 of UTF-8 text, and a multipart body without a
    boundary. Which one it was is found by looking at the request again; any other ValueError is a bug.
    """
    if not _is_text(app.current_event):
        return _bad_request("The request body is not UTF-8 text (or base64 of it).")
    if _sent_as_other_than_json(app.current_event):
        return _not_json(error)
    return _failed(error)


def _is_text(event: APIGatewayProxyEvent) -> bool:
    try:
        event.decoded_body  # noqa: B018 - decoding is the check; Powertools does not cache a failure
    except ValueError:  # UnicodeError, binascii.Error
        return False
    return True


def _describe(detail: dict[str, Any]) -> str:
    """One validation problem as a sentence: where it is and what is wrong."""
    location = ".".join(str(part) for part in detail.get("loc", ())[1:])
    message = str(detail.get("msg", "is invalid")).removeprefix("Value error, ")
    if detail.get("type") == "union_tag_invalid":
        expected = detail.get("ctx", {}).get("expected_tags", "")
        return f"type must be one of {expected}."
    if detail.get("type") == "union_tag_not_found":
        return "type is required."
    if detail.get("loc", ())[:1] == ("query",) and isinstance(detail.get("input"), list):
        return f"{location}: give it once, not {len(detail['input'])} times"
    return f"{location}: {message}" if location else f"The request body is invalid: {message}"


_OUTAGE_CODES = frozenset(
    {
        # Throttled: DynamoDB, SQS, and the generic codes of AWS's protocols.
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "ThrottlingException",
        "Throttling",
        "RequestThrottled",
        "TooManyRequestsException",
        # The service's own failure.
        "InternalServerError",
        "InternalFailure",
        "InternalError",
        "ServiceUnavailable",
        "RequestTimeout",
        "RequestTimeoutException",
        # Another writer's transaction held an item; a retry succeeds.
        "TransactionConflictException",
        "TransactionInProgressException",
    }
)
"""AWS error codes that say "not now": a retry may succeed. Any other code is a request we should not have sent."""


def _failed(error: Exception) -> Response[str]:
    """Not the caller's fault, and logged with its cause: 503 if AWS was unavailable (retry), else 500 (a bug).

    A DynamoDB ValidationException or SerializationException, a missing permission or table,
    a parameter botocore refuses: these are our bugs, which a retry would only repeat.
    """
    if _is_outage(error):
        logger.exception("AWS dependency unavailable")
        return _fail(HTTPStatus.SERVICE_UNAVAILABLE, "A backing service failed; please retry.")
    logger.exception("Unexpected error")
    return _fail(HTTPStatus.INTERNAL_SERVER_ERROR, "The service failed unexpectedly; the error was logged.")


def _is_outage(error: Exception) -> bool:
    """Whether the AWS error at the root of `error` says "not now": a throttle, AWS's own failure, no connection."""
    root = _aws_root(error)
    if isinstance(root, ClientError):
        status = root.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return root.response.get("Error", {}).get("Code") in _OUTAGE_CODES or status >= 500
    return isinstance(root, BotocoreConnectionError | HTTPClientError)


def _aws_root(error: BaseException | None) -> BaseException | None:
    """The botocore error deepest in the chain: PynamoDB keeps it as `cause`, others as `__cause__`.

    The deepest, because PynamoDB re-raises a ClientError as its own ClientError without the HTTP status.
    """
    root = None
    while error is not None:
        if isinstance(error, ClientError | BotoCoreError):
            root = error
        error = error.cause if isinstance(error, PynamoDBException) else error.__cause__
    return root


def lambda_handler_for(app: APIGatewayRestResolver) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """The Lambda entry point of a function: logs with the API Gateway request id, traces, flushes metrics."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    @tracer.capture_lambda_handler
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return app.resolve(event, context)

    return lambda_handler
