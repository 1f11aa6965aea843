"""The one source of time. Policies, deals and settlements are all "as of" a time,
so tests and the scenario move this clock instead of patching datetime."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from marketcast.core.errors import Invalid

_frozen: datetime | None = None
# A sandbox clock (core/sandbox.py) runs business time at a fixed distance from real time.
_offset = timedelta(0)


def now() -> datetime:
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC) + _offset


def set_offset(offset: timedelta) -> None:
    """Business time = real time + offset from now on (the sandbox clock); timedelta(0) for real time."""
    global _offset
    _offset = offset


def offset() -> timedelta:
    return _offset


def wall_now() -> datetime:
    """Real time, never frozen. Only for transport metadata that a peer checks against its own clock
    (a webhook's signed timestamp): business decisions always use `now()`."""
    return datetime.now(UTC)


def set_now(value: datetime | None) -> None:
    global _frozen
    _frozen = as_utc(value) if value is not None else None


@contextmanager
def frozen(value: datetime) -> Iterator[None]:
    previous = _frozen
    set_now(value)
    try:
        yield
    finally:
        set_now(previous)


def as_utc(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC; aware ones are converted."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def as_utc_input(value: datetime, field: str) -> datetime:
    """`as_utc` for a time a client sent: one with no UTC equivalent (0001-01-01 at +05:00) is a 422 naming
    the field, not a 500."""
    try:
        return as_utc(value)
    except OverflowError:
        raise Invalid(f"{value.isoformat()} is out of range", field=field) from None
