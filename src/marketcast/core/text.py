"""Checks of free text that every area needs the same way."""

from marketcast.core.errors import Invalid

MAX_REASON = 500


def reason(text: str | None, *, field: str = "reason") -> str:
    """A reason an operator gives for a change: required, at most 500 characters, no NUL (PostgreSQL text cannot
    hold one); kept in history and shown back, so it is trimmed."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise Invalid("say why: a reason is required", code="reason_required", field=field)
    if "\x00" in cleaned:
        raise Invalid("the reason contains a NUL character", code="invalid_reason", field=field)
    if len(cleaned) > MAX_REASON:
        raise Invalid(f"a reason has at most {MAX_REASON} characters", code="reason_too_long", field=field)
    return cleaned
