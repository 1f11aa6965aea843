"""Domain errors. Each has an HTTP status and a stable `code`; the API renders them as
problem+json (RFC 9457) and the CLI prints them. Services raise these, never HTTP errors."""

from typing import Any


class DomainError(Exception):
    status = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(self, detail: str, *, code: str | None = None, field: str | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        self.field = field
        self.extra = extra

    def to_problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://marketcast.dev/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
        }
        if self.field:
            body["field"] = self.field
            body["errors"] = [{"field": self.field, "message": self.detail}]
        body.update(self.extra)
        return body


class NotFound(DomainError):
    status = 404
    code = "not_found"
    title = "Not found"

    def __init__(self, kind: str, key: str):
        super().__init__(f"{kind} {key!r} does not exist", code=f"{kind}_not_found")
        self.kind, self.key = kind, key


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = "Conflict"


class Invalid(DomainError):
    status = 422
    code = "validation_error"
    title = "Invalid request"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
    title = "Authentication required"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int):
        super().__init__(detail, retry_after=retry_after)
        self.retry_after = retry_after


class ServiceBusy(DomainError):
    """Contention (no database connection in time, a lock or statement timeout, too many logins waiting): the
    request did nothing and may be retried after `retry_after` seconds."""

    status = 503
    code = "service_busy"
    title = "Service busy"

    def __init__(self, detail: str = "the service is busy; retry shortly", *, retry_after: int = 1):
        super().__init__(detail, retry_after=retry_after)
        self.retry_after = retry_after
