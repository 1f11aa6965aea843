"""Shops seen from the back office: the operator's searchable list, suspension and reinstatement with a
reason, and a shop's history. Keyword-only operations that take a Session, never commit, raise domain errors;
other areas and the console call them through sellers.service."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from marketcast.core import clock, outbox, text
from marketcast.core.auth.actor import Actor, Role
from marketcast.core.errors import Conflict, Forbidden, NotFound
from marketcast.core.fields import market_code
from marketcast.core.ids import looks_like_id, new_id
from marketcast.core.pagination import Paged, paginate
from marketcast.sellers.events import ShopReinstated, ShopSuspended
from marketcast.sellers.models import Seller, Shop, ShopEvent

SHOP_STATUSES = ("probation", "active", "suspended", "closed")


def list_shops(session: Session, *, actor: Actor, q: str | None = None, seller: str | None = None,
               market: str | None = None, status: str | None = None, page_size: int | None = None,
               page_token: str | None = None) -> Paged:
    """Operators: shops of their markets, by name or contact (`q`), seller (id, legal name or contact email),
    market and status. Sellers: their own shops (the same filters apply)."""
    stmt = select(Shop)
    if actor.is_operator:
        if market:
            actor.require_market(market_code(market))
        elif actor.markets is not None:
            stmt = stmt.where(Shop.market.in_(actor.markets))
    elif actor.role == "seller":
        stmt = stmt.where(Shop.owner_user_id == actor.user_id)
    else:
        raise Forbidden(f"{actor.role}s have no shops to list", code="wrong_role")
    if q and q.strip():
        like = text.contains_pattern(q)
        stmt = stmt.where(or_(Shop.name.ilike(like, escape=text.LIKE_ESCAPE),
                              Shop.contact_email.ilike(like, escape=text.LIKE_ESCAPE)))
    if seller and seller.strip():
        named = seller.strip()
        like = text.contains_pattern(named)
        sellers = select(Seller.id).where(or_(Seller.legal_name.ilike(like, escape=text.LIKE_ESCAPE),
                                              Seller.contact_email.ilike(like, escape=text.LIKE_ESCAPE)))
        by_id = [Shop.seller_id == named] if looks_like_id(named) else []
        stmt = stmt.where(or_(*by_id, Shop.seller_id.in_(sellers)))
    if market:
        stmt = stmt.where(Shop.market == market_code(market))
    if status:
        stmt = stmt.where(Shop.status == status)
    return paginate(session, stmt, order_by=[Shop.id], page_size=page_size, page_token=page_token)


SUSPENDABLE = ("probation", "active")


def _locked_shop(session: Session, shop_id: str, actor: Actor, what: str) -> Shop:
    """The shop row-locked, once `actor` is known to be an operator of its market (checked on a plain read first:
    a caller who may not change it does not queue behind the lock); the status is then the locked row's."""
    shop = session.get(Shop, shop_id) if looks_like_id(shop_id) else None
    if shop is None:
        raise NotFound("shop", shop_id)
    actor.require_role(Role.OPERATOR, what)
    actor.require_market(shop.market)
    return session.scalars(select(Shop).where(Shop.id == shop.id).with_for_update()
                           .execution_options(populate_existing=True)).one()


def _change(session: Session, shop: Shop, *, kind: str, to_status: str, reason: str, actor: Actor) -> Shop:
    event = ShopEvent(id=new_id("she"), shop_id=shop.id, kind=kind, from_status=shop.status, to_status=to_status,
                      reason=reason, actor_email=actor.email, at=clock.now())
    session.add(event)
    shop.status = to_status
    change = ShopSuspended if kind == "suspended" else ShopReinstated
    outbox.emit(session, change(shop_id=shop.id, seller_id=shop.seller_id, market=shop.market, status=to_status,
                                from_status=event.from_status, reason=reason), market=shop.market)
    return shop


def suspend_shop(session: Session, *, shop_id: str, reason: str, actor: Actor) -> Shop:
    """An operator of the shop's market stops it selling (checkout refuses it, products cannot be published);
    orders already placed go on. The reason is recorded and sent to the shop in `shop.suspended`."""
    reason = text.reason(reason)
    shop = _locked_shop(session, shop_id, actor, "suspending a shop")
    if shop.status not in SUSPENDABLE:
        raise Conflict(f"shop {shop.id} is {shop.status}; only a shop on probation or active is suspended",
                       code="shop_not_suspendable", status_now=shop.status)
    return _change(session, shop, kind="suspended", to_status="suspended", reason=reason, actor=actor)


def reinstate_shop(session: Session, *, shop_id: str, reason: str, actor: Actor) -> Shop:
    """Back to the status it was suspended from (probation or active)."""
    reason = text.reason(reason)
    shop = _locked_shop(session, shop_id, actor, "reinstating a shop")
    if shop.status != "suspended":
        raise Conflict(f"shop {shop.id} is {shop.status}, not suspended", code="shop_not_suspended",
                       status_now=shop.status)
    last = session.scalar(select(ShopEvent).where(ShopEvent.shop_id == shop.id, ShopEvent.kind == "suspended")
                          .order_by(ShopEvent.at.desc(), ShopEvent.id.desc()).limit(1))
    back = last.from_status if last and last.from_status in SUSPENDABLE else "probation"
    return _change(session, shop, kind="reinstated", to_status=back, reason=reason, actor=actor)


@dataclass(frozen=True)
class ShopHistoryLine:
    at: datetime
    what: str
    status: str
    reason: str = ""
    by: str = ""


def shop_history(session: Session, *, shop: Shop) -> list[ShopHistoryLine]:
    """Opened (from its application), graduated from probation, each suspension and reinstatement; oldest first."""
    lines = [ShopHistoryLine(shop.created_at, "opened on probation", "probation")]
    if shop.activated_at:
        lines.append(ShopHistoryLine(shop.activated_at, "graduated from probation", "active"))
    lines += [ShopHistoryLine(e.at, e.kind, e.to_status, e.reason, e.actor_email)
              for e in session.scalars(select(ShopEvent).where(ShopEvent.shop_id == shop.id)
                                       .order_by(ShopEvent.at, ShopEvent.id))]
    return sorted(lines, key=lambda line: line.at)
