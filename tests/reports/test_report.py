"""gmv_report groups rollups by day, shop or market, one line per currency; trailing_gmv's window."""

from datetime import date

import pytest

from marketcast.core.db import unit_of_work
from marketcast.core.errors import Invalid
from marketcast.reports import service


def report(**kwargs):
    with unit_of_work(write=False) as session:
        return [(r.key, r.currency, r.gmv, r.refunds, r.net_gmv, r.orders, r.units)
                for r in service.gmv_report(session, **kwargs)]


@pytest.fixture
def july(sale, refund, at):
    sale("US", "us_1", 10_000, at(2024, 7, 1, 10), units=2)
    sale("US", "us_2", 5_000, at(2024, 7, 1, 11), units=1)
    sale("US", "us_1", 3_000, at(2024, 7, 2, 9), units=1)
    refund("US", "us_1", 2_000, at(2024, 7, 3, 9))  # refunds count on their own day, here a day without sales
    sale("PR", "pr_1", 700, at(2024, 7, 2, 23, 59, 59), units=1)
    sale("MX", "mx_1", 150_000, at(2024, 7, 1, 0, 0), units=4)
    sale("US", "us_1", 99_999, at(2024, 6, 30, 23, 59, 59))  # outside the range below
    sale("US", "us_1", 88_888, at(2024, 7, 4, 0, 0))  # outside too


JULY_1_TO_3 = {"from_day": date(2024, 7, 1), "to_day": date(2024, 7, 3)}


def test_by_day_sums_markets_of_the_same_currency_and_keeps_currencies_apart(july):
    assert report(group_by="day", **JULY_1_TO_3) == [
        (date(2024, 7, 1), "MXN", 150_000, 0, 150_000, 1, 4),
        (date(2024, 7, 1), "USD", 15_000, 0, 15_000, 2, 3),
        (date(2024, 7, 2), "USD", 3_700, 0, 3_700, 2, 2),
        (date(2024, 7, 3), "USD", 0, 2_000, -2_000, 0, 0),
    ]


def test_by_shop_and_by_market(july):
    assert report(group_by="shop", **JULY_1_TO_3) == [
        ("mx_1", "MXN", 150_000, 0, 150_000, 1, 4),
        ("pr_1", "USD", 700, 0, 700, 1, 1),
        ("us_1", "USD", 13_000, 2_000, 11_000, 2, 3),
        ("us_2", "USD", 5_000, 0, 5_000, 1, 1),
    ]
    assert report(group_by="market", **JULY_1_TO_3) == [
        ("MX", "MXN", 150_000, 0, 150_000, 1, 4),
        ("PR", "USD", 700, 0, 700, 1, 1),
        ("US", "USD", 18_000, 2_000, 16_000, 3, 4),
    ]


def test_filters_by_market_shop_and_a_set_of_markets(july):
    assert report(group_by="market", market="us", **JULY_1_TO_3) == [("US", "USD", 18_000, 2_000, 16_000, 3, 4)]
    assert report(group_by="day", shop_id="us_2", **JULY_1_TO_3) == [(date(2024, 7, 1), "USD", 5_000, 0, 5_000, 1, 1)]
    assert [r[0] for r in report(group_by="market", markets_in=("MX", "PR"), **JULY_1_TO_3)] == ["MX", "PR"]
    assert report(group_by="market", markets_in=(), **JULY_1_TO_3) == []


def test_both_ends_of_the_range_are_included(july):
    days = [r[0] for r in report(group_by="day", market="US", from_day=date(2024, 6, 30), to_day=date(2024, 7, 4))]
    assert days == [date(2024, 6, 30), date(2024, 7, 1), date(2024, 7, 2), date(2024, 7, 3), date(2024, 7, 4)]
    single = report(group_by="day", market="US", from_day=date(2024, 7, 4), to_day=date(2024, 7, 4))
    assert single == [(date(2024, 7, 4), "USD", 88_888, 0, 88_888, 1, 1)]


@pytest.mark.parametrize(("from_day", "to_day", "ok"), [
    (date(2024, 1, 1), date(2024, 12, 31), True),  # 366 days (a leap year)
    (date(2024, 1, 1), date(2025, 1, 1), False),  # 367
    (date(2024, 7, 2), date(2024, 7, 1), False),  # backwards
    (date(2024, 7, 1), date(2024, 7, 1), True),
])
def test_the_range_is_at_most_366_days_and_not_backwards(from_day, to_day, ok):
    if ok:
        assert report(from_day=from_day, to_day=to_day) == []
        return
    with pytest.raises(Invalid) as err:
        report(from_day=from_day, to_day=to_day)
    assert (err.value.code, err.value.field) == ("invalid_date_range", "to")


def test_unknown_group_by_is_invalid():
    with pytest.raises(Invalid) as err:
        report(group_by="week", **JULY_1_TO_3)
    assert err.value.field == "group_by"


@pytest.mark.parametrize("group_by", ["day", "shop", "market"])
def test_pages_follow_each_other_without_gaps_or_repeats(july, group_by):
    whole = report(group_by=group_by, from_day=date(2024, 6, 1), to_day=date(2024, 7, 31))
    seen, token = [], None
    with unit_of_work(write=False) as session:
        while True:
            rows, token = service.gmv_report_page(session, group_by=group_by, from_day=date(2024, 6, 1),
                                                  to_day=date(2024, 7, 31), page_size=1, page_token=token)
            seen += [(r.key, r.currency, r.gmv, r.refunds, r.net_gmv, r.orders, r.units) for r in rows]
            if token is None:
                break
    assert seen == whole and len(whole) >= 3


def test_a_forged_page_token_is_invalid(july):
    from marketcast.core.pagination import encode_token

    for token in ("garbage!!", encode_token(["not-a-date", "USD"]), encode_token([1, "USD"])):
        with pytest.raises(Invalid) as err, unit_of_work(write=False) as session:
            service.gmv_report_page(session, group_by="day", page_token=token, **JULY_1_TO_3)
        assert err.value.code == "invalid_page_token"


def _trailing(at, days=365, shop_id="us_1"):
    with unit_of_work(write=False) as session:
        return service.trailing_gmv(session, shop_id=shop_id, at=at, days=days)


def test_trailing_window_is_365_utc_days_ending_with_the_day_of_at(sale, refund, at):
    # The 365 days ending 2024-07-01 start on 2023-07-03 (29 February 2024 is one of them).
    sale("US", "us_1", 1, at(2023, 7, 2, 23, 59, 59))  # the last second before the window
    sale("US", "us_1", 10, at(2023, 7, 3, 0, 0))  # the first second of the window
    sale("US", "us_1", 100, at(2024, 3, 15, 12))
    refund("US", "us_1", 40, at(2024, 5, 1, 12))
    sale("US", "us_1", 1000, at(2024, 7, 1, 23, 0))  # the day of `at` counts whole (rollups are daily)
    sale("US", "us_1", 10_000, at(2024, 7, 2, 0, 0))  # after the window
    sale("US", "us_2", 100_000, at(2024, 3, 15, 12))  # another shop
    assert _trailing(at(2024, 7, 1, 8)) == {"amount": 10 + 100 - 40 + 1000, "currency": "USD"}
    assert _trailing(at(2024, 7, 1, 8), days=1) == {"amount": 1000, "currency": "USD"}
    assert _trailing(at(2024, 7, 2, 0, 0)) == {"amount": 100 - 40 + 1000 + 10_000, "currency": "USD"}
    assert _trailing(at(2023, 7, 2, 12)) == {"amount": 1, "currency": "USD"}


def test_trailing_defaults_to_now(sale, at):
    from marketcast.core import clock

    sale("MX", "mx_1", 500, at(2024, 1, 11))
    with clock.frozen(at(2025, 1, 9, 12)):  # 2024-01-11 is the first day of the 365 ending 2025-01-09
        assert _trailing(None, shop_id="mx_1") == {"amount": 500, "currency": "MXN"}
    with clock.frozen(at(2025, 1, 10, 0, 0)):
        assert _trailing(None, shop_id="mx_1") == {"amount": 0, "currency": "MXN"}


def test_trailing_days_must_be_positive():
    with pytest.raises(Invalid) as err:
        _trailing(None, days=0)
    assert err.value.field == "days"
