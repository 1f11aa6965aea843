"""Self-broadcast LIVE sessions of scenario shops, played through the services at their own times: the bag, a
pin, viewers joining (through the figures' presence reports, as server processes make them), a flash deal, buyers
paying, the end. `broadcast` is the one step; `recent_lives` gives the demo seller sessions in the last 90 days."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from marketcast.catalog import service as catalog
from marketcast.core import clock
from marketcast.core.auth import service as auth
from marketcast.core.auth.actor import Actor
from marketcast.live import metrics
from marketcast.live import service as live
from marketcast.orders import service as orders
from marketcast.scenario import us_sellers
from marketcast.sellers import service as sellers

PROCESS = "scenario"
PLAYBACK = "https://stream.example.com/live/{}.m3u8"


@dataclass(frozen=True)
class Broadcast:
    start: datetime
    minutes: int
    viewers: int  # joining over the first minutes, and staying
    buyers: int = 0  # paid deal orders (one unit each)
    deal: bool = True
    tick_minutes: int = 5  # how often the presence report comes (the viewers stay the same between them)


def broadcast(session: Session, *, owner: Actor, shop_id: str, plan: Broadcast, title: str,
              buyers: list[Actor]) -> str:
    """One self-broadcast LIVE of `shop_id`, from `plan.start` for `plan.minutes`; returns the session id."""
    product, sku = _product(session, owner, shop_id)
    at = plan.start
    with clock.frozen(at - timedelta(days=1)):
        made = live.create(session, market="US", title=title, shop_id=shop_id, creator_id=None,
                           scheduled_start=at, playback_url=PLAYBACK.format(shop_id), actor=owner)
        live.add_to_bag(session, session_id=made.id, product_id=product.id, actor=owner)
    with clock.frozen(at):
        live.start(session, session_id=made.id, actor=owner)
    with clock.frozen(at + timedelta(minutes=1)):
        _viewers(session, made.id, plan.viewers, joined=[f"viewer-{i}" for i in range(plan.viewers)])
        live.pin(session, session_id=made.id, product_id=product.id, actor=owner)
    if plan.deal and sku.available > plan.buyers + 1:
        _deal(session, owner=owner, session_id=made.id, sku=sku, at=at + timedelta(minutes=2), plan=plan,
              buyers=buyers)
    for minute in range(plan.tick_minutes, plan.minutes, plan.tick_minutes):  # each process keeps saying how many watch
        with clock.frozen(at + timedelta(minutes=minute)):
            _viewers(session, made.id, plan.viewers)
    with clock.frozen(at + timedelta(minutes=plan.minutes)):
        live.end(session, session_id=made.id, actor=owner)
    return made.id


def _product(session: Session, owner: Actor, shop_id: str):
    for product, skus in catalog.shop_products(session, shop_id=shop_id, actor=owner):
        if product.status == "live":
            return product, max(skus, key=lambda s: s.available)
    raise LookupError(f"shop {shop_id} has no live product")


def _viewers(session: Session, session_id: str, count: int, joined: list[str] | None = None) -> None:
    metrics.record_presence(session, session_id=session_id, process_id=PROCESS, viewers=count, joined=joined or [])


def _deal(session: Session, *, owner: Actor, session_id: str, sku, at: datetime, plan: Broadcast,
          buyers: list[Actor]) -> None:
    with clock.frozen(at):
        deal = live.create_deal(session, session_id=session_id, sku_id=sku.id, deal_price=max(1, sku.price * 8 // 10),
                                currency=sku.currency, allotment=plan.buyers + 1, per_buyer_limit=plan.buyers or 1,
                                countdown_seconds=10, duration_minutes=10, starts_at=None, actor=owner)
        live.start_deal(session, deal_id=deal.id, actor=owner)
    with clock.frozen(at + timedelta(seconds=30)):
        for i in range(plan.buyers):
            metrics.record_click(session, session_id=session_id)
            buyer = buyers[i % len(buyers)]
            order, _ = orders.checkout(session, buyer=buyer, lines=[(sku.id, 1, deal.id)])
            us_sellers.pay(session, order.id, buyer)


def recent_lives(session: Session, *, email: str) -> int:
    """Five LIVEs of the shop of `email` in the last 90 days, unless it has one there already: the demo's LIVE
    pages and reports then have something to show whenever the demo is loaded."""
    owner = auth.actor_of(auth.get_user_by_email(session, email))
    shop = sellers.shops_of(session, actor=owner)[0]
    since = clock.now() - timedelta(days=90)
    mine, _ = live.list_sessions(session, actor=owner, market="US", page_size=200)
    if any(s.shop_id == shop.id and s.scheduled_start >= since for s in mine):
        return 0
    buyers = [auth.actor_of(auth.get_user_by_email(session, address)) for address in us_sellers.BUYERS]
    today = clock.now().replace(hour=18, minute=0, second=0, microsecond=0)
    plans = [Broadcast(today - timedelta(days=d), minutes=m, viewers=v, buyers=b)
             for d, m, v, b in ((80, 60, 12, 1), (62, 90, 25, 2), (41, 45, 8, 0), (20, 120, 40, 3), (6, 75, 30, 2))]
    for n, plan in enumerate(plans, 1):
        broadcast(session, owner=owner, shop_id=shop.id, plan=plan, title=f"Evening LIVE #{n}", buyers=buyers)
    return len(plans)
