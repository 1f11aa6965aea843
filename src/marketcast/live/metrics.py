"""A LIVE session's figures as TikTok Shop's analytics define them (research A6), kept as the session runs.

Each server process reports its viewers of a session about once a second (`record_presence`); every report,
bag change, pin and paid order ticks the session's row: the time since the last tick is added with the state
that held during it (viewers, bag size), then the state is refreshed. The row is locked for the tick, so ticks
from many processes serialise on it and no time is counted twice. When the session ends, its figures are added,
once, to its host's day (metric_models.HostDay), which reports and programs read. See docs/adr/0023."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from marketcast.core import clock
from marketcast.core.auth.actor import Actor
from marketcast.core.db import upsert_insert
from marketcast.core.errors import Invalid, NotFound
from marketcast.live.metric_models import SUMMED, HostDay, Presence, SessionFigures, Viewer
from marketcast.live.models import BagItem, LiveSession
from marketcast.markets import service as markets

PRESENCE_TTL = timedelta(seconds=15)  # a process silent this long (killed) no longer counts its viewers


def host_of(live: LiveSession) -> tuple[str, str]:
    return live.host_kind, live.shop_id or live.creator_id or ""


def open_figures(session: Session, live: LiveSession) -> None:
    """The session's row, when it goes live (its day is the UTC day it started)."""
    now = clock.now()
    kind, host_id = host_of(live)
    session.add(SessionFigures(session_id=live.id, market=live.market, host_kind=kind, host_id=host_id,
                               currency=markets.get(session, live.market).currency, day=now.date(),
                               viewers=0, bag_size=_bag_size(session, live.id), live=True, ticked_at=now,
                               rolled_up=False, **dict.fromkeys(SUMMED, 0), peak_viewers=0))
    session.flush()


def _bag_size(session: Session, session_id: str) -> int:
    return session.scalar(select(func.count()).select_from(BagItem).where(BagItem.session_id == session_id)) or 0


def _viewers_now(session: Session, session_id: str, now: datetime) -> int:
    total = session.scalar(select(func.coalesce(func.sum(Presence.viewers), 0))
                           .where(Presence.session_id == session_id, Presence.seen_at >= now - PRESENCE_TTL))
    return int(total or 0)


def _locked(session: Session, session_id: str) -> SessionFigures | None:
    return session.scalar(select(SessionFigures).where(SessionFigures.session_id == session_id)
                          .with_for_update().execution_options(populate_existing=True))


def tick(session: Session, session_id: str, *, ending: bool = False) -> SessionFigures | None:
    """Account the time since the last tick with the state it had, then take the state as it is now."""
    figures = _locked(session, session_id)
    if figures is None or not figures.live:
        return figures
    now = clock.now()
    elapsed = max(0, int((now - figures.ticked_at).total_seconds() * 1000))
    figures.live_ms += elapsed
    figures.viewer_ms += figures.viewers * elapsed
    if figures.viewers > 0 and figures.bag_size > 0:
        figures.effective_ms += elapsed
    figures.ticked_at = now
    if ending:
        figures.viewers, figures.live = 0, False
    else:
        figures.viewers = _viewers_now(session, session_id, now)
        figures.bag_size = _bag_size(session, session_id)
        figures.peak_viewers = max(figures.peak_viewers, figures.viewers)
    return figures


def record_presence(session: Session, *, session_id: str, process_id: str, viewers: int,
                    joined: list[str]) -> SessionFigures | None:
    """One process's viewers of a session now, and the viewers who joined there since its last report (a view
    each; a unique viewer the first time the session sees them; an impression of the pinned product each)."""
    now = clock.now()
    stmt = upsert_insert(session, Presence.__table__).values(session_id=session_id, process_id=process_id,
                                                              viewers=viewers, seen_at=now)
    session.execute(stmt.on_conflict_do_update(index_elements=["session_id", "process_id"],
                                               set_={"viewers": viewers, "seen_at": now}))
    figures = tick(session, session_id)
    if figures is None or not figures.live or not joined:
        return figures
    keys = sorted(set(joined))
    new = session.execute(upsert_insert(session, Viewer.__table__)
                          .values([{"session_id": session_id, "viewer_key": k[:64]} for k in keys])
                          .on_conflict_do_nothing().returning(Viewer.viewer_key)).all()
    figures.views += len(joined)
    figures.unique_viewers += len(new)
    if _pinned(session, session_id):
        figures.impressions += len(joined)
    return figures


def _pinned(session: Session, session_id: str) -> str | None:
    return session.scalar(select(LiveSession.pinned_product_id).where(LiveSession.id == session_id))


def record_pin(session: Session, session_id: str) -> None:
    """A product pinned: an impression for each viewer present."""
    figures = tick(session, session_id)
    if figures is not None and figures.live and _pinned(session, session_id):
        figures.impressions += figures.viewers


def record_click(session: Session, *, session_id: str) -> None:
    """A viewer tapped the pinned product (or a product of the bag): one guarded increment."""
    session.execute(update(SessionFigures).where(SessionFigures.session_id == session_id, SessionFigures.live)
                    .values(clicks=SessionFigures.clicks + 1), execution_options={"synchronize_session": False})


def record_paid(session: Session, *, session_id: str, amount: int, currency: str) -> None:
    """A paid order bought in the session: added to the session, and to its host's day once it has been rolled
    up (the UPDATE waits for a concurrent roll-up's lock, then sees its flag: counted once either way)."""
    row = session.execute(
        update(SessionFigures).where(SessionFigures.session_id == session_id, SessionFigures.currency == currency)
        .values(orders=SessionFigures.orders + 1, gmv=SessionFigures.gmv + amount)
        .returning(SessionFigures.rolled_up, SessionFigures.host_kind, SessionFigures.host_id, SessionFigures.day,
                   SessionFigures.market), execution_options={"synchronize_session": False}).first()
    if row is not None and row.rolled_up:
        _add_to_day(session, host_kind=row.host_kind, host_id=row.host_id, day=row.day, currency=currency,
                    market=row.market, measures={"orders": 1, "gmv": amount})


def close(session: Session, session_id: str) -> None:
    """The session ended: a last tick, then its figures added to its host's day, once (the flag is set under the
    row's lock)."""
    figures = tick(session, session_id, ending=True)
    if figures is None or figures.rolled_up:
        return
    figures.rolled_up = True
    _add_to_day(session, host_kind=figures.host_kind, host_id=figures.host_id, day=figures.day,
                currency=figures.currency, market=figures.market,
                measures={name: getattr(figures, name) for name in SUMMED} | {"sessions": 1},
                peak=figures.peak_viewers)
    session.execute(Presence.__table__.delete().where(Presence.session_id == session_id))


def _add_to_day(session: Session, *, host_kind: str, host_id: str, day, currency: str, market: str,
                measures: dict[str, int], peak: int = 0) -> None:
    table = HostDay.__table__
    row = dict.fromkeys((*SUMMED, "sessions"), 0) | measures
    stmt = upsert_insert(session, table).values(host_kind=host_kind, host_id=host_id, day=day, currency=currency,
                                                market=market, peak_viewers=peak, **row)
    set_ = {name: table.c[name] + stmt.excluded[name] for name in measures}
    set_["peak_viewers"] = func.max(table.c.peak_viewers, stmt.excluded.peak_viewers) \
        if session.get_bind().dialect.name == "sqlite" else func.greatest(table.c.peak_viewers,
                                                                          stmt.excluded.peak_viewers)
    session.execute(stmt.on_conflict_do_update(index_elements=list(table.primary_key.columns), set_=set_))


@dataclass(frozen=True)
class Figures:
    """A session's (or a group's) figures with the rates derived from them; None where a rate has no base."""

    views: int
    unique_viewers: int
    peak_viewers: int
    viewers: int
    live_ms: int
    viewer_ms: int
    effective_ms: int
    impressions: int
    clicks: int
    orders: int
    gmv: int
    currency: str
    sessions: int = 1

    @property
    def average_viewers(self) -> float:
        return round(self.viewer_ms / self.live_ms, 2) if self.live_ms else 0.0

    @property
    def average_watch_seconds(self) -> float:
        """Total viewing time per unique viewer (TikTok's avg_watching_duration)."""
        return round(self.viewer_ms / 1000 / self.unique_viewers, 1) if self.unique_viewers else 0.0

    @property
    def ctr(self) -> float | None:
        return round(self.clicks / self.views, 4) if self.views else None

    @property
    def click_to_order(self) -> float | None:
        return round(self.orders / self.clicks, 4) if self.clicks else None

    @property
    def gpm(self) -> int | None:
        """GMV per 1,000 views, in minor units."""
        return self.gmv * 1000 // self.views if self.views else None

    @property
    def effective_live_minutes(self) -> float:
        return round(self.effective_ms / 60000, 2)

    @property
    def live_minutes(self) -> float:
        return round(self.live_ms / 60000, 2)


def figures_of(row: SessionFigures | HostDay, *, viewers: int = 0, sessions: int = 1) -> Figures:
    return Figures(views=row.views, unique_viewers=row.unique_viewers, peak_viewers=row.peak_viewers,
                   viewers=viewers, live_ms=row.live_ms, viewer_ms=row.viewer_ms, effective_ms=row.effective_ms,
                   impressions=row.impressions, clicks=row.clicks, orders=row.orders, gmv=row.gmv,
                   currency=row.currency, sessions=sessions)


def session_figures(session: Session, session_id: str) -> Figures | None:
    """A session's figures as of now (the time since the last tick included, nothing written)."""
    row = session.get(SessionFigures, session_id)
    if row is None:
        return None
    figures = figures_of(row, viewers=row.viewers if row.live else 0)
    if not row.live:
        return figures
    elapsed = max(0, int((clock.now() - row.ticked_at).total_seconds() * 1000))
    effective = elapsed if row.viewers > 0 and row.bag_size > 0 else 0
    return Figures(**{**figures.__dict__, "live_ms": row.live_ms + elapsed,
                      "viewer_ms": row.viewer_ms + row.viewers * elapsed,
                      "effective_ms": row.effective_ms + effective})


def session_metrics(session: Session, *, session_id: str, actor: Actor) -> tuple[str, Figures]:
    """The figures of a session the actor hosts (or operates), as of now; 404 before it has gone live."""
    from marketcast.live import sessions

    live = sessions.hosted(session, session_id=session_id, actor=actor)
    figures = session_figures(session, live.id)
    if figures is None:
        raise NotFound("live metrics", live.id, code="live_metrics_not_started",
                       detail=f"session {live.id} has not gone live: it has no figures yet")
    return live.id, figures


def click(session: Session, *, session_id: str, product_id: str, actor: Actor | None) -> None:
    """A viewer's click on a product of the bag of a session they may see."""
    from marketcast.live import sessions

    live = sessions.get(session, session_id=session_id, actor=actor)
    if product_id not in {item.product_id for item in sessions.bag(session, live.id)}:
        raise Invalid(f"product {product_id} is not in this session's bag", field="product_id",
                      code="product_not_in_bag")
    record_click(session, session_id=live.id)
