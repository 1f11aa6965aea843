"""Orders over HTTP. Checkout and refunds are idempotent writes (`respond_once`: authentication, the key and the work
in one unit of work of their own, see core.idempotency); payment owns its transactions (`pay_flow`, the provider is
called with none open), so it authenticates with `requires_own_session`. Neither takes the request's UnitOfWork."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from marketcast.core import clock, idempotency
from marketcast.core.auth.actor import Actor
from marketcast.core.errors import DomainError
from marketcast.core.idempotency import Outcome
from marketcast.core.openapi import api_router, raises
from marketcast.core.pagination import Page, PageSize, PageToken
from marketcast.core.settings import get_settings
from marketcast.core.web_deps import (
    AnyUser,
    BearerPresent,
    IdempotencyKeyHeader,
    UnitOfWork,
    requires,
    requires_own_session,
    respond_once_in_turn,
    writers,
)
from marketcast.orders import batch, pay_flow, service
from marketcast.orders.schemas import (
    CheckoutIn,
    OrderOut,
    OrderStatus,
    OrderSummaryOut,
    PayIn,
    RefundIn,
    RefundOut,
    ShipIn,
)

router = api_router("orders", "Checkout with an Idempotency-Key, payment with test cards, shipping, refunds.")

BuyerOwnSession = Annotated[Actor, Depends(requires_own_session("buyer"))]
SellerOrOperator = Annotated[Actor, Depends(requires("seller", "operator"))]


def _full(detail: service.OrderDetail) -> OrderOut:
    return OrderOut.full(detail.order, detail.lines, detail.refunds, detail.payments)


@router.post("/orders", status_code=status.HTTP_201_CREATED, response_model=OrderOut,
             dependencies=[BearerPresent])
@raises("wrong_role", "unknown_sku", "sku_not_on_sale", "mixed_shops", "mixed_currencies", "shop_cannot_sell",
        "market_not_live", "daily_order_cap_reached", "out_of_stock", "unknown_link", "unknown_creator",
        "creator_not_in_market", "unknown_deal", "deal_line_mixed", "deal_not_open", "deal_sold_out",
        "per_buyer_limit")
async def create_order(request: Request, body: CheckoutIn, idempotency_key: IdempotencyKeyHeader = None):
    """Place an order (buyers). Requires an `Idempotency-Key` header (400 idempotency_key_required without).

    A retry with the same key and the same body answers the first response again (status and body, header
    `Idempotent-Replayed: true`) and creates nothing; the same key with another body (or sent to another
    endpoint) is 422 idempotency_key_reused; a retry while the first is still running waits for it and then
    answers the same. Keys are remembered per user for `MARKETCAST_IDEMPOTENCY_TTL_HOURS` (default 24 h).
    A request that fails (409 out_of_stock, 422 …) is not remembered: retrying it may succeed. All SKUs must be
    of live products of one shop. Deal lines pass the checkout's admission first (orders.asgi): a deal known to
    be sold out or ended is answered 409 before this route runs."""

    batched = await _in_batch(request, body, idempotency_key)
    if batched is not None:
        return batched
    lines = [(x.sku_id, x.quantity, x.deal_id) for x in body.lines]

    def place(session: Session, actor: Actor) -> Outcome:
        extras: dict[str, Any] = {}
        if body.attribution:
            extras["attribution"] = body.attribution.model_dump(exclude_none=True)
        draft = service.draft_checkout(session, buyer=actor, lines=lines, extras=extras)
        # The stock is taken last, after the answer is stored: the hot row stays locked until the commit only.
        return Outcome(201, OrderOut.full(draft.order, draft.lines).model_dump(mode="json"),
                       last=lambda tx: service.take_stock(tx, draft))

    return await respond_once_in_turn(request, roles=("buyer",), key=idempotency_key, body=body, operation=place)


async def _in_batch(request: Request, body: CheckoutIn, key: str | None) -> JSONResponse | None:
    """A checkout of one line (a SKU, or a deal's), placed in its lane's next batch (orders.batch); None when it is
    not such a checkout or the batch left it to the ordinary way (which then answers it, errors included)."""
    if get_settings().checkout_batch < 2 or body.attribution or len(body.lines) != 1:
        return None
    line = body.lines[0]
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or key is None or not key.strip():
        return None
    try:
        key = idempotency.check_key(key)
    except DomainError:
        return None
    fingerprint = idempotency.request_hash(f"{request.method} {request.url.path}",
                                           body.model_dump(mode="json", exclude_none=True))
    result = await batch.submit((line.sku_id, line.quantity, line.deal_id),
                                batch.Ask(token.strip(), key, fingerprint), limiter=writers())
    if isinstance(result, DomainError):
        raise result
    if isinstance(result, idempotency.Answer):
        return JSONResponse(result.body, status_code=result.status)
    return None


@router.get("/orders", response_model=Page[OrderSummaryOut])
@raises("wrong_role", "shop_id_required", "shop_not_found", "not_owner", "market_out_of_scope")
def list_orders(uow: UnitOfWork, actor: AnyUser,
                shop_id: Annotated[str | None, Query(max_length=32)] = None,
                market: Annotated[str | None, Query(min_length=2, max_length=2)] = None,
                status: OrderStatus | None = None,
                buyer_email: Annotated[str | None, Query(max_length=254, description="the buyer's email")] = None,
                placed_from: Annotated[datetime | None, Query(description="created at or after")] = None,
                placed_before: Annotated[datetime | None, Query(description="created before")] = None,
                page_size: PageSize = None,
                page_token: PageToken = None):
    """Buyers: their own orders. Sellers: the orders of one of their shops (`shop_id`, required).
    Operators: orders of their markets (`market`, optional). Any of them may narrow by buyer email and by when
    the order was placed."""
    rows, token = service.list_orders(
        uow, actor=actor, shop_id=shop_id, market=market, status=status, buyer_email=buyer_email,
        placed_from=clock.as_utc_input(placed_from, "placed_from") if placed_from else None,
        placed_before=clock.as_utc_input(placed_before, "placed_before") if placed_before else None,
        page_size=page_size, page_token=page_token)
    return Page[OrderSummaryOut](items=[OrderSummaryOut.of(o) for o in rows], next_page_token=token)


@router.get("/orders/{order_id}", response_model=OrderOut)
@raises("order_not_found", "not_your_order", "not_owner", "market_out_of_scope")
def get_order(order_id: str, uow: UnitOfWork, actor: AnyUser):
    """The buyer, the shop's owner, or an operator of the order's market: lines, refunds, payment attempts."""
    return _full(service.detail(uow, order_id=order_id, actor=actor))


@router.post("/orders/{order_id}/pay", response_model=OrderOut)
@raises("invalid_card_number", "order_not_found", "not_your_order", "order_not_payable", "order_expired",
        "payment_in_progress", "card_declined", "payment_failed")
def pay_order(order_id: str, body: PayIn, actor: BuyerOwnSession):
    """The buyer pays (test provider cards: 4242424242424242 approves, 4000000000000002 declines). Paying a
    paid order again answers 200 with the order and charges nothing. 402 card_declined / payment_failed leave
    the order pending_payment; 409 payment_in_progress, order_expired."""
    return _full(pay_flow.pay(order_id=order_id, actor=actor, card_number=body.card_number))


def _moved(uow, order) -> OrderOut:
    return _full(service.load_detail(uow, order))


@router.post("/orders/{order_id}/ship", response_model=OrderOut)
@raises("order_not_found", "not_owner", "invalid_order_status", "carrier_required", "tracking_number_required")
def ship_order(order_id: str, body: ShipIn, uow: UnitOfWork, actor: Annotated[Actor, Depends(requires("seller"))]):
    """The shop's owner: paid → shipped, with the carrier and the parcel's tracking number."""
    return _moved(uow, service.ship(uow, order_id=order_id, actor=actor, carrier=body.carrier,
                                    tracking_number=body.tracking_number))


@router.post("/orders/{order_id}/deliver", response_model=OrderOut)
@raises("order_not_found", "not_owner", "market_out_of_scope", "invalid_order_status")
def deliver_order(order_id: str, uow: UnitOfWork, actor: SellerOrOperator):
    """The shop's owner or an operator of its market: shipped → delivered."""
    return _moved(uow, service.deliver(uow, order_id=order_id, actor=actor))


@router.post("/orders/{order_id}/complete", response_model=OrderOut)
@raises("order_not_found", "not_your_order", "market_out_of_scope", "invalid_order_status")
def complete_order(order_id: str, uow: UnitOfWork, actor: Annotated[Actor, Depends(requires("buyer", "operator"))]):
    """The buyer or an operator of the order's market: delivered → completed."""
    return _moved(uow, service.complete(uow, order_id=order_id, actor=actor))


@router.post("/orders/{order_id}/cancel", response_model=OrderOut)
@raises("order_not_found", "not_your_order", "payment_in_progress", "invalid_order_status")
def cancel_order(order_id: str, uow: UnitOfWork, actor: Annotated[Actor, Depends(requires("buyer"))]):
    """The buyer, while the order is pending_payment: its stock goes back on sale."""
    return _moved(uow, service.cancel(uow, order_id=order_id, actor=actor))


@router.post("/orders/{order_id}/refunds", status_code=status.HTTP_201_CREATED, response_model=RefundOut,
             dependencies=[BearerPresent])
@raises("wrong_role", "order_not_found", "shop_not_found", "not_owner", "market_out_of_scope",
        "order_not_refundable", "line_not_found", "refund_exceeds_quantity")
async def refund_order(request: Request, order_id: str, body: RefundIn,
                 idempotency_key: IdempotencyKeyHeader = None):
    """The shop's owner or an operator of its market, on a paid (shipped, delivered, completed) order.
    Each line's quantity is at most what was bought and not yet refunded (422 at lines.N.quantity).

    Requires an `Idempotency-Key` header, with the same rules as `POST /orders`: a retry with the same key and
    body answers the first refund again and refunds nothing more."""

    def give_back(session: Session, actor: Actor) -> tuple[int, dict[str, Any]]:
        record = service.refund(session, order_id=order_id, lines=[(x.line_id, x.quantity) for x in body.lines],
                                restock=body.restock, actor=actor)
        return 201, RefundOut.model_validate(record).model_dump(mode="json")

    return await respond_once_in_turn(request, roles=("seller", "operator"), key=idempotency_key, body=body,
                                      operation=give_back)
