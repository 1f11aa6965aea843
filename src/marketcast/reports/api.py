"""GMV reports over HTTP: operators (within their markets) and sellers (their own shops); read-only."""

from datetime import date, datetime
from typing import Annotated

from fastapi import Query

from marketcast.core import clock
from marketcast.core.errors import Invalid
from marketcast.core.openapi import api_router, raises
from marketcast.core.pagination import PageSize, PageToken
from marketcast.core.web_deps import AnyUser, UnitOfWork
from marketcast.reports import service
from marketcast.reports.schemas import GmvGroupBy, GmvReportOut, GmvRowOut, TrailingGmvOut

router = api_router("reports", "GMV reports from the daily rollups (see docs/gmv.md).")

MarketQuery = Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$", description="two-letter market code")]
ShopQuery = Annotated[str | None, Query(min_length=1, max_length=32, description="one shop (sellers: required)")]


@router.get("/reports/gmv", response_model=GmvReportOut)
@raises("wrong_role", "market_out_of_scope", "market_not_found", "shop_not_found", "not_owner",
        "shop_id_required", "invalid_date_range")
def get_gmv_report(
    uow: UnitOfWork, actor: AnyUser, market: MarketQuery = None, shop_id: ShopQuery = None,
    from_day: Annotated[date | None, Query(alias="from", description="first UTC day (default: to - 29 days)")] = None,
    to_day: Annotated[date | None, Query(alias="to", description="last UTC day, included (default: today)")] = None,
    group_by: GmvGroupBy = GmvGroupBy.DAY,
    page_size: PageSize = None,
    page_token: PageToken = None,
):
    """GMV, refunds and net GMV per day, shop or market, one line per currency (amounts are never converted).

    Operators: any market in their scope (a market-limited operator without `market` gets only theirs).
    Sellers: `shop_id` of their own shop. At most 366 days (422, field `to`)."""
    from_day, to_day = service.report_range(from_day, to_day)
    scope = service.report_scope(uow, actor=actor, market=market, shop_id=shop_id)
    rows, token = service.gmv_report_page(uow, market=market, markets_in=scope, shop_id=shop_id, from_day=from_day,
                                          to_day=to_day, group_by=group_by, page_size=page_size,
                                          page_token=page_token)
    return GmvReportOut(items=[GmvRowOut.of(r, group_by) for r in rows], next_page_token=token, from_=from_day,
                        to=to_day, group_by=group_by)


@router.get("/reports/gmv/trailing", response_model=TrailingGmvOut)
@raises("wrong_role", "market_out_of_scope", "shop_not_found", "not_owner", "currency_mismatch")
def get_trailing_gmv(
    uow: UnitOfWork, actor: AnyUser,
    shop_id: Annotated[str, Query(min_length=1, max_length=32)],
    days: Annotated[int, Query(ge=1, le=service.MAX_RANGE_DAYS)] = 365,
    at: Annotated[datetime | None, Query(description="as of this time (default: now); its UTC day counts")] = None,
):
    """Net GMV of a shop over the `days` UTC days ending with the day of `at`. Operators of its market, its seller."""
    service.report_scope(uow, actor=actor, shop_id=shop_id)
    if at is not None:
        try:
            at = clock.as_utc(at)
        except OverflowError:  # an offset that pushes year 1 or 9999 out of range
            raise Invalid("at is out of range", field="at") from None
    return TrailingGmvOut(shop_id=shop_id, days=days,
                          net_gmv=service.trailing_gmv(uow, shop_id=shop_id, at=at, days=days))
