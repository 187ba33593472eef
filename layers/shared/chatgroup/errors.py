"""The one error hierarchy of the domain; `chatgroup.api` maps it to HTTP."""

from http import HTTPStatus


class ChatgroupError(Exception):
    """A request the service refuses; `str(error)` is the reason shown to the caller."""

    status: HTTPStatus = HTTPStatus.INTERNAL_SERVER_ERROR

    def headers(self) -> dict[str, str]:
        """HTTP headers the refusal carries besides its body (e.g. Retry-After)."""
        return {}


class InvalidRequest(ChatgroupError):
    status = HTTPStatus.BAD_REQUEST


class NotAuthenticated(ChatgroupError):
    status = HTTPStatus.UNAUTHORIZED


class Forbidden(ChatgroupError):
    status = HTTPStatus.FORBIDDEN


class NotFound(ChatgroupError):
    status = HTTPStatus.NOT_FOUND


class Conflict(ChatgroupError):
    status = HTTPStatus.CONFLICT


class TimelineMoved(Conflict):
    """Another write took the group's next seq first: retried with a fresh read, a 409 only if that keeps happening."""


class RateLimited(ChatgroupError):
    """The caller is over a rate; `retry_after` seconds from now they are not."""

    status = HTTPStatus.TOO_MANY_REQUESTS

    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(reason)
        self.retry_after = max(1, retry_after)

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class ServiceUnavailable(ChatgroupError):
    """An AWS dependency failed; nothing was left half done and the request may be retried."""

    status = HTTPStatus.SERVICE_UNAVAILABLE
