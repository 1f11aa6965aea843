"""Orders over HTTP. Checkout, refunds and payment own their transactions (see docs/adr/0008): they authenticate with
`requires_own_session` instead of taking the request's UnitOfWork; checkout and refunds go through
`respond_once` (core.idempotency), payment through `pay_flow`."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from sqlalchemy.orm import Session

from marketcast.core.auth.actor import Actor
from marketcast.core.pagination import Page, PageSize, PageToken
from marketcast.core.web_deps import (
    AnyUser,
    IdempotencyKeyHeader,
    UnitOfWork,
    requires,
    requires_own_session,
    respond_once,
)
from marketcast.orders import pay_flow, service
from marketcast.orders.schemas import (
    CheckoutIn,
    OrderOut,
    OrderStatus,
    OrderSummaryOut,
    PayIn,
    RefundIn,
    RefundOut,
)

router = APIRouter(prefix="/api/v1", tags=["orders"])

Buyer = Annotated[Actor, Depends(requires_own_session("buyer"))]
SellerOrOperator = Annotated[Actor, Depends(requires("seller", "operator"))]
SellerOrOperatorOwnSession = Annotated[Actor, Depends(requires_own_session("seller", "operator"))]
PROBLEM = {"content": {"application/problem+json": {}}}


def _full(detail: service.OrderDetail) -> OrderOut:
    return OrderOut.full(detail.order, detail.lines, detail.refunds, detail.payments)


@router.post("/orders", status_code=status.HTTP_201_CREATED, response_model=OrderOut,
             responses={400: PROBLEM, 409: PROBLEM, 422: PROBLEM})
def create_order(request: Request, body: CheckoutIn, actor: Buyer, idempotency_key: IdempotencyKeyHeader = None):
    """Place an order (buyers). Requires an `Idempotency-Key` header (400 idempotency_key_required without).

    A retry with the same key and the same body answers the first response again (status and body, header
    `Idempotent-Replayed: true`) and creates nothing; the same key with another body (or sent to another
    endpoint) is 422 idempotency_key_reused; a retry while the first is still running is 409
    idempotency_in_progress. Keys are remembered per user for `MARKETCAST_IDEMPOTENCY_TTL_HOURS` (default 24 h).
    A request that fails (409 out_of_stock, 422 …) is not remembered: retrying it may succeed. All SKUs must be
    of live products of one shop."""

    def place(session: Session) -> tuple[int, dict[str, Any]]:
        extras = {"attribution": body.attribution.model_dump(exclude_none=True)} if body.attribution else {}
        order, lines = service.checkout(session, buyer=actor, lines=[(x.sku_id, x.quantity) for x in body.lines],
                                        extras=extras)
        return 201, OrderOut.full(order, lines).model_dump(mode="json")

    return respond_once(request, actor, idempotency_key, body, place)


@router.get("/orders", response_model=Page[OrderSummaryOut])
def list_orders(uow: UnitOfWork, actor: AnyUser,
                shop_id: Annotated[str | None, Query(max_length=32)] = None,
                market: Annotated[str | None, Query(min_length=2, max_length=2)] = None,
                status: OrderStatus | None = None,
                page_size: PageSize = None,
                page_token: PageToken = None):
    """Buyers: their own orders. Sellers: the orders of one of their shops (`shop_id`, required).
    Operators: orders of their markets (`market`, optional)."""
    rows, token = service.list_orders(uow, actor=actor, shop_id=shop_id, market=market, status=status,
                                      page_size=page_size, page_token=page_token)
    return Page[OrderSummaryOut](items=[OrderSummaryOut.of(o) for o in rows], next_page_token=token)


@router.get("/orders/{order_id}", response_model=OrderOut)
def get_order(order_id: str, uow: UnitOfWork, actor: AnyUser):
    """The buyer, the shop's owner, or an operator of the order's market: lines, refunds, payment attempts."""
    return _full(service.detail(uow, order_id=order_id, actor=actor))


@router.post("/orders/{order_id}/pay", response_model=OrderOut, responses={402: PROBLEM, 409: PROBLEM})
def pay_order(order_id: str, body: PayIn, actor: Buyer):
    """The buyer pays (test provider cards: 4242424242424242 approves, 4000000000000002 declines). Paying a
    paid order again answers 200 with the order and charges nothing. 402 card_declined / payment_failed leave
    the order pending_payment; 409 payment_in_progress, order_expired."""
    return _full(pay_flow.pay(order_id=order_id, actor=actor, card_number=body.card_number))


def _moved(uow, order) -> OrderOut:
    return _full(service.load_detail(uow, order))


@router.post("/orders/{order_id}/ship", response_model=OrderOut)
def ship_order(order_id: str, uow: UnitOfWork, actor: Annotated[Actor, Depends(requires("seller"))]):
    """The shop's owner: paid → shipped."""
    return _moved(uow, service.ship(uow, order_id=order_id, actor=actor))


@router.post("/orders/{order_id}/deliver", response_model=OrderOut)
def deliver_order(order_id: str, uow: UnitOfWork, actor: SellerOrOperator):
    """The shop's owner or an operator of its market: shipped → delivered."""
    return _moved(uow, service.deliver(uow, order_id=order_id, actor=actor))


@router.post("/orders/{order_id}/complete", response_model=OrderOut)
def complete_order(order_id: str, uow: UnitOfWork, actor: Annotated[Actor, Depends(requires("buyer", "operator"))]):
    """The buyer or an operator of the order's market: delivered → completed."""
    return _moved(uow, service.complete(uow, order_id=order_id, actor=actor))


@router.post("/orders/{order_id}/cancel", response_model=OrderOut)
def cancel_order(order_id: str, uow: UnitOfWork, actor: Annotated[Actor, Depends(requires("buyer"))]):
    """The buyer, while the order is pending_payment: its stock goes back on sale."""
    return _moved(uow, service.cancel(uow, order_id=order_id, actor=actor))


@router.post("/orders/{order_id}/refunds", status_code=status.HTTP_201_CREATED, response_model=RefundOut,
             responses={400: PROBLEM, 409: PROBLEM, 422: PROBLEM})
def refund_order(request: Request, order_id: str, body: RefundIn, actor: SellerOrOperatorOwnSession,
                 idempotency_key: IdempotencyKeyHeader = None):
    """The shop's owner or an operator of its market, on a paid (shipped, delivered, completed) order.
    Each line's quantity is at most what was bought and not yet refunded (422 at lines.N.quantity).

    Requires an `Idempotency-Key` header, with the same rules as `POST /orders`: a retry with the same key and
    body answers the first refund again and refunds nothing more."""

    def give_back(session: Session) -> tuple[int, dict[str, Any]]:
        record = service.refund(session, order_id=order_id, lines=[(x.line_id, x.quantity) for x in body.lines],
                                restock=body.restock, actor=actor)
        return 201, RefundOut.model_validate(record).model_dump(mode="json")

    return respond_once(request, actor, idempotency_key, body, give_back)
