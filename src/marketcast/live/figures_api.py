"""LIVE figures over HTTP: a session's metrics as it runs (its host, and operators), a click on a product of the
room (any viewer), and the live report by session, host or day (hosts their own, operators their markets')."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status

from marketcast.core.openapi import raises
from marketcast.core.web_deps import AnyUser, MaybeUser, UnitOfWork
from marketcast.live import metrics, reports
from marketcast.live.schemas import ClickIn, FiguresOut, LiveReportGroup, LiveReportOut, ReportRowOut, SessionFiguresOut

router = APIRouter(tags=["live"])  # included by live.api, under its prefix


@router.get("/live/sessions/{session_id}/metrics", response_model=SessionFiguresOut)
@raises("live_session_not_found", "not_your_session", "market_out_of_scope", "live_metrics_not_started")
def get_session_metrics(session_id: str, uow: UnitOfWork, actor: AnyUser):
    """The session's figures so far (its host and operators); they keep counting while it is live."""
    live_id, figures = metrics.session_metrics(uow, session_id=session_id, actor=actor)
    return SessionFiguresOut(session_id=live_id, **FiguresOut.of(figures).model_dump())


@router.post("/live/sessions/{session_id}/clicks", status_code=status.HTTP_204_NO_CONTENT)
@raises("live_session_not_found", "product_not_in_bag")
def click_product(session_id: str, body: ClickIn, uow: UnitOfWork, actor: MaybeUser):
    """A viewer tapped a product of the room (anonymous viewers too): a product click in the session's figures."""
    metrics.click(uow, session_id=session_id, product_id=body.product_id, actor=actor)


@router.get("/reports/live", response_model=LiveReportOut)
@raises("market_out_of_scope", "host_required", "unknown_host", "shop_not_found", "not_owner", "not_your_creator",
        "invalid_date_range")
def live_report(uow: UnitOfWork, actor: AnyUser, group_by: LiveReportGroup = LiveReportGroup.session,
                market: Annotated[str | None, Query(min_length=2, max_length=2)] = None,
                host: Annotated[str | None, Query(max_length=32, description="a shop or creator id")] = None,
                from_: Annotated[date | None, Query(alias="from", description="first day (UTC), inclusive")] = None,
                to: Annotated[date | None, Query(description="last day (UTC), exclusive")] = None):
    """LIVE figures by session, host or day from the rollups (by host and day: ended sessions). Hosts see their
    own (`host` required), operators their markets'."""
    rows = reports.live_report(uow, actor=actor, group_by=group_by.value, market=market, host=host, start=from_,
                               end=to)
    return LiveReportOut(group_by=group_by, items=[ReportRowOut(key=r.key, market=r.market,
                                                                figures=FiguresOut.of(r.figures)) for r in rows])
