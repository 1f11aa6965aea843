"""The affiliate side of the US story: the two local shops open collaborations to creators in July 2024 (Austin
Candle Works an open one on all its products, Brooklyn Mug Studio a targeted one on its mug), three creators
join, buyers come through their links (and one through a video), one order is partly refunded, and the worker
closes the first statements on 1 August. Everything goes through the services people use, on the clock of
the day it happened; loading twice changes nothing. The creators are the three most followed of the US
population (us_creators)."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketcast.affiliate import service as affiliate
from marketcast.affiliate.models import Commission, Statement
from marketcast.catalog import service as catalog
from marketcast.core import clock
from marketcast.core.auth import service as auth
from marketcast.core.auth.actor import Actor
from marketcast.core.auth.models import User
from marketcast.core.errors import NotFound
from marketcast.creators import service as creators
from marketcast.creators.models import Creator
from marketcast.finance import service as finance
from marketcast.orders import service as orders
from marketcast.scenario import us_sellers
from marketcast.sellers import service as sellers

# (day, buyer index, creator index, local shop index, sku index, quantity, how the buyer came)
SALES = (
    ("2024-07-05T17:00", 0, 1, 0, 0, 2, "link"), ("2024-07-06T20:30", 1, 0, 1, 0, 2, "link"),
    ("2024-07-08T13:10", 2, 2, 1, 1, 1, "link"), ("2024-07-09T22:45", 0, 0, 0, 1, 1, "video"),
)
REFUND = ("2024-07-14T10:00", 1, 1)  # (day, sale index, units refunded)
DELIVERED = "2024-07-12T16:00"
SETTLED = "2024-08-01T09:00"


def at(text: str) -> datetime:
    return clock.as_utc(datetime.fromisoformat(text))


def _actor(session: Session, email: str, role: str) -> Actor:
    try:
        return auth.actor_of(auth.get_user_by_email(session, email))
    except NotFound:
        return auth.actor_of(auth.create_user(session, email=email, role=role))


def _creators(session: Session) -> list[tuple[Actor, str]]:
    """(actor, creator id) of the story's three creators: the US population's most followed, who are active."""
    rows = session.execute(select(Creator.id, Creator.user_id).where(Creator.market == "US",
                                                                    Creator.affiliate_status == "active")
                           .order_by(Creator.followers.desc(), Creator.id).limit(3)).all()
    return [(auth.actor_of(session.get_one(User, user_id)), creator_id) for creator_id, user_id in rows]


def _shops(session: Session) -> list[tuple[str, Actor, list[str]]]:
    """(shop id, owner, SKU ids by code) of the story's local shops, in us_sellers.LOCAL order."""
    found = []
    for local in us_sellers.LOCAL:
        owner = auth.actor_of(auth.get_user_by_email(session, local.email))
        shop = sellers.shops_of(session, actor=owner)[0]
        [(_, skus)] = catalog.shop_products(session, shop_id=shop.id, actor=owner)
        found.append((shop.id, owner, [sku.id for sku in skus]))
    return found


def load(session: Session) -> None:
    shops = _shops(session)
    if affiliate.of_shop(session, shop_id=shops[0][0], actor=shops[0][1]):
        return  # already loaded
    people = _creators(session)
    if len(people) < 3:
        return  # no creator population to sell through
    (candles, candle_owner, candle_skus), (mugs, mug_owner, mug_skus) = shops[:2]
    mug_product = catalog.get_sku(session, mug_skus[0]).product_id
    with clock.frozen(at("2024-07-02T14:00")):
        open_one, _ = affiliate.create(session, shop_id=candles, kind="open", commission_rate_bps=1200,
                                       all_products=True, name="Candles for summer", actor=candle_owner)
        targeted, _ = affiliate.create(session, shop_id=mugs, kind="targeted", commission_rate_bps=1500,
                                       product_ids=[mug_product], creator_ids=[people[0][1], people[2][1]],
                                       ends_at=at("2024-09-30T00:00"), name="Mug season",
                                       message="Free sample on request", actor=mug_owner)
    with clock.frozen(at("2024-07-03T15:00")):
        for actor, _ in people[:2]:
            affiliate.join(session, collaboration_id=open_one.id, actor=actor)
        for index in (0, 2):
            affiliate.accept(session, collaboration_id=targeted.id, actor=people[index][0])
    placed = _sell(session, people, shops)
    _deliver_refund_settle(session, placed, shops)


def _sell(session: Session, people: list[tuple[Actor, str]], shops) -> list:
    buyers = [_actor(session, email, "buyer") for email in us_sellers.BUYERS]
    placed = []
    for when, buyer, creator, shop, sku, quantity, source in SALES:
        actor, creator_id = people[creator]
        sku_id = shops[shop][2][sku]
        with clock.frozen(at(when)):
            if source == "link":
                link = affiliate.create_link(session, creator_id=creator_id,
                                             product_id=catalog.get_sku(session, sku_id).product_id, actor=actor)
                affiliate.record_click(session, token=link.token, actor=buyers[buyer])
                extras = {}
            else:
                extras = {"attribution": {"creator_id": creator_id, "source": source}}
            order, _ = orders.checkout(session, buyer=buyers[buyer], lines=[(sku_id, quantity)], extras=extras)
            us_sellers.pay(session, order.id, buyers[buyer])
            placed.append(order)
    return placed


def _deliver_refund_settle(session: Session, placed: list, shops) -> None:
    owners = {shop_id: owner for shop_id, owner, _ in shops}
    with clock.frozen(at(DELIVERED)):
        for i, order in enumerate(placed):
            orders.ship(session, order_id=order.id, actor=owners[order.shop_id], carrier="USPS",
                        tracking_number=f"9400 1000 0000 0000 {i:04d} 00")
            orders.deliver(session, order_id=order.id, actor=owners[order.shop_id])
    when, sale, units = REFUND
    with clock.frozen(at(when)):
        order = placed[sale]
        line = orders.lines_of(session, order.id)[0]
        orders.refund(session, order_id=order.id, lines=[(line.id, units)], restock=True, actor=owners[order.shop_id])
    with clock.frozen(at(SETTLED)):
        affiliate.make_settleable(session)
        affiliate.close_due(session)
        finance.close_due(session)  # the shops' statements of the week that ended, with the same orders


def summary(session: Session, *, as_of: datetime) -> dict:
    """The creators who sold in the story (once the collaborations opened): their commissions by status and
    their statements, as they stand after the load."""
    out: list[dict] = []
    if as_of < at("2024-07-02T14:00"):
        return {"creators": out}
    for creator_id in sorted(set(session.scalars(select(Commission.creator_id)))):
        creator = creators.find(session, creator_id)
        by_status: dict[str, int] = {}
        lines = 0
        for status, amount in session.execute(select(Commission.status, Commission.amount)
                                              .where(Commission.creator_id == creator_id)):
            by_status[status] = by_status.get(status, 0) + amount
            lines += 1
        statements = session.scalars(select(Statement).where(Statement.creator_id == creator_id)
                                     .order_by(Statement.period_start))
        out.append({"creator_id": creator.id, "handle": creator.handle, "followers": creator.followers,
                    "attributed_lines": lines, "commissions": by_status,
                    "statements": [{"period_start": st.period_start.isoformat(), "total": st.total,
                                    "paid_out": st.paid_out, "carried_out": st.carried_out} for st in statements]})
    return {"creators": out}
