"""The affiliate area's pure rules: rounding, the one offer per product, the rate lock, periods, balances."""

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketcast.affiliate import rules
from marketcast.core.errors import Invalid


@pytest.mark.parametrize(("base", "rate", "expected"), [
    (395, 1000, 40),       # 39.5 cents -> 40 (half up)
    (1000, 1234, 123),     # 123.4 -> 123
    (1005, 5000, 503),     # 502.5 -> 503
    (1, 4999, 0), (1, 5000, 1), (0, 8000, 0), (123_456_789, 10000, 123_456_789),
])
def test_commission_amount_rounds_half_up_per_line(base, rate, expected):
    assert rules.commission_amount(base, rate) == expected


@given(st.integers(0, 10**12), st.integers(0, 10_000))
def test_commission_amount_matches_decimal_half_up(base, rate):
    exact = Decimal(base) * Decimal(rate) / Decimal(10_000)
    assert rules.commission_amount(base, rate) == int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_rate_bounds_name_the_field_and_the_limits():
    assert rules.check_rate(100, low=100, high=8000) == 100
    for bad in (99, 8001, True):
        with pytest.raises(Invalid) as caught:
            rules.check_rate(bad, low=100, high=8000)
        assert caught.value.code == "rate_out_of_bounds" and caught.value.field == "commission_rate_bps"


def test_targeted_beats_open_then_higher_rate_then_older():
    open_high = rules.Offer("col_2", "open", 3000)
    targeted_low = rules.Offer("col_3", "targeted", 1000)
    targeted_older = rules.Offer("col_1", "targeted", 1000)
    assert rules.best_offer([open_high, targeted_low]) == targeted_low
    assert rules.best_offer([targeted_low, targeted_older]) == targeted_older
    assert rules.best_offer([rules.Offer("col_9", "open", 500), open_high]) == open_high
    assert rules.best_offer([]) is None


def test_rate_lock_increase_now_decrease_at_lock_end():
    now = datetime(2024, 7, 1, tzinfo=UTC)
    lock = now + timedelta(days=10)
    assert rules.rate_change(new_rate=2000, current_rate=1000, locked_until=lock, now=now).apply_now
    down = rules.rate_change(new_rate=500, current_rate=1000, locked_until=lock, now=now)
    assert not down.apply_now and down.pending_from == lock
    assert rules.rate_change(new_rate=500, current_rate=1000, locked_until=now, now=now).apply_now
    assert rules.member_rate(1000, 500, lock, lock - timedelta(seconds=1)) == 1000
    assert rules.member_rate(1000, 500, lock, lock) == 500


def test_next_local_midnight_is_in_the_market_timezone():
    # 23:30 in New York on 1 July is 03:30 UTC on 2 July; attribution stops at 2 July 00:00 New York time.
    at = datetime(2024, 7, 2, 3, 30, tzinfo=UTC)
    stop = rules.next_local_midnight(at, "America/New_York")
    assert stop.astimezone(UTC) == datetime(2024, 7, 2, 4, 0, tzinfo=UTC)


def test_periods_weekly_and_semi_monthly():
    at = datetime(2024, 2, 20, 12, tzinfo=UTC)  # a Tuesday
    start, end = rules.period_of(at, "weekly", "UTC")
    assert (start.date().isoformat(), end.date().isoformat()) == ("2024-02-19", "2024-02-26")
    start, end = rules.period_of(at, "semi-monthly", "UTC")
    assert (start.date().isoformat(), end.date().isoformat()) == ("2024-02-16", "2024-03-01")
    start, end = rules.period_of(datetime(2024, 12, 3, tzinfo=UTC), "semi-monthly", "UTC")
    assert (start.date().isoformat(), end.date().isoformat()) == ("2024-12-01", "2024-12-16")
    start, end = rules.period_of(datetime(2024, 12, 31, tzinfo=UTC), "semi-monthly", "UTC")
    assert end.date().isoformat() == "2025-01-01"


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)),
       st.sampled_from(rules.PERIODS), st.sampled_from(["UTC", "America/New_York", "Europe/Madrid"]))
def test_a_period_holds_its_instant_and_the_next_one_follows(at, period, zone):
    start, end = rules.period_of(at, period, zone)
    assert start <= at < end
    assert rules.period_of(end, period, zone)[0] == end


@given(st.integers(-10**6, 10**6), st.integers(-10**6, 10**6), st.integers(0, 10**5))
def test_balance_is_paid_or_carried_never_lost(carried_in, total, minimum):
    balance = rules.settle_balance(carried_in=carried_in, total=total, min_payout=minimum)
    assert balance.paid_out + balance.carried_out == carried_in + total
    assert balance.paid_out == 0 or (balance.paid_out >= minimum and balance.carried_out == 0)
