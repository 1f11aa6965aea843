"""Whatever the sequence of sales and refunds, every report read from the rollups (the market one or the shop one,
as rollups.source_for picks) equals the same report computed from the list of what was recorded."""

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from marketcast.core.db import unit_of_work
from marketcast.core.errors import Conflict
from marketcast.reports import service
from marketcast.reports.models import GmvDaily, GmvMarketDaily

SHOPS = {"shop_us1": "US", "shop_us2": "US", "shop_us3": "US", "shop_mx": "MX", "shop_pr": "PR"}
CURRENCY = {"US": "USD", "MX": "MXN", "PR": "USD"}
START = date(2024, 2, 27)  # the range crosses 29 February
DAYS = 6

events = st.lists(st.tuples(
    st.sampled_from(["sale", "refund"]), st.sampled_from(sorted(SHOPS)), st.integers(0, DAYS - 1),
    st.integers(0, 23), st.integers(0, 10_000), st.integers(0, 4), st.sampled_from([None, None, None, "EUR"]),
), max_size=30)


def _record(session, kind, shop, day, hour, amount, units, currency):
    market = SHOPS[shop]
    at = datetime(START.year, START.month, START.day, hour, tzinfo=UTC) + timedelta(days=day)
    args = {"market": market, "shop_id": shop, "currency": currency or CURRENCY[market], "amount": amount,
            "units": units, "at": at}
    if kind == "sale":
        service.record_sale(session, **args)
    else:
        service.record_refund(session, **args)


def _fold(accepted, *, group_by, market=None, markets_in=None, shop_id=None, from_day, to_day):
    """The report by definition, from the list of what was recorded."""
    sums = defaultdict(lambda: [0, 0, 0, 0, 0])
    for kind, shop, day, _, amount, units, currency in accepted:
        m, d = SHOPS[shop], START + timedelta(days=day)
        if not from_day <= d <= to_day or (market and m != market) or (markets_in is not None and m not in markets_in) \
                or (shop_id and shop != shop_id):
            continue
        key = {"day": d, "market": m, "shop": shop}[group_by]
        line = sums[(key, currency or CURRENCY[m])]
        if kind == "sale":
            line[0], line[2], line[3] = line[0] + amount, line[2] + 1, line[3] + units
        else:
            line[1], line[4] = line[1] + amount, line[4] + units
    return [(key, cur, g, r, g - r, o, u, ur) for (key, cur), (g, r, o, u, ur) in sorted(sums.items())]


def _plain(rows):
    return [(r.key, r.currency, r.gmv, r.refunds, r.net_gmv, r.orders, r.units, r.units_refunded) for r in rows]


def _reports():
    whole = {"from_day": START, "to_day": START + timedelta(days=DAYS - 1)}
    middle = {"from_day": START + timedelta(days=1), "to_day": START + timedelta(days=3)}
    for group_by in ("day", "market", "shop"):
        for span in (whole, middle):
            for scope in ({}, {"market": "US"}, {"markets_in": ("MX", "PR")}, {"shop_id": "shop_us2"},
                          {"market": "US", "shop_id": "shop_us1"}):
                yield {"group_by": group_by, **span, **scope}


def test_every_report_from_the_rollups_equals_the_report_from_what_was_recorded(markets3):
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(events)
    def check(sequence):
        with unit_of_work() as session:
            session.execute(delete(GmvDaily))
            session.execute(delete(GmvMarketDaily))
            accepted = []
            for event in sequence:
                try:
                    _record(session, *event)
                    accepted.append(event)
                except Conflict:  # another currency on a shop's existing day: refused, nothing written
                    pass
            for report in _reports():
                expected = _fold(accepted, **report)
                assert _plain(service.gmv_report(session, **report)) == expected, report
                paged, token = [], None
                while True:
                    rows, token = service.gmv_report_page(session, page_size=2, page_token=token, **report)
                    paged += _plain(rows)
                    if token is None:
                        break
                assert paged == expected, report
            span = {"from_day": START, "to_day": START + timedelta(days=DAYS - 1)}
            chart = service.gmv_by_market_and_day(session, **span)
            assert {k: _plain(v) for k, v in chart.items()} == {
                (m, cur): [row for row in _fold(accepted, group_by="day", market=m, **span) if row[1] == cur]
                for m, cur in {(SHOPS[e[1]], e[6] or CURRENCY[SHOPS[e[1]]]) for e in accepted}}

    check()
