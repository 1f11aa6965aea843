"""LIVE figures over time, from the rollups only: by session (each session's row), by host or by day (the hosts'
day rows, which hold ended sessions). What programs and the live report read."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketcast.core.auth.actor import Actor
from marketcast.core.auth.scope import in_markets
from marketcast.core.errors import Forbidden, Invalid, NotFound
from marketcast.creators import service as creators
from marketcast.live.metric_models import SUMMED, HostDay, SessionFigures
from marketcast.live.metrics import Figures, figures_of
from marketcast.sellers import service as sellers

GROUPS = ("session", "host", "day")
REPORT_LIMIT = 1000  # rows of one report; narrow the dates or the host for more


@dataclass(frozen=True)
class HostFigures:
    """A host's LIVE over a period, as programs judge it."""

    effective_live_minutes: int
    sessions: int
    gmv: int
    unique_viewers: int


def host_period_figures(session: Session, *, shop_ids: list[str], start: datetime | date,
                        end: datetime | date) -> dict[str, HostFigures]:
    """Self-broadcast figures per shop over [start, end) (days, UTC, of the sessions' starts): shops without a
    LIVE in the period are absent."""
    first, stop = _day(start), _day(end)
    rows = session.execute(
        select(HostDay.host_id, func.sum(HostDay.effective_ms), func.sum(HostDay.sessions), func.sum(HostDay.gmv),
               func.sum(HostDay.unique_viewers))
        .where(HostDay.host_kind == "shop", HostDay.host_id.in_(shop_ids), HostDay.day >= first, HostDay.day < stop)
        .group_by(HostDay.host_id)).all()
    return {host_id: HostFigures(effective_live_minutes=int(ms or 0) // 60000, sessions=int(n or 0),
                                 gmv=int(gmv or 0), unique_viewers=int(uv or 0))
            for host_id, ms, n, gmv, uv in rows}


def _day(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


@dataclass(frozen=True)
class ReportRow:
    key: str  # the session id, the host (kind:id) or the day
    market: str
    figures: Figures


def live_report(session: Session, *, actor: Actor, group_by: str, market: str | None = None,
                host: str | None = None, start: date | None = None, end: date | None = None) -> list[ReportRow]:
    """The report as `actor` may see it: operators their markets', anyone else their own host (`host` named)."""
    if start and end and end <= start:
        raise Invalid("`to` must be after `from`", field="to", code="invalid_date_range")
    if not actor.is_operator:
        if not host:
            raise Invalid("name the host (your shop or creator id)", field="host", code="host_required")
        _require_own_host(session, host, actor)
    return report(session, actor=actor, group_by=group_by, market=market, host=host, start=start, end=end)


def _require_own_host(session: Session, host: str, actor: Actor) -> None:
    """A shop the actor owns, or the actor's own creator profile."""
    if host.startswith("shp_"):
        sellers.require_shop_owner(session, shop_id=host, actor=actor)
        return
    try:
        creator = creators.find(session, host)
    except NotFound:
        raise Invalid(f"{host} is neither a shop nor a creator", field="host", code="unknown_host") from None
    if creator.user_id != actor.user_id:
        raise Forbidden(f"creator {creator.id} is not you ({actor.email})", code="not_your_creator")


def report(session: Session, *, actor: Actor, group_by: str, market: str | None = None, host: str | None = None,
           start: date | None = None, end: date | None = None) -> list[ReportRow]:
    """Rows grouped by session, host or day, newest first; `host` is a shop or creator id; [start, end) days."""
    if group_by == "session":
        return _by_session(session, actor=actor, market=market, host=host, start=start, end=end)
    key = (HostDay.host_kind, HostDay.host_id) if group_by == "host" else (HostDay.day,)
    stmt = select(*key, HostDay.market, HostDay.currency, func.max(HostDay.peak_viewers),
                  *(func.sum(getattr(HostDay, name)) for name in (*SUMMED, "sessions")))
    stmt = _filtered(stmt, HostDay, actor=actor, market=market, host=host, start=start, end=end)
    rows = session.execute(stmt.group_by(*key, HostDay.market, HostDay.currency)
                           .order_by(*(k.desc() for k in key)).limit(REPORT_LIMIT)).all()
    out = []
    for row in rows:
        *keys, mkt, currency, peak = row[:len(key) + 3]
        sums = dict(zip((*SUMMED, "sessions"), (int(v or 0) for v in row[len(key) + 3:]), strict=True))
        label = f"{keys[0]}:{keys[1]}" if group_by == "host" else keys[0].isoformat()
        out.append(ReportRow(label, mkt, Figures(**sums, peak_viewers=int(peak or 0), viewers=0, currency=currency)))
    return out


def _by_session(session: Session, *, actor: Actor, market, host, start, end) -> list[ReportRow]:
    stmt = _filtered(select(SessionFigures), SessionFigures, actor=actor, market=market, host=host, start=start,
                     end=end)
    rows = session.scalars(stmt.order_by(SessionFigures.day.desc(), SessionFigures.session_id.desc())
                           .limit(REPORT_LIMIT))
    return [ReportRow(r.session_id, r.market, figures_of(r, viewers=r.viewers if r.live else 0)) for r in rows]


def _filtered(stmt, table, *, actor: Actor, market, host, start, end):
    stmt = in_markets(stmt, table.market, actor, market)
    if host:
        stmt = stmt.where(table.host_id == host)
    if start:
        stmt = stmt.where(table.day >= start)
    if end:
        stmt = stmt.where(table.day < end)
    return stmt
