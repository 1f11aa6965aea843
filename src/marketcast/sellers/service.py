"""Sellers, shops and shop applications: the public face of the area. Other areas, the API, the CLI and the
console call everything here as `sellers.service.<name>`.

The operations live by meaning in their own rooms and are re-exported here: profiles.py (seller
profiles), applications.py (submit, review, explain), reevaluation.py (re-judge a market, simulate a
policy). Shops (probation, caps, graduation) are below. Keyword-only operations that take a Session,
never commit, and raise domain errors."""

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from marketcast.core import clock, outbox
from marketcast.core.auth.actor import Actor
from marketcast.core.db import rowcount
from marketcast.core.errors import Conflict, Forbidden, NotFound
from marketcast.core.ids import looks_like_id
from marketcast.markets import service as markets
from marketcast.policies import service as policies
from marketcast.sellers import simulation as _simulation  # noqa: F401  (registers the policy simulator)
from marketcast.sellers.applications import (  # noqa: F401  (the public application operations of this area)
    _apply,
    _record_decision,
    approve,
    decisions,
    explain,
    external_records,
    get_application,
    list_applications,
    reject,
    submit_application,
)
from marketcast.sellers.events import ShopGraduated
from marketcast.sellers.models import Shop
from marketcast.sellers.profiles import (  # noqa: F401  (the public seller-profile operations)
    create_seller,
    get_seller,
    list_sellers,
    normalize_email,
    normalize_phone,
    seller_of_user,
    view_seller,
)
from marketcast.sellers.reevaluation import (  # noqa: F401  (re-judging and simulating)
    SIMULATED_KEYS,
    reevaluate,
    reevaluate_after,
    reevaluate_after_chunks,
    reevaluate_chunks,
    simulate,
    total,
)
from marketcast.sellers.schemas import ShopMode, ShopType  # noqa: F401  (re-exported for the areas above)
from marketcast.sellers.shops import (  # noqa: F401  (the back office's shop operations)
    SHOP_STATUSES,
    list_shops,
    reinstate_shop,
    shop_history,
    suspend_shop,
)

# --- shops ----------------------------------------------------------------------------------------------

def get_shop(session: Session, shop_id: str) -> Shop:
    shop = session.get(Shop, shop_id) if looks_like_id(shop_id) else None
    if shop is None:
        raise NotFound("shop", shop_id)
    return shop


def shops_of(session: Session, *, actor: Actor) -> list[Shop]:
    """The shops a seller owns (operators: none here; they reach shops through applications and orders)."""
    if actor.role != "seller":
        return []
    return list(session.scalars(select(Shop).where(Shop.owner_user_id == actor.user_id).order_by(Shop.market)))


def require_shop_owner(session: Session, *, shop_id: str, actor: Actor) -> Shop:
    """The shop, if `actor` is the seller who owns it or an operator of its market."""
    shop = get_shop(session, shop_id)
    if actor.is_operator:
        actor.require_market(shop.market)
        return shop
    if actor.role != "seller" or shop.owner_user_id != actor.user_id:
        raise Forbidden(f"shop {shop.id} is not yours", code="not_owner")
    return shop


def require_can_sell(session: Session, *, shop_id: str) -> Shop:
    shop = get_shop(session, shop_id)
    if shop.status not in ("probation", "active"):
        raise Conflict(f"shop {shop.id} is {shop.status} and cannot sell", code="shop_cannot_sell",
                       shop_id=shop.id, shop_status=shop.status)
    markets.require_live(session, code=shop.market, action="sell")
    return shop


def record_paid_order(session: Session, *, shop_id: str) -> None:
    # Atomic in the database: concurrent payments never lose a count.
    done = session.execute(update(Shop).where(Shop.id == shop_id).values(paid_orders=Shop.paid_orders + 1)
                           .execution_options(synchronize_session=False))
    if rowcount(done) == 0:
        raise NotFound("shop", shop_id)


def graduate_shops(session: Session) -> int:
    """Probation shops that served their days and orders become active; one UPDATE per market."""
    now, count = clock.now(), 0
    codes = sorted(session.scalars(select(Shop.market).where(Shop.status == "probation").distinct()))
    for code in codes:
        days = policies.value(session, key="shop.probation.days", market=code)
        orders = policies.value(session, key="shop.probation.orders", market=code)
        done = session.execute(
            update(Shop).where(Shop.market == code, Shop.status == "probation",
                               Shop.probation_started_at <= now - timedelta(days=days), Shop.paid_orders >= orders)
            .values(status="active", activated_at=now).returning(Shop.id, Shop.seller_id, Shop.paid_orders)
            .execution_options(synchronize_session=False))
        graduated = [(shop_id, seller_id, paid) for shop_id, seller_id, paid in done]
        outbox.emit_many(session, [(ShopGraduated(shop_id=shop_id, seller_id=seller_id, market=code, paid_orders=paid,
                                                  probation_days=days, probation_orders=orders), code)
                                   for shop_id, seller_id, paid in sorted(graduated)])
        count += len(graduated)
    return count



def shop_ids_matching(session: Session, *, market: str, shop_types: list[str], modes: list[str],
                      statuses: list[str]) -> list[str]:
    """Ids of the market's shops of these types, modes and statuses, in one query (set-based passes in higher
    areas, such as a program's auto-enrollment)."""
    return list(session.scalars(select(Shop.id).where(Shop.market == market, Shop.shop_type.in_(shop_types),
                                                      Shop.mode.in_(modes), Shop.status.in_(statuses))
                                .order_by(Shop.id)))
