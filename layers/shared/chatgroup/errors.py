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


class TooManyRequests(ChatgroupError):
    """A quota or rate of the caller is used up; nothing was changed.

    `retry_after` is in how many seconds waiting alone frees room (answered as `Retry-After`),
    or None when only the caller's own action does, e.g. dismissing a group.
    """

    status = HTTPStatus.TOO_MANY_REQUESTS

    def __init__(self, reason: str, retry_after: int | None = None) -> None:
        super().__init__(reason)
        self.retry_after = None if retry_after is None else max(1, retry_after)

    def headers(self) -> dict[str, str]:
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}


class ServiceUnavailable(ChatgroupError):
    """An AWS dependency failed; nothing was left half done and the request may be retried."""

    status = HTTPStatus.SERVICE_UNAVAILABLE
