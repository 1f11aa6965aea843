"""Pure rules of the affiliate area: rate bounds, which rate a creator gets, commission arithmetic, periods.

Nothing here reads the database or the clock: callers pass the values in force, so the rules are tested alone
(and by Hypothesis) and read the same everywhere."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from marketcast.core.errors import Invalid

BPS = 10_000
SOURCES = ("link", "showcase", "video", "live")
PERIODS = ("weekly", "semi-monthly")
REMINDER_BEFORE = timedelta(days=2)


def check_rate(rate_bps: int, *, low: int, high: int, field: str = "commission_rate_bps") -> int:
    """A rate in basis points within [low, high] (the policies in force), else 422 rate_out_of_bounds."""
    if isinstance(rate_bps, bool) or not isinstance(rate_bps, int) or not low <= rate_bps <= high:
        raise Invalid(f"commission_rate_bps must be between {low} and {high} basis points "
                      f"({low / 100:g}%..{high / 100:g}%), not {rate_bps}", code="rate_out_of_bounds", field=field,
                      min_rate_bps=low, max_rate_bps=high)
    return rate_bps


def commission_amount(base: int, rate_bps: int) -> int:
    """base × rate / 10,000 rounded half-up to the minor unit, in integers (docs/commissions.md)."""
    if base < 0 or rate_bps < 0:
        raise ValueError("base and rate are never negative")
    return (base * rate_bps * 2 + BPS) // (2 * BPS)


def commission_base(unit_price: int, quantity: int, refunded_quantity: int) -> int:
    """What the buyer paid for the line and kept: price × (quantity − refunded quantity)."""
    return unit_price * (quantity - refunded_quantity)


@dataclass(frozen=True)
class Offer:
    """A rate a creator holds on a product through one collaboration they joined."""

    collaboration_id: str
    kind: str  # open | targeted
    rate_bps: int


def best_offer(offers: Iterable[Offer]) -> Offer | None:
    """One rate per creator and product: a targeted collaboration beats an open one; then the higher rate; then
    the older collaboration (ids sort by creation), so the choice never depends on the order rows come in."""
    ranked = sorted(offers, key=lambda o: (o.kind != "targeted", -o.rate_bps, o.collaboration_id))
    return ranked[0] if ranked else None


def member_rate(rate_bps: int, pending_rate_bps: int | None, pending_from: datetime | None, at: datetime) -> int:
    """The member's rate at `at`: a scheduled decrease counts from its date even before the worker applies it."""
    if pending_rate_bps is not None and pending_from is not None and pending_from <= at:
        return pending_rate_bps
    return rate_bps


@dataclass(frozen=True)
class RateChange:
    """What a new rate does to one joined member: apply now, or schedule a decrease for when the lock ends."""

    apply_now: bool
    rate_bps: int
    pending_from: datetime | None = None


def rate_change(*, new_rate: int, current_rate: int, locked_until: datetime | None, now: datetime) -> RateChange:
    """An increase applies at once; a decrease waits for the end of the member's lock (at once if it is over)."""
    if new_rate >= current_rate or locked_until is None or locked_until <= now:
        return RateChange(True, new_rate)
    return RateChange(False, new_rate, locked_until)


def next_local_midnight(at: datetime, timezone: str) -> datetime:
    """The start of the day after `at`'s day in `timezone`: when an ended collaboration stops attributing."""
    zone = ZoneInfo(timezone)
    local = at.astimezone(zone)
    return datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=zone)


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone)


def period_of(at: datetime, period: str, timezone: str) -> tuple[datetime, datetime]:
    """The statement period holding `at`, [start, end) in the market's timezone: weekly from Monday, or
    semi-monthly (1st..15th, 16th..end of month)."""
    zone = ZoneInfo(timezone)
    day = at.astimezone(zone).date()
    if period == "weekly":
        start = day - timedelta(days=day.weekday())
        return _local_midnight(start, zone), _local_midnight(start + timedelta(days=7), zone)
    if period != "semi-monthly":
        raise ValueError(f"unknown statement period {period!r}")
    if day.day <= 15:
        return _local_midnight(day.replace(day=1), zone), _local_midnight(day.replace(day=16), zone)
    first_next = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return _local_midnight(day.replace(day=16), zone), _local_midnight(first_next, zone)


def week_start(at: datetime, timezone: str) -> datetime:
    """Monday 00:00 of `at`'s week in `timezone`: weekly limits count from there."""
    return period_of(at, "weekly", timezone)[0]


@dataclass(frozen=True)
class Balance:
    paid_out: int
    carried_out: int


def settle_balance(*, carried_in: int, total: int, min_payout: int) -> Balance:
    """Pay the whole balance once it reaches the minimum payout (and is positive); otherwise carry it over."""
    balance = carried_in + total
    if balance > 0 and balance >= min_payout:
        return Balance(balance, 0)
    return Balance(0, balance)
