"""LIVE figures over HTTP: a session's metrics as it runs (its host, and operators), a click on a product of the
room (any viewer), and the live report by session, host or day (hosts their own, operators their markets')."""

from datetime import date
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from marketcast.core.auth.actor import Actor
from marketcast.core.errors import Forbidden, Invalid, NotFound
from marketcast.core.money import Money
from marketcast.core.openapi import raises
from marketcast.core.web_deps import AnyUser, MaybeUser, UnitOfWork
from marketcast.creators import service as creators
from marketcast.live import metrics, reports, sessions
from marketcast.live.metrics import Figures
from marketcast.sellers import service as sellers

router = APIRouter(tags=["live"])  # included by live.api, under its prefix


class GroupBy(StrEnum):
    session = "session"
    host = "host"
    day = "day"


class FiguresOut(BaseModel):
    """TikTok Shop's LIVE core stats (views = watch_pv; CTR = product clicks / views; click-to-order = paid
    orders / product clicks; GPM = GMV per 1,000 views), and effective live time: minutes live with at least one
    product in the bag and at least one viewer present."""

    views: int
    unique_viewers: int
    viewers_now: int
    peak_concurrent_viewers: int
    average_concurrent_viewers: float
    average_watch_seconds: float = Field(description="viewing time per unique viewer")
    product_impressions: int
    product_clicks: int
    ctr: float | None = Field(description="product clicks / views; null without views")
    click_to_order_rate: float | None = Field(description="paid orders / product clicks; null without clicks")
    orders: int
    gmv: Money
    gpm: Money | None = Field(description="GMV per 1,000 views; null without views")
    live_minutes: float
    effective_live_minutes: float
    sessions: int

    @classmethod
    def of(cls, f: Figures) -> "FiguresOut":
        return cls(views=f.views, unique_viewers=f.unique_viewers, viewers_now=f.viewers,
                   peak_concurrent_viewers=f.peak_viewers, average_concurrent_viewers=f.average_viewers,
                   average_watch_seconds=f.average_watch_seconds, product_impressions=f.impressions,
                   product_clicks=f.clicks, ctr=f.ctr, click_to_order_rate=f.click_to_order, orders=f.orders,
                   gmv=Money(amount=f.gmv, currency=f.currency),
                   gpm=None if f.gpm is None else Money(amount=f.gpm, currency=f.currency),
                   live_minutes=f.live_minutes, effective_live_minutes=f.effective_live_minutes, sessions=f.sessions)


class SessionFiguresOut(FiguresOut):
    session_id: str


class ClickIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_]+$")


class ReportRowOut(BaseModel):
    key: str = Field(description="the session id, the host (shop:<id> or creator:<id>) or the day")
    market: str
    figures: FiguresOut


class LiveReportOut(BaseModel):
    group_by: GroupBy
    items: list[ReportRowOut]


@router.get("/live/sessions/{session_id}/metrics", response_model=SessionFiguresOut)
@raises("live_session_not_found", "not_your_session", "market_out_of_scope", "live_metrics_not_started")
def get_session_metrics(session_id: str, uow: UnitOfWork, actor: AnyUser):
    """The session's figures so far (its host and operators); they keep counting while it is live."""
    live = sessions.hosted(uow, session_id=session_id, actor=actor)
    figures = metrics.session_figures(uow, live.id)
    if figures is None:
        raise NotFound("live metrics", live.id, code="live_metrics_not_started",
                       detail=f"session {live.id} has not gone live: it has no figures yet")
    return SessionFiguresOut(session_id=live.id, **FiguresOut.of(figures).model_dump())


@router.post("/live/sessions/{session_id}/clicks", status_code=status.HTTP_204_NO_CONTENT)
@raises("live_session_not_found", "product_not_in_bag")
def click_product(session_id: str, body: ClickIn, uow: UnitOfWork, actor: MaybeUser):
    """A viewer tapped a product of the room (anonymous viewers too): a product click in the session's figures."""
    live = sessions.get(uow, session_id=session_id, actor=actor)
    if body.product_id not in {item.product_id for item in sessions.bag(uow, live.id)}:
        raise Invalid(f"product {body.product_id} is not in this session's bag", field="product_id",
                      code="product_not_in_bag")
    metrics.record_click(uow, session_id=live.id)


@router.get("/reports/live", response_model=LiveReportOut)
@raises("market_out_of_scope", "host_required", "unknown_host", "shop_not_found", "not_owner", "not_your_creator",
        "invalid_date_range")
def live_report(uow: UnitOfWork, actor: AnyUser, group_by: GroupBy = GroupBy.session,
                market: Annotated[str | None, Query(min_length=2, max_length=2)] = None,
                host: Annotated[str | None, Query(max_length=32, description="a shop or creator id")] = None,
                from_: Annotated[date | None, Query(alias="from", description="first day (UTC), inclusive")] = None,
                to: Annotated[date | None, Query(description="last day (UTC), exclusive")] = None):
    """LIVE figures by session, host or day from the rollups (by host and day: ended sessions). Hosts see their
    own (`host` required), operators their markets'."""
    if from_ and to and to <= from_:
        raise Invalid("`to` must be after `from`", field="to", code="invalid_date_range")
    if not actor.is_operator:
        if not host:
            raise Invalid("name the host (your shop or creator id)", field="host", code="host_required")
        _require_own_host(uow, host, actor)
    rows = reports.report(uow, actor=actor, group_by=group_by.value, market=market, host=host, start=from_, end=to)
    return LiveReportOut(group_by=group_by, items=[ReportRowOut(key=r.key, market=r.market,
                                                                figures=FiguresOut.of(r.figures)) for r in rows])


def _require_own_host(uow, host: str, actor: Actor) -> None:
    """A shop the actor owns, or the actor's own creator profile."""
    if host.startswith("shp_"):
        sellers.require_shop_owner(uow, shop_id=host, actor=actor)
        return
    try:
        creator = creators.find(uow, host)
    except NotFound:
        raise Invalid(f"{host} is neither a shop nor a creator", field="host", code="unknown_host") from None
    if creator.user_id != actor.user_id:
        raise Forbidden(f"creator {creator.id} is not you ({actor.email})", code="not_your_creator")
