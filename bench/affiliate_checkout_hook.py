"""What attribution costs the checkout: orders.service.checkout with the affiliate hook unsubscribed (the
baseline, measured in the same run), subscribed for buyers who clicked nothing, and for buyers whose last click
attributes the line.

    .venv/bin/python bench/affiliate_checkout_hook.py                 # PostgreSQL (a throwaway database)
    .venv/bin/python bench/affiliate_checkout_hook.py --sqlite        # a temporary SQLite file
    .venv/bin/python bench/affiliate_checkout_hook.py --checkouts 300 --clicks 200000

Each checkout is one transaction (one line, committed), as the API runs it. `--clicks` other clicks fill
link_clicks first, so the buyer's lookup runs against a table of some size. The three kinds run interleaved in
rounds, so a warming cache or a busy machine weighs on all of them alike; the figure is the median."""

import argparse
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert
from throwaway import database

from marketcast.affiliate import handlers
from marketcast.affiliate import service as affiliate
from marketcast.affiliate.models import LinkClick
from marketcast.catalog import service as catalog
from marketcast.core import clock
from marketcast.core.auth import service as auth
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import make_engine, unit_of_work
from marketcast.core.ids import new_id
from marketcast.core.migrate import upgrade
from marketcast.creators.models import Creator
from marketcast.markets import service as markets
from marketcast.orders import hooks
from marketcast.orders import service as orders
from marketcast.sellers.models import Seller, Shop

NOW = datetime(2031, 5, 5, 12, tzinfo=UTC)


def _world(engine, *, buyers: int, clicks: int):
    with unit_of_work(engine) as s:
        markets.create(s, code="US", name="United States", currency="USD", timezone="America/New_York",
                       status="live", actor=SYSTEM)
        owner = auth.create_user(s, email="seller@bench.example", role="seller")
        seller = Seller(id=new_id("sel"), owner_user_id=owner.id, legal_name="Bench", entity_type="company",
                        country="US", tax_id="1", beneficial_owners=[], contact_email="s@bench.example",
                        contact_phone="+15550000000", created_at=NOW)
        s.add(seller)
        s.flush()
        shop = Shop(id=new_id("shp"), seller_id=seller.id, owner_user_id=owner.id, market="US", shop_type="local",
                    mode="pop", status="active", name="Bench", contact_email="s@bench.example",
                    contact_phone="+15550000000", paid_orders=0, created_at=NOW)
        s.add(shop)
        s.flush()
        seller_actor = auth.actor_of(owner)
        product = catalog.create_product(s, shop_id=shop.id, title="Mug", description="", actor=seller_actor,
                                         skus=[catalog.SkuIn(code="M", price={"amount": 1500, "currency": "USD"},
                                                             stock=10_000_000)])
        catalog.publish(s, product_id=product.id, actor=seller_actor)
        sku = catalog.product_skus(s, product.id)[0].id
        creator_user = auth.create_user(s, email="creator@bench.example", role="creator")
        creator = Creator(id=new_id("crt"), user_id=creator_user.id, market="US", handle="bench.creator",
                          date_of_birth=date(1990, 1, 1), followers=50_000, followers_as_of=NOW,
                          affiliate_status="active", failed_rules="", status_changed_at=NOW, created_at=NOW)
        s.add(creator)
        s.flush()
        collab, _ = affiliate.create(s, shop_id=shop.id, kind="open", commission_rate_bps=1000,
                                     product_ids=[product.id], actor=seller_actor)
        creator_actor = auth.actor_of(creator_user)
        affiliate.join(s, collaboration_id=collab.id, actor=creator_actor)
        link = affiliate.create_link(s, creator_id=creator.id, product_id=product.id, actor=creator_actor)
        people = [auth.actor_of(auth.create_user(s, email=f"b{i}@bench.example", role="buyer"))
                  for i in range(buyers * 2)]
        filler = [{"id": new_id("clk"), "token": link.token, "creator_id": creator.id, "product_id": product.id,
                   "buyer_id": new_id("usr"), "visitor_id": None, "clicked_at": NOW - timedelta(hours=i % 100)}
                  for i in range(clicks)]
        for start in range(0, len(filler), 50_000):
            s.execute(insert(LinkClick), filler[start:start + 50_000])
        clicked = people[buyers:]
        for buyer in clicked:
            affiliate.record_click(s, token=link.token, actor=buyer)
    return sku, people[:buyers], clicked


def _checkout(engine, buyer, sku: str) -> float:
    started = time.perf_counter()
    with unit_of_work(engine) as s:
        orders.checkout(s, buyer=buyer, lines=[(sku, 1)])
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--checkouts", type=int, default=300, help="checkouts of each kind (default 300)")
    parser.add_argument("--clicks", type=int, default=100_000, help="other buyers' clicks (default 100,000)")
    args = parser.parse_args()
    with database(use_sqlite=args.sqlite) as url, clock.frozen(NOW):
        upgrade(url)
        engine = make_engine(url)
        sku, plain, clicked = _world(engine, buyers=args.checkouts, clicks=args.clicks)
        times: dict[str, list[float]] = {"no hook (baseline)": [], "hook, no click": [], "hook, attributed": []}
        for i in range(args.checkouts):
            hooks.checkout_lines._handlers.remove(handlers.attribute_lines)
            try:
                times["no hook (baseline)"].append(_checkout(engine, plain[(i + args.checkouts // 2) % len(plain)],
                                                             sku))
            finally:
                hooks.checkout_lines.subscribe(handlers.attribute_lines)
            times["hook, no click"].append(_checkout(engine, plain[i], sku))
            times["hook, attributed"].append(_checkout(engine, clicked[i], sku))
        engine.dispose()
    backend = "SQLite" if args.sqlite else "PostgreSQL"
    base = statistics.median(times["no hook (baseline)"])
    print(f"checkout of one line, {backend}, {args.checkouts} of each kind, {args.clicks:,} other clicks")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:<20} median {median * 1000:7.2f} ms   ratio to baseline {median / base:5.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
