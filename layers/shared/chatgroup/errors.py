"""The one error hierarchy of the domain; `chatgroup.api` maps it to HTTP."""

from http import HTTPStatus


class ChatgroupError(Exception):
    """A request the service refuses; `str(error)` is the reason shown to the caller."""

    status: HTTPStatus = HTTPStatus.INTERNAL_SERVER_ERROR


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


class ServiceUnavailable(ChatgroupError):
    """An AWS dependency failed; nothing was left half done and the request may be retried."""

    status = HTTPStatus.SERVICE_UNAVAILABLE
