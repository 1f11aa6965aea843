"""Console pages for GMV: the operator's report per market and day, and a seller's sales per day for one shop;
charts drawn on the server (web/charts.py). Both open on the latest 30 days that have data."""

from datetime import date, timedelta

from fastapi import APIRouter, Request

from marketcast.core.errors import Invalid
from marketcast.core.web_deps import UnitOfWork
from marketcast.reports import service as reports
from marketcast.sellers import service as sellers
from marketcast.web import charts
from marketcast.web.common import ConsoleOperator, ConsoleUser, render

router = APIRouter()
DEFAULT_DAYS = 30


def _day(text: str, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{text!r} is not a date such as 2024-06-01", field=field) from None


def _range(session, start: str, end: str, **scope) -> tuple[date, date]:
    """The range asked for; with no end, the 30 days up to the latest day that has data (today when none has)."""
    to_day = _day(end, "end") or reports.latest_day(session, **scope)
    from_day, to_day = reports.report_range(_day(start, "start"), to_day)
    if not start:
        from_day = to_day - timedelta(days=DEFAULT_DAYS - 1)
    return from_day, to_day


def _totals(rows) -> dict[str, int]:
    return {name: sum(getattr(r, name) for r in rows) for name in ("gmv", "refunds", "net_gmv", "orders", "units")}


@router.get("/reports/gmv")
def gmv(request: Request, uow: UnitOfWork, actor: ConsoleOperator, market: str = "", start: str = "", end: str = ""):
    scope = reports.report_scope(uow, actor=actor, market=market or None)
    from_day, to_day = _range(uow, start, end, market=market or None, markets_in=scope)
    found = reports.gmv_by_market_and_day(uow, market=market or None, markets_in=scope, from_day=from_day,
                                          to_day=to_day)
    cards = [{"market": code, "currency": currency, "rows": rows, "total": _totals(rows),
              "chart": charts.daily_money(rows, start=from_day, end=to_day, currency=currency,
                                          title=f"GMV and refunds per day in {code}")}
             for (code, currency), rows in found.items()]
    return render(request, "gmv.html", actor=actor, charts=cards, market=market, start=from_day, end=to_day)


@router.get("/shops/{shop_id}/sales")
def shop_sales(request: Request, shop_id: str, uow: UnitOfWork, actor: ConsoleUser, start: str = "",
               end: str = ""):
    """A seller's (or an operator's) view of one shop's sales: GMV and paid orders per day."""
    shop = sellers.require_shop_owner(uow, shop_id=shop_id, actor=actor)
    reports.report_scope(uow, actor=actor, shop_id=shop.id)
    from_day, to_day = _range(uow, start, end, shop_id=shop.id)
    rows = reports.gmv_report(uow, shop_id=shop.id, from_day=from_day, to_day=to_day, group_by="day")
    currency = rows[0].currency if rows else reports.trailing_gmv(uow, shop_id=shop.id)["currency"]
    return render(request, "sales.html", actor=actor, shop=shop, rows=rows, total=_totals(rows), currency=currency,
                  start=from_day, end=to_day,
                  money_chart=charts.daily_money(rows, start=from_day, end=to_day, currency=currency,
                                                 title=f"{shop.name}: GMV and refunds per day"),
                  orders_chart=charts.daily_count(rows, start=from_day, end=to_day, field="orders",
                                                  title=f"{shop.name}: paid orders per day", label="Orders"))
