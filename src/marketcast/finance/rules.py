"""Pure rules of the finance area: fee arithmetic, fees given back pro rata, statement periods, the balance.

Nothing here reads the database or the clock: callers pass the values in force, so the rules are tested alone
(and by Hypothesis) and read the same everywhere. Money is integer minor units; rates are basis points."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

BPS = 10_000
PERIODS = ("weekly", "semi-monthly", "monthly")

# Statement lines: the kinds of entries behind each line of a statement, in the order a statement shows them.
LINES = (("sales", "sale"), ("refunds", "refund"), ("fees", "referral_fee"), ("fee_refunds", "fee_refund"),
         ("commissions", "commission"), ("benefits", "benefit"), ("adjustments", "adjustment"))
LINE_OF_KIND = {kind: line for line, kind in LINES}


def half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half-up, in integers (both non-negative)."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("a non-negative amount over a positive one")
    return (numerator * 2 + denominator) // (2 * denominator)


def referral_fee(base: int, rate_bps: int) -> int:
    """base × rate / 10,000, half-up to the minor unit (a $3.95 order at 6% is 23.7 → 24 cents)."""
    return half_up(base * rate_bps, BPS)


def fee_given_back(*, fee: int, paid: int, refunded: int) -> int:
    """How much of `fee` is given back once `refunded` of `paid` has been refunded in all: pro rata, half-up,
    computed on the running totals so the parts of several refunds add up to the whole fee on a full refund."""
    if paid <= 0:
        return 0
    return half_up(fee * min(refunded, paid), paid)


def effective_rate(base_bps: int, discount_bps: int) -> int:
    """The referral-fee rate after a discount, never below zero."""
    return max(0, base_bps - max(0, discount_bps))


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone)


def _first_of_next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def period_of(at: datetime, period: str, timezone: str) -> tuple[datetime, datetime]:
    """The statement period holding `at`, [start, end) in the market's timezone: weekly from Monday,
    semi-monthly (1st..15th, 16th..end of month) or monthly."""
    zone = ZoneInfo(timezone)
    day = at.astimezone(zone).date()
    if period == "weekly":
        start = day - timedelta(days=day.weekday())
        return _local_midnight(start, zone), _local_midnight(start + timedelta(days=7), zone)
    if period == "monthly":
        return _local_midnight(day.replace(day=1), zone), _local_midnight(_first_of_next_month(day), zone)
    if period != "semi-monthly":
        raise ValueError(f"unknown statement period {period!r}")
    if day.day <= 15:
        return _local_midnight(day.replace(day=1), zone), _local_midnight(day.replace(day=16), zone)
    return _local_midnight(day.replace(day=16), zone), _local_midnight(_first_of_next_month(day), zone)


def last_ended_period(now: datetime, period: str, timezone: str) -> tuple[datetime, datetime]:
    """The period that ended most recently before `now`."""
    start, _ = period_of(now, period, timezone)
    return period_of(start - timedelta(microseconds=1), period, timezone)


@dataclass(frozen=True)
class Balance:
    paid_out: int
    carried_out: int


def settle_balance(*, carried_in: int, net: int, min_payout: int) -> Balance:
    """Pay the whole balance once it is positive and reaches the minimum payout; otherwise carry it over (a
    negative balance, refunds after a payout, is carried and netted from the next statements)."""
    balance = carried_in + net
    if balance > 0 and balance >= min_payout:
        return Balance(balance, 0)
    return Balance(0, balance)
