"""The figures a program's criteria and rankings may name: one registry, each metric a function over
(session, shop_ids, period start, period end) returning a whole number per shop in the metric's base unit.

Orders-based metrics read the GMV rollups (reports.service.shop_totals: rows per shop and UTC day, never the
orders). The LIVE metrics read `live.service.host_period_figures` (the live area's rollups of the shop's own
sessions); until the live area offers it, those four are listed as unavailable and a program naming them is
refused (`metric_unavailable`)."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from marketcast.reports import service as reports


class Metric(StrEnum):
    effective_live_hours = "effective_live_hours"
    live_sessions = "live_sessions"
    live_gmv = "live_gmv"
    unique_viewers = "unique_viewers"
    orders = "orders"
    gmv = "gmv"
    refund_rate = "refund_rate"


Figures = Callable[[Session, Sequence[str], datetime, datetime], dict[str, int]]


@dataclass(frozen=True)
class MetricDef:
    name: Metric
    unit: str  # the unit a criterion's min / max is written in
    description: str
    compute: Figures
    per_unit: int = 1  # base units (what `compute` returns) in one criterion unit: 60 minutes in an hour
    higher_is_better: bool = True
    live: bool = False
    words: str = ""  # how an explanation names it: "effective live hours"

    @property
    def available(self) -> bool:
        return not self.live or _host_period_figures() is not None

    def shown(self, base: int) -> int | float:
        """The value in the criterion's unit, as standings show it (hours to 2 decimals)."""
        return base if self.per_unit == 1 else round(base / self.per_unit, 2)


# --- orders-based: the GMV rollups -------------------------------------------------------------------------------

def _days(start: datetime, end: datetime):
    """The UTC days a period covers: its end is exclusive, so a period ending at midnight stops the day before."""
    return start.date(), (end - timedelta(microseconds=1)).date()


def _totals(session: Session, shop_ids: Sequence[str], start: datetime, end: datetime):
    first, last = _days(start, end)
    return reports.shop_totals(session, shop_ids=shop_ids, from_day=first, to_day=last)


def _orders(session, shop_ids, start, end) -> dict[str, int]:
    totals = _totals(session, shop_ids, start, end)
    return {s: totals[s].orders if s in totals else 0 for s in shop_ids}


def _gmv(session, shop_ids, start, end) -> dict[str, int]:
    totals = _totals(session, shop_ids, start, end)
    return {s: totals[s].gmv if s in totals else 0 for s in shop_ids}


def _refund_rate(session, shop_ids, start, end) -> dict[str, int]:
    """Refunds made in the period over GMV paid in it, in basis points (0 with no sales)."""
    totals = _totals(session, shop_ids, start, end)
    out = {}
    for s in shop_ids:
        t = totals.get(s)
        out[s] = (t.refunds * 10_000 // t.gmv) if t is not None and t.gmv > 0 else 0
    return out


# --- LIVE: the live area's per-host figures ----------------------------------------------------------------------

def _host_period_figures() -> Any:
    try:
        from marketcast.live import service as live
    except ImportError:
        return None
    return getattr(live, "host_period_figures", None)


def _live(field: str) -> Figures:
    def compute(session: Session, shop_ids: Sequence[str], start: datetime, end: datetime) -> dict[str, int]:
        figures_of = _host_period_figures()
        if figures_of is None:
            raise LookupError("the live area does not report host figures yet")
        found = figures_of(session, shop_ids=list(shop_ids), start=start, end=end)
        return {s: int(getattr(found[s], field)) if s in found else 0 for s in shop_ids}

    return compute


REGISTRY: dict[Metric, MetricDef] = {m.name: m for m in (
    MetricDef(Metric.effective_live_hours, "hours", "Hours of the shop's own LIVE that counted as effective "
              "(streamed with products shown), summed over the period.", _live("effective_live_minutes"),
              per_unit=60, live=True, words="effective live hours"),
    MetricDef(Metric.live_sessions, "sessions", "The shop's own LIVE sessions held in the period.",
              _live("sessions"), live=True, words="sessions"),
    MetricDef(Metric.live_gmv, "minor units", "GMV of orders placed from the shop's own LIVE in the period, in "
              "minor units of the market's currency.", _live("gmv"), live=True, words="LIVE GMV"),
    MetricDef(Metric.unique_viewers, "viewers", "Distinct viewers of the shop's own LIVE in the period.",
              _live("unique_viewers"), live=True, words="unique viewers"),
    MetricDef(Metric.orders, "orders", "Orders paid in the period (UTC days, from the GMV rollups).", _orders,
              words="orders"),
    MetricDef(Metric.gmv, "minor units", "GMV paid in the period, in minor units of the market's currency (UTC "
              "days, from the GMV rollups).", _gmv, words="GMV"),
    MetricDef(Metric.refund_rate, "basis points", "Refunds made in the period over GMV paid in it, in basis "
              "points (3000 = 30%).", _refund_rate, higher_is_better=False, words="refund rate"),
)}


def get(name: str) -> MetricDef | None:
    try:
        return REGISTRY[Metric(name)]
    except ValueError:
        return None


def compute(session: Session, names: Sequence[str], shop_ids: Sequence[str], start: datetime,
            end: datetime) -> dict[str, dict[str, int]]:
    """{shop_id: {metric: base value}} for the metrics named (each computed once, for all shops at once)."""
    out: dict[str, dict[str, int]] = {s: {} for s in shop_ids}
    if not shop_ids:
        return out
    for name in dict.fromkeys(names):
        values = REGISTRY[Metric(name)].compute(session, shop_ids, start, end)
        for s in shop_ids:
            out[s][name] = values.get(s, 0)
    return out
