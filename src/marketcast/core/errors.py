"""Domain errors. Each has an HTTP status and a stable `code` from the catalogue (`core.error_codes`); the API
renders them as problem+json (RFC 9457, the `Problem` model below) and the CLI prints them. Services raise
these, never HTTP errors. A code that is not in the catalogue, a code raised with another status than its own,
or an extra member that `Problem` does not declare is a programming error, refused when the error is made."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from marketcast.core.error_codes import lookup


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the input at fault, e.g. `lines.0.quantity` or `Idempotency-Key`.")
    message: str


class Problem(BaseModel):
    """An error (RFC 9457). Switch on `code`; the catalogue of codes is `docs/errors.md`. Some codes carry
    extra members, declared below (each says which codes carry it)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": True})

    type: str = Field(description="A URI naming the problem type: the base URI plus the code.")
    title: str = Field(description="A short summary of the problem type.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong this time, in plain words.")
    code: str = Field(description="The stable code of the problem type (see the catalogue).")
    field: str | None = Field(None, description="The input at fault, for invalid input.")
    errors: list[FieldError] | None = Field(None, description="Every input at fault (validation errors).")
    # Extras, declared so that a client reads them as typed members.
    retry_after: int | None = Field(None, description="too_many_requests: seconds to wait.")
    sku_id: str | None = Field(None, description="The SKU at fault (stock and checkout codes).")
    missing: list[str] | None = Field(None, description="out_of_stock: every SKU short of the units asked for.")
    available: int | None = Field(None, description="stock_changed: the current available count.")
    reserved: int | None = Field(None, description="stock_changed: the current reserved count.")
    sold: int | None = Field(None, description="stock_changed: the current sold count.")
    status_now: str | None = Field(None, description="The status now of the order, session or deal at fault.")
    deal_id: str | None = Field(None, description="The flash deal at fault (deal codes).")
    shop_id: str | None = Field(None, description="The shop at fault.")
    shop_status: str | None = Field(None, description="shop_cannot_sell: the shop's status.")
    cap: int | None = Field(None, description="daily_order_cap_reached: the shop's daily order cap.")
    decline_code: str | None = Field(None, description="card_declined, payment_failed: the provider's reason.")
    payment_id: str | None = Field(None, description="card_declined, payment_failed: the payment attempt.")
    market: str | None = Field(None, description="The market at fault (market codes).")
    market_status: str | None = Field(None, description="market_not_live: the market's status.")
    launch_window: str | None = Field(None, description="market_not_live: the market's launch window.")
    from_status: str | None = Field(None, description="invalid_transition: the market's status.")
    to_status: str | None = Field(None, description="invalid_transition: the status asked for.")
    max_bytes: int | None = Field(None, description="file_too_large: the largest file accepted, in bytes.")
    rejected: list[dict[str, Any]] | None = Field(None, description="csv_rows_rejected: each rejected row.")
    policy_key: str | None = Field(None, description="The policy whose limit was reached.")
    limit: int | None = Field(None, description="The limit reached (a policy's value).")
    week_start: str | None = Field(None, description="pilot_weekly_limit: when the counted week began.")
    min_rate_bps: int | None = Field(None, description="rate_out_of_bounds: the lowest rate allowed.")
    max_rate_bps: int | None = Field(None, description="rate_out_of_bounds: the highest rate allowed.")
    affiliate_status: str | None = Field(None, description="creator_not_affiliate: the creator's status.")
    conflicts: list[dict[str, Any]] | None = Field(None, description="no_invites_made: each refused invite.")
    failed: list[str] | None = Field(None, description="rules_not_overridden: the failed rules not overridden.")


_BASE_MEMBERS = {"type", "title", "status", "detail", "code", "field", "errors"}
EXTRA_MEMBERS = frozenset(Problem.model_fields) - _BASE_MEMBERS


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, detail: str, *, code: str | None = None, field: str | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        entry = lookup(self.code)
        if entry.status != type(self).status:
            raise ValueError(f"{self.code} is a {entry.status} in the catalogue, raised as a {type(self).status}")
        undeclared = set(extra) - EXTRA_MEMBERS
        if undeclared:
            raise ValueError(f"Problem declares no member {', '.join(sorted(undeclared))} (core/errors.py)")
        self.title = entry.title
        self.field = field
        self.extra = extra

    def to_problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": lookup(self.code).type_uri, "title": self.title, "status": self.status,
                                "code": self.code, "detail": self.detail}
        if self.field:
            body["field"] = self.field
            body["errors"] = [{"field": self.field, "message": self.detail}]
        body.update(self.extra)
        return body


class NotFound(DomainError):
    status = 404
    code = "not_found"

    def __init__(self, kind: str, key: str, *, code: str | None = None, detail: str | None = None):
        """`kind` `key` does not exist (404 <kind>_not_found), or with `code` and `detail`, is not there yet."""
        super().__init__(detail or f"{kind} {key!r} does not exist", code=code or f"{kind}_not_found")
        self.kind, self.key = kind, key


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Invalid(DomainError):
    status = 422
    code = "validation_error"


class Unauthorized(DomainError):
    status = 401
    code = "unauthenticated"


class Forbidden(DomainError):
    status = 403
    code = "wrong_role"


class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"

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
