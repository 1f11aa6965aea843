"""Buying in a LIVE room from the console, and the host's figures. A room's buy form goes through the checkout
`POST /orders` runs (the deal on the line, the form's key as the Idempotency-Key, `respond_once`'s one unit of
work), so the console buyer and an API client are turned away, or served, alike: first by the same admission gate
(orders' `checkout_admission`: a deal known to be sold out or ended is refused before any database work, with the
same 409), then by the database. A resent form whose order committed passes the gate and gets its stored answer,
as a retried API request does (the fingerprint of who sent which key)."""

import hashlib
import json
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from marketcast.core.auth.actor import Actor
from marketcast.core.errors import DomainError, Invalid
from marketcast.core.idempotency import Outcome
from marketcast.core.money import format_money
from marketcast.core.web_deps import requires_own_session, respond_once
from marketcast.live import service as live_service
from marketcast.orders import hooks as order_hooks
from marketcast.orders import service as orders
from marketcast.orders.schemas import CheckoutIn, OrderOut

ORDER_KEY = "live_order"  # in the console session: the order a buyer placed in a room, until it is paid
# Buying and paying open their own units of work (as the API's checkout and payment do): the request has none.
buyer = requires_own_session("buyer")


class _NoWrites:
    """What `form_failed` rolls back when the route wrote nothing in a request transaction."""

    def rollback(self) -> None:
        pass


NO_WRITES = _NoWrites()


def fingerprint(request: Request, key: str) -> str:
    """Who sent this form with which key (the console cookie's user and epoch, and the form's key), as a hash:
    what the gate remembers of a committed deal order, as `POST /orders` does with the token and its header."""
    cookie = request.scope.get("session") or {}
    raw = f"console:{cookie.get('user_id', '')}:{cookie.get('epoch', '')}\n{key}"
    return hashlib.sha256(raw.encode()).hexdigest()


async def admit(request: Request, *, key: str, sku_id: str, deal_id: str, quantity: int) -> None:
    """The checkout's admission gate, on the event loop before any transaction (the sign-in is read after it):
    raises the deal's 409 when this process or Redis knows it is sold out or ended. A form from no signed-in
    cookie, or naming no deal, is left to the checkout (the sign-in page, or the field's error)."""
    if not deal_id or not (request.scope.get("session") or {}).get("user_id"):
        return
    await order_hooks.checkout_admission.fire(
        order_hooks.CheckoutRequest([(sku_id, quantity, deal_id)], fingerprint(request, key)))


def place(request: Request, *, session_id: str, actor: Actor, key: str, sku_id: str, deal_id: str,
          quantity: int) -> dict[str, Any]:
    """The order, as `POST /orders` answers it (a replay of the same key answers the first order again)."""
    if not deal_id or not sku_id:
        raise Invalid("there is no deal to buy from in this room now", field="deal_id")
    try:
        body = CheckoutIn.model_validate({"lines": [{"sku_id": sku_id, "quantity": quantity, "deal_id": deal_id}]})
    except ValueError:
        raise Invalid("buy between 1 and 99 units", field="quantity") from None
    lines = [(x.sku_id, x.quantity, x.deal_id) for x in body.lines]

    def operation(session: Session, who: Actor) -> Outcome:
        deal = live_service.get_deal(session, deal_id=deal_id, actor=who)
        if deal.session_id != session_id:
            raise Invalid(f"deal {deal_id} is not of this LIVE", field="deal_id")
        draft = orders.draft_checkout(session, buyer=who, lines=lines)
        return Outcome(201, OrderOut.full(draft.order, draft.lines).model_dump(mode="json"),
                       last=lambda tx: orders.take_stock(tx, draft))

    answer = respond_once(request, roles=("buyer",), key=key, body=body, operation=operation)
    return json.loads(bytes(answer.body))


def pending_order(request: Request, uow: Session, live, actor: Actor | None):
    """The order this buyer placed in this room, while it waits for payment (then the room offers to pay it)."""
    kept = request.session.get(ORDER_KEY)
    if not kept or kept.get("session_id") != live.id or actor is None or actor.role != "buyer":
        return None
    try:
        order = orders.detail(uow, order_id=kept["order_id"], actor=actor).order
    except DomainError:
        order = None
    if order is None or order.status != "pending_payment":
        request.session.pop(ORDER_KEY, None)
        return None
    return order


def figures(uow: Session, live, actor: Actor | None) -> dict[str, Any]:
    """What the host watches while live. The deals' counts are read as of now."""
    deals = [live_service.deal_snapshot(uow, d)
             for d in live_service.deals_of_session(uow, session_id=live.id, actor=actor)]
    running = [d for d in deals if d["status"] in ("counting_down", "open", "sold_out")]
    out: dict[str, Any] = {"units_sold": sum(d["sold"] for d in deals),
                           "units_left": sum(d["units_left"] for d in running),
                           "deals_running": len(running)}
    session_figures = live_service.session_figures(uow, live.id)  # None until it has gone live
    if session_figures is not None:
        out |= {"viewers_now": session_figures.viewers, "views": session_figures.views,
                "unique_viewers": session_figures.unique_viewers, "orders": session_figures.orders,
                "gmv": format_money(session_figures.gmv, session_figures.currency),
                "effective_live_minutes": session_figures.effective_live_minutes}
    return out

