"""The live area over HTTP: sessions, their bag and pin (hosts), flash deals (hosts make and start them; anyone
who may see the session reads them). Buying from a deal is `POST /orders` with `deal_id` on the line."""

from typing import Annotated

from fastapi import Query, status

from marketcast.core import clock
from marketcast.core.openapi import api_router, raises
from marketcast.core.pagination import Page, PageSize, PageToken
from marketcast.core.web_deps import AnyUser, MaybeUser, UnitOfWork
from marketcast.live import figures_api, service, ws
from marketcast.live.schemas import (
    BagOrderIn,
    BagProductIn,
    DealIn,
    DealOut,
    LiveSessionIn,
    LiveSessionOut,
    LiveSessionSummaryOut,
    PinIn,
    SessionStatus,
)

router = api_router("live", "LIVE sessions hosted by shops or creators: the product bag and its pinned product, "
                    "flash deals with a countdown, an allotment and a per-buyer limit.")

HOST_CODES = ("live_session_not_found", "not_your_session", "market_out_of_scope")


def _out(uow, live) -> LiveSessionOut:
    return LiveSessionOut.of(live, service.bag(uow, live.id))


def _deal_out(uow, deal) -> DealOut:
    return DealOut.of(deal, service.deal_snapshot(uow, deal))


@router.post("/live/sessions", status_code=status.HTTP_201_CREATED, response_model=LiveSessionOut)
@raises("shop_not_found", "not_owner", "market_out_of_scope", "shop_cannot_sell", "market_not_live",
        "unknown_creator", "not_your_creator", "creator_not_affiliate", "invalid_url")
def create_session(body: LiveSessionIn, uow: UnitOfWork, actor: AnyUser):
    """Schedule a LIVE hosted by a shop (its owner) or a creator (pilot or active, themself), in the host's live
    market. The video comes from any streaming service: the session keeps its playback URL."""
    live = service.create(uow, market=body.market, title=body.title, shop_id=body.host.shop_id,
                          creator_id=body.host.creator_id,
                          scheduled_start=clock.as_utc_input(body.scheduled_start, "scheduled_start"),
                          playback_url=body.playback_url, actor=actor)
    return _out(uow, live)


@router.get("/live/sessions", response_model=Page[LiveSessionSummaryOut])
def list_sessions(uow: UnitOfWork, actor: MaybeUser,
                  market: Annotated[str | None, Query(min_length=2, max_length=2)] = None,
                  status: SessionStatus | None = None, page_size: PageSize = None, page_token: PageToken = None):
    """Live and ended sessions for anyone; a host's own and an operator's markets' in every status."""
    rows, token = service.list_sessions(uow, actor=actor, market=market, status=status, page_size=page_size,
                                        page_token=page_token)
    return Page[LiveSessionSummaryOut](items=[LiveSessionSummaryOut.of(r) for r in rows], next_page_token=token)


@router.get("/live/sessions/{session_id}", response_model=LiveSessionOut)
@raises("live_session_not_found")
def get_session(session_id: str, uow: UnitOfWork, actor: MaybeUser):
    """Public once live (and after it ended); before, only its host and operators see it."""
    return _out(uow, service.get(uow, session_id=session_id, actor=actor))


@router.post("/live/sessions/{session_id}/start", response_model=LiveSessionOut)
@raises(*HOST_CODES, "invalid_session_status", "empty_bag", "pilot_weekly_limit", "shop_cannot_sell",
        "market_not_live")
def start_session(session_id: str, uow: UnitOfWork, actor: AnyUser):
    """scheduled → live, with at least one product in the bag; a pilot creator within
    creator.pilot.weekly_shoppable_lives LIVEs a week (409 pilot_weekly_limit naming the policy)."""
    return _out(uow, service.start(uow, session_id=session_id, actor=actor))


@router.post("/live/sessions/{session_id}/end", response_model=LiveSessionOut)
@raises(*HOST_CODES, "invalid_session_status")
def end_session(session_id: str, uow: UnitOfWork, actor: AnyUser):
    """live → ended; its deals end with it and their unsold units go back to the SKUs' stock."""
    return _out(uow, service.end(uow, session_id=session_id, actor=actor))


@router.post("/live/sessions/{session_id}/cancel", response_model=LiveSessionOut)
@raises(*HOST_CODES, "invalid_session_status")
def cancel_session(session_id: str, uow: UnitOfWork, actor: AnyUser):
    """scheduled → cancelled; its deals give their allotments back."""
    return _out(uow, service.cancel(uow, session_id=session_id, actor=actor))


@router.post("/live/sessions/{session_id}/bag", response_model=LiveSessionOut)
@raises(*HOST_CODES, "invalid_session_status", "unknown_product", "product_not_in_market", "product_not_offered",
        "bag_full")
def add_to_bag(session_id: str, body: BagProductIn, uow: UnitOfWork, actor: AnyUser):
    """Add a product at the end of the bag: the shop's own, or (a creator's LIVE) one their collaborations offer;
    at most live.bag.max_products. Adding a product already there changes nothing."""
    return _out(uow, service.add_to_bag(uow, session_id=session_id, product_id=body.product_id, actor=actor))


@router.delete("/live/sessions/{session_id}/bag/{product_id}", response_model=LiveSessionOut)
@raises(*HOST_CODES, "invalid_session_status", "product_not_in_bag", "product_has_deal")
def remove_from_bag(session_id: str, product_id: str, uow: UnitOfWork, actor: AnyUser):
    """Take a product out of the bag (unpinned if it was pinned); not while a deal on it has not ended."""
    return _out(uow, service.remove_from_bag(uow, session_id=session_id, product_id=product_id, actor=actor))


@router.put("/live/sessions/{session_id}/bag/order", response_model=LiveSessionOut)
@raises(*HOST_CODES, "invalid_session_status", "invalid_bag_order")
def reorder_bag(session_id: str, body: BagOrderIn, uow: UnitOfWork, actor: AnyUser):
    """The bag in a new order: `product_ids` lists every product of the bag once."""
    return _out(uow, service.reorder_bag(uow, session_id=session_id, product_ids=body.product_ids, actor=actor))


@router.post("/live/sessions/{session_id}/pin", response_model=LiveSessionOut)
@raises(*HOST_CODES, "invalid_session_status", "product_not_in_bag", "another_product_pinned")
def pin(session_id: str, body: PinIn, uow: UnitOfWork, actor: AnyUser):
    """Pin a product of the bag, one at a time (409 another_product_pinned: unpin first); null unpins."""
    return _out(uow, service.pin(uow, session_id=session_id, product_id=body.product_id, actor=actor))


@router.post("/live/sessions/{session_id}/deals", status_code=status.HTTP_201_CREATED, response_model=DealOut)
@raises(*HOST_CODES, "invalid_session_status", "unknown_sku", "product_not_in_bag", "wrong_currency",
        "deal_price_not_below", "countdown_out_of_bounds", "duration_out_of_bounds", "starts_in_past",
        "out_of_stock")
def create_deal(session_id: str, body: DealIn, uow: UnitOfWork, actor: AnyUser):
    """A flash deal on a SKU of the bag: price below the SKU's, an allotment taken from its stock now, a per-buyer
    limit, a countdown within live.flash_deal.countdown_seconds_min..max and a duration up to
    live.flash_deal.max_duration_minutes. With `starts_at` its countdown starts then; without, when the host
    starts it. Its unpaid orders expire after live.flash_deal.unpaid_expiry_minutes."""
    deal = service.create_deal(uow, session_id=session_id, sku_id=body.sku_id, deal_price=body.deal_price.amount,
                               currency=body.deal_price.currency, allotment=body.allotment,
                               per_buyer_limit=body.per_buyer_limit, countdown_seconds=body.countdown_seconds,
                               duration_minutes=body.duration_minutes,
                               starts_at=clock.as_utc_input(body.starts_at, "starts_at") if body.starts_at else None,
                               actor=actor, buckets=body.stock_buckets)
    return _deal_out(uow, deal)


@router.get("/live/sessions/{session_id}/deals", response_model=list[DealOut])
@raises("live_session_not_found")
def list_deals(session_id: str, uow: UnitOfWork, actor: MaybeUser):
    """The session's deals, for anyone who may see the session."""
    return [_deal_out(uow, d) for d in service.deals_of_session(uow, session_id=session_id, actor=actor)]


@router.post("/live/deals/{deal_id}/start", response_model=DealOut)
@raises("deal_not_found", *HOST_CODES, "invalid_session_status", "deal_not_startable")
def start_deal(deal_id: str, uow: UnitOfWork, actor: AnyUser):
    """The host starts a scheduled deal's countdown now; it opens when the countdown is over."""
    return _deal_out(uow, service.start_deal(uow, deal_id=deal_id, actor=actor))


@router.post("/live/deals/{deal_id}/end", response_model=DealOut)
@raises("deal_not_found", *HOST_CODES, "invalid_session_status")
def end_deal(deal_id: str, uow: UnitOfWork, actor: AnyUser):
    """The host ends a deal early: its unsold units go back to the SKU's stock, once (ending it again changes
    nothing)."""
    return _deal_out(uow, service.end_deal(uow, deal_id=deal_id, actor=actor))


@router.get("/live/deals/{deal_id}", response_model=DealOut)
@raises("deal_not_found", "live_session_not_found")
def get_deal(deal_id: str, uow: UnitOfWork, actor: MaybeUser):
    """A deal's status as of now, units left, sold, when it opens and ends."""
    return _deal_out(uow, service.get_deal(uow, deal_id=deal_id, actor=actor))


router.include_router(figures_api.router)
router.include_router(ws.router)
