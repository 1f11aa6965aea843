"""The pure rules of programs: the named enums, the periods of a cadence, judging a shop's figures against a
version's criteria, and splitting a reward pool. No session here: everything is a function of its inputs."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from marketcast.core import clock


class Cadence(StrEnum):
    weekly = "weekly"
    monthly = "monthly"


class BenefitKind(StrEnum):
    referral_fee_discount_bps = "referral_fee_discount_bps"
    reward_pool = "reward_pool"


class HostType(StrEnum):
    """Whose LIVE a program counts: `self_broadcast` is the shop hosting its own LIVE."""

    self_broadcast = "self_broadcast"


class EligibleShopStatus(StrEnum):
    """The shop statuses a program may be open to (suspended and closed shops take part in none)."""

    probation = "probation"
    active = "active"


class PeriodStatus(StrEnum):
    open = "open"
    closed = "closed"


class EnrollmentStatus(StrEnum):
    enrolled = "enrolled"
    excluded = "excluded"


# --- periods: UTC calendar months, or weeks from Monday 00:00 UTC (the GMV rollups are UTC days) -------------------

def period_start(at: datetime, cadence: str) -> datetime:
    at = clock.as_utc(at)
    if cadence == Cadence.monthly:
        return datetime(at.year, at.month, 1, tzinfo=UTC)
    day = datetime(at.year, at.month, at.day, tzinfo=UTC)
    return day - timedelta(days=day.weekday())


def next_boundary(start: datetime, cadence: str) -> datetime:
    if cadence == Cadence.monthly:
        return datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)
    return start + timedelta(days=7)


@dataclass(frozen=True)
class Period:
    """[start, end) of one period of a program, clipped to the program's own start and end."""

    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        return self.start.date().isoformat()


def period_at(at: datetime, *, cadence: str, starts_at: datetime, ends_at: datetime | None) -> Period | None:
    """The program's period that holds `at`, or None outside the program."""
    at = clock.as_utc(at)
    if at < starts_at or (ends_at is not None and at >= ends_at):
        return None
    start = max(period_start(at, cadence), starts_at)
    end = next_boundary(period_start(at, cadence), cadence)
    return Period(start, min(end, ends_at) if ends_at is not None else end)


def first_period(*, cadence: str, starts_at: datetime, ends_at: datetime | None) -> Period:
    found = period_at(starts_at, cadence=cadence, starts_at=starts_at, ends_at=ends_at)
    assert found is not None  # ends_at > starts_at is validated
    return found


def following(period: Period, *, cadence: str, ends_at: datetime | None) -> Period | None:
    if ends_at is not None and period.end >= ends_at:
        return None
    end = next_boundary(period.end, cadence)
    return Period(period.end, min(end, ends_at) if ends_at is not None else end)


def next_period_start(at: datetime, *, cadence: str, starts_at: datetime, ends_at: datetime | None) -> datetime:
    """Where a change made at `at` applies: the program's first period when it has not started, else the start of
    the period after the one running (it may be the program's end: the change then never applies)."""
    if at < starts_at:
        return starts_at
    current = period_at(at, cadence=cadence, starts_at=starts_at, ends_at=ends_at)
    return current.end if current is not None else (ends_at or at)


# --- judging -----------------------------------------------------------------------------------------------------

def meets(value: int, *, min: int | None = None, max: int | None = None) -> bool:  # noqa: A002
    return (min is None or value >= min) and (max is None or value <= max)


def shortfall(value: int, *, min: int | None = None, max: int | None = None) -> int:  # noqa: A002
    """How far `value` is from the bound, in base units: what is missing under a min, what is too much over a max."""
    if min is not None and value < min:
        return min - value
    if max is not None and value > max:
        return value - max
    return 0


def split_pool(amount: int, winners: list[str]) -> dict[str, int]:
    """Equal shares in minor units; the cents left over go one each to the best ranked, so the shares add up."""
    if not winners:
        return {}
    share, rest = divmod(amount, len(winners))
    return {shop_id: share + (1 if i < rest else 0) for i, shop_id in enumerate(winners)}


def ranked(values: dict[str, Any], *, higher_is_better: bool) -> list[str]:
    """Shop ids best first; equal values by shop id, so the order is the same on every run."""
    sign = -1 if higher_is_better else 1
    return sorted(values, key=lambda shop_id: (sign * values[shop_id], shop_id))


def why_not_eligible(*, shop_type: str, mode: str, status: str, eligibility: dict[str, list[str]]) -> str | None:
    """The code that says why a shop may not enroll under `eligibility`, or None when it may."""
    if shop_type not in eligibility["shop_types"]:
        return "shop_type_not_eligible"
    if mode not in eligibility["modes"]:
        return "shop_mode_not_eligible"
    if status not in eligibility["shop_statuses"]:
        return "shop_status_not_eligible"
    return None
