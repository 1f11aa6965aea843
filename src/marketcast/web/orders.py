"""Console pages for orders: the operator's search (id, buyer email, shop, status, dates) and a seller's
orders per shop; an order's page with lines, payments, refunds and its events; fulfilment; refunds with a
preview and a confirmation."""

from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.datastructures import FormData, QueryParams

from marketcast.core import clock
from marketcast.core.auth.actor import Actor
from marketcast.core.errors import DomainError, Invalid
from marketcast.core.money import Money
from marketcast.core.web_deps import UnitOfWork
from marketcast.orders import pay_flow
from marketcast.orders import service as orders
from marketcast.sellers import service as sellers
from marketcast.web.common import ConsoleUser, Csrf, form_failed, local_path, redirect, render
from marketcast.web.listing import PAGE_SIZE, MarketFilter, PageParams, listing
from marketcast.web.live_buy import NO_WRITES, buyer

router = APIRouter(prefix="/orders")
STATUSES = ("pending_payment", "paid", "shipped", "delivered", "completed", "cancelled")


def _day_start(text: str, field: str, *, after: bool = False) -> datetime | None:
    """The first instant (UTC) of a day typed in a filter; with `after`, of the day after it."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{text!r} is not a date such as 2024-06-01", field=field) from None
    return clock.as_utc(datetime.combine(day + timedelta(days=1 if after else 0), time()))


@router.get("")
def order_list(request: Request, uow: UnitOfWork, actor: ConsoleUser, page: PageParams, market: MarketFilter,
               q: str = "", buyer: str = "", shop: str = "", status: str = "", placed_from: str = "",
               placed_to: str = ""):
    filters = {"q": q, "buyer": buyer, "shop": shop, "status": status, "market": market,
               "placed_from": placed_from, "placed_to": placed_to}
    my_shops = []
    if actor.role == "seller":  # a seller's orders are per shop: the first of theirs unless they chose one
        my_shops = sellers.shops_of(uow, actor=actor)
        shop = filters["shop"] = shop or (my_shops[0].id if my_shops else "")
    paged = orders.list_orders(uow, actor=actor, shop_id=shop or None, status=status or None, market=market or None,
                               order_id=q or None, buyer_email=buyer or None,
                               placed_from=_day_start(placed_from, "placed_from"),
                               placed_before=_day_start(placed_to, "placed_to", after=True),
                               page_size=PAGE_SIZE, page_token=page.token)
    return render(request, "orders.html", actor=actor, orders=listing(request, paged, page, filters),
                  statuses=STATUSES, my_shops=my_shops)


@router.get("/{order_id}")
def order_page(request: Request, order_id: str, uow: UnitOfWork, actor: ConsoleUser):
    detail = orders.detail(uow, order_id=order_id, actor=actor)
    return render(request, "order.html", actor=actor, d=detail, shop=sellers.get_shop(uow, detail.order.shop_id),
                  events=orders.timeline(detail))


def _refund_lines(form: FormData | QueryParams) -> list[tuple[str, int]]:
    lines = [(key.removeprefix("qty-"), str(value).strip()) for key, value in form.items()
             if key.startswith("qty-") and str(value).strip() not in ("", "0")]
    if not lines:
        raise Invalid("choose at least one unit to refund", field="lines")
    if not all(qty.isdecimal() and qty.isascii() and len(qty) < 10 for _, qty in lines):
        raise Invalid("quantities must be whole numbers", field="lines")
    return [(line, int(qty)) for line, qty in lines]


@router.get("/{order_id}/refund")
def refund_preview(request: Request, order_id: str, uow: UnitOfWork, actor: ConsoleUser):
    """Step one of a refund: what it gives back, to confirm. Nothing is written."""
    try:
        preview = orders.preview_refund(uow, order_id=order_id, lines=_refund_lines(request.query_params),
                                        actor=actor)
    except DomainError as exc:
        return form_failed(request, uow, exc, f"/orders/{order_id}", dict(request.query_params))
    return render(request, "refund.html", actor=actor, p=preview, restock=request.query_params.get("restock") == "on")


@router.post("/{order_id}/refund")
async def refund(request: Request, order_id: str, uow: UnitOfWork, actor: ConsoleUser, _: Csrf):
    """Step two: the confirmed refund. `refunded` is what the order had refunded when the preview was drawn, so a
    form sent twice is refused (order_changed) instead of refunding twice."""
    form = await request.form()
    try:
        seen = str(form.get("refunded", ""))
        done = orders.refund(uow, order_id=order_id, lines=_refund_lines(form), restock=form.get("restock") == "on",
                             actor=actor,
                             expected_refunded=int(seen) if seen.isdecimal() and seen.isascii() else None)
    except DomainError as exc:
        return form_failed(request, uow, exc, f"/orders/{order_id}")
    return redirect(f"/orders/{order_id}", f"Refunded {Money(amount=done.amount, currency=done.currency)}", request)


@router.post("/{order_id}/ship")
def ship(request: Request, order_id: str, uow: UnitOfWork, actor: ConsoleUser, _: Csrf,
         carrier: Annotated[str, Form()] = "", tracking_number: Annotated[str, Form()] = ""):
    try:
        order = orders.ship(uow, order_id=order_id, actor=actor, carrier=carrier, tracking_number=tracking_number)
    except DomainError as exc:
        return form_failed(request, uow, exc, f"/orders/{order_id}",
                           {"carrier": carrier, "tracking_number": tracking_number})
    return redirect(f"/orders/{order_id}", f"Shipped with {order.carrier}, tracking {order.tracking_number}", request)


@router.post("/{order_id}/deliver")
def deliver(request: Request, order_id: str, uow: UnitOfWork, actor: ConsoleUser, _: Csrf):
    try:
        orders.deliver(uow, order_id=order_id, actor=actor)
    except DomainError as exc:
        return form_failed(request, uow, exc, f"/orders/{order_id}")
    return redirect(f"/orders/{order_id}", "Marked delivered", request)


@router.post("/{order_id}/pay")
def pay(request: Request, order_id: str, _: Csrf, actor: Annotated[Actor, Depends(buyer)],
        card_number: Annotated[str, Form()] = "", back: Annotated[str, Form()] = ""):
    """The buyer pays with a card, as `POST /orders/{id}/pay` does (the provider is called with no transaction
    open), and goes back to where they paid from (a LIVE room) or to the order."""
    to = local_path(back) or f"/orders/{order_id}"
    try:
        detail = pay_flow.pay(order_id=order_id, actor=actor, card_number=card_number)
    except DomainError as exc:
        return form_failed(request, NO_WRITES, exc, to)
    total = Money(amount=detail.order.total_amount, currency=detail.order.currency)
    return redirect(to, f"Paid {total} for order {detail.order.id}", request)
