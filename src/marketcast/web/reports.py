"""Console page for GMV: per market and day, a table and a bar chart per market (its own currency)."""

from datetime import date, timedelta

from fastapi import APIRouter, Request

from marketcast.core.errors import Invalid
from marketcast.core.web_deps import UnitOfWork
from marketcast.reports import service as reports
from marketcast.web.common import ConsoleOperator, render

router = APIRouter(prefix="/reports")
CHART_W, CHART_H = 720, 140


def _day(text: str, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{text!r} is not a date such as 2024-06-01", field=field) from None


def bars(rows, start: date, end: date) -> list[dict]:
    """One bar per day of the range (missing days are zero), scaled to the chart's height."""
    by_day = {r.key: r for r in rows}
    days = [(start + timedelta(days=i)) for i in range((end - start).days + 1)]
    top = max((r.gmv for r in rows), default=0) or 1
    width = CHART_W / len(days)
    out = []
    for i, day in enumerate(days):
        row = by_day.get(day)
        gmv, refunds = (row.gmv, row.refunds) if row else (0, 0)
        out.append({"x": round(i * width, 2), "w": max(round(width - 1, 2), 1), "day": day.isoformat(), "gmv": gmv,
                    "refunds": refunds, "h": round(gmv / top * CHART_H, 2), "rh": round(refunds / top * CHART_H, 2)})
    return out


@router.get("/gmv")
def gmv(request: Request, uow: UnitOfWork, actor: ConsoleOperator, market: str = "", start: str = "", end: str = ""):
    from_day, to_day = reports.report_range(_day(start, "start"), _day(end, "end"))
    scope = reports.report_scope(uow, actor=actor, market=market or None)
    charts = []
    for (code, currency), rows in reports.gmv_by_market_and_day(uow, market=market or None, markets_in=scope,
                                                               from_day=from_day, to_day=to_day).items():
        total = {name: sum(getattr(r, name) for r in rows) for name in ("gmv", "refunds", "net_gmv")}
        charts.append({"market": code, "currency": currency, "total": total, "rows": rows,
                       "bars": bars(rows, from_day, to_day)})
    return render(request, "gmv.html", actor=actor, charts=charts, market=market, start=from_day, end=to_day,
                  width=CHART_W, height=CHART_H)
