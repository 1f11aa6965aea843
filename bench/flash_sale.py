"""A LIVE flash deal sold out through the HTTP API, against what the database does with the same rows, in one run.

    .venv/bin/python bench/flash_sale.py                        # PostgreSQL, 1,000 units, 64 buyers' connections
    .venv/bin/python bench/flash_sale.py --units 3000 --rounds 2 --redis redis://127.0.0.1:6379/0
    .venv/bin/python bench/flash_sale.py --buckets 8 --rounds 2 --max-seconds 60

A throwaway PostgreSQL database (bench/throwaway.py) is migrated and seeded: a live market, an active shop, one
live product whose SKU holds every deal's units, a LIVE session with it in the bag, and 10 × --units buyers with API
tokens (every attempt is a different buyer: the per-buyer limit is 1). Two `marketcast serve --workers N` run on it:
one as shipped, one with MARKETCAST_CHECKOUT_BATCH=1 (each checkout its own transaction).

Three comparisons, each measured in the same run against its own baseline:

1. Orders/s while units last. A deal of --units units (limit 1 per buyer) opens; --clients keep-alive connections
   post single-unit deal orders, each with a fresh buyer and Idempotency-Key, until they are told deal_sold_out.
   The server runs as shipped: concurrent checkouts of the deal are batched (orders.batch, docs/adr/0025).
   Baseline: the same rows written straight through psycopg at the same concurrency on scratch copies of the
   real tables, one transaction per order (the buyer's counter upsert, the guarded deal UPDATE, the order, its line,
   its order.created event, the stored Idempotency-Key answer). API and baseline take turns (--rounds).
2. Turn-away after sell-out: the remaining attempts (10 × units in all) go to the sold-out deal and are answered
   409 deal_sold_out by the gate, without the database (the database's committed transactions during the phase
   are counted and printed). Baseline: the same number of requests to GET /healthz of the same server.
3. The stock strategy: the single guarded row taken one transaction per order (a second server with
   MARKETCAST_CHECKOUT_BATCH=1, the design before batching) against the same row taken by batches, and the units
   split over --buckets rows (batched too), through the API; through psycopg, one row against --buckets rows.

After each API sale the deal is ended and the counters checked: orders = order lines = units the deal sold, sold +
returned = allotment, no buyer above the limit (oversold must be 0). Every timed phase is bounded by --max-seconds."""

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hot_sku_checkout import free_port, start_server, stop
from load import Connection, Tally, warm_up
from sqlalchemy import func, select
from throwaway import database

from marketcast import areas
from marketcast.catalog.models import Product, Sku
from marketcast.core import clock
from marketcast.core.auth import service as auth
from marketcast.core.auth.actor import SYSTEM, Actor
from marketcast.core.db import make_engine, new_session
from marketcast.core.ids import new_id
from marketcast.core.migrate import upgrade
from marketcast.live import service as live
from marketcast.live.models import DealBuyer, FlashDeal
from marketcast.markets import service as markets
from marketcast.orders.models import Order, OrderLine
from marketcast.policies import service as policies
from marketcast.sellers.models import Seller, Shop

PRICE, DEAL_PRICE = 2500, 1250


def seed(url: str, *, stock: int, buyers: int) -> dict:
    upgrade(url)
    areas.load()
    engine = make_engine(url)
    session = new_session(engine)
    now = datetime.now(UTC) - timedelta(days=1)
    markets.create(session, code="US", name="United States", currency="USD", timezone="America/New_York",
                   status="live", actor=SYSTEM)
    owner = auth.create_user(session, email="live@shop.example", role="seller")
    seller = Seller(id=new_id("sel"), owner_user_id=owner.id, legal_name="Live Deals LLC", entity_type="company",
                    country="US", tax_id="12-3456789", beneficial_owners=[], contact_email="live@shop.example",
                    contact_phone="+15550000000", created_at=now)
    shop = Shop(id=new_id("shp"), seller_id=seller.id, owner_user_id=owner.id, market="US", shop_type="local",
                mode="pop", status="active", name="Live Deals", contact_email="live@shop.example",
                contact_phone="+15550000000", paid_orders=0, created_at=now)
    product = Product(id=new_id("prd"), shop_id=shop.id, market="US", currency="USD", title="Flash mug",
                      description="", status="live", min_price=PRICE, search_text="flash mug", created_at=now,
                      updated_at=now)
    sku = Sku(id=new_id("sku"), product_id=product.id, shop_id=shop.id, code="FLASH", price=PRICE, currency="USD",
              attributes={}, available=stock, reserved=0, sold=0, created_at=now)
    for row in (seller, shop, product, sku):
        session.add(row)
        session.flush()
    # A one-second countdown for the bench (the default minimum is 10 s).
    with clock.frozen(clock.now()):
        policies.schedule(session, key="live.flash_deal.countdown_seconds_min", market="US", value=1,
                          effective_from=clock.now(), reason="bench", actor=SYSTEM)
    tokens = [auth.issue_token(session, user=auth.create_user(session, email=f"buyer{n}@example.com", role="buyer"))
              for n in range(buyers)]
    host = Actor(user_id=owner.id, email=owner.email, role="seller")
    lvs = live.create(session, market="US", title="Flash hour", shop_id=shop.id, creator_id=None,
                      scheduled_start=clock.now(), playback_url="https://stream.example.com/flash.m3u8", actor=host)
    live.add_to_bag(session, session_id=lvs.id, product_id=product.id, actor=host)
    live.start(session, session_id=lvs.id, actor=host)
    session.commit()
    session.close()
    engine.dispose()
    return {"sku": sku.id, "session": lvs.id, "host": host, "tokens": tokens}


def open_deal(url: str, ids: dict, *, units: int, buckets: int) -> str:
    """A deal of `units` (limit 1), its countdown started, returned once it is open."""
    engine = make_engine(url)
    with new_session(engine) as s:
        deal = live.create_deal(s, session_id=ids["session"], sku_id=ids["sku"], deal_price=DEAL_PRICE,
                                currency="USD", allotment=units, per_buyer_limit=1, countdown_seconds=1,
                                duration_minutes=20, starts_at=None, actor=ids["host"], buckets=buckets)
        live.start_deal(s, deal_id=deal.id, actor=ids["host"])
        s.commit()
        deal_id = deal.id
    engine.dispose()
    time.sleep(1.2)
    return deal_id


def end_deal(url: str, ids: dict, deal_id: str) -> None:
    engine = make_engine(url)
    with new_session(engine) as s:
        live.end_deal(s, deal_id=deal_id, actor=ids["host"])
        s.commit()
    engine.dispose()


def check(url: str, deal_id: str, units: int) -> dict[str, int]:
    engine = make_engine(url)
    with new_session(engine, write=False) as s:
        deal = s.get(FlashDeal, deal_id)
        found = {
            "orders": s.scalar(select(func.count()).select_from(OrderLine).where(OrderLine.deal_id == deal_id)),
            "line_units": s.scalar(select(func.coalesce(func.sum(OrderLine.quantity), 0))
                                   .where(OrderLine.deal_id == deal_id)),
            "deal_sold": deal.sold, "deal_returned": deal.returned,
            "max_per_buyer": s.scalar(select(func.coalesce(func.max(DealBuyer.units), 0))
                                      .where(DealBuyer.deal_id == deal_id)),
            "buyers_over_limit": s.scalar(select(func.count()).select_from(
                select(Order.buyer_id).join(OrderLine, OrderLine.order_id == Order.id)
                .where(OrderLine.deal_id == deal_id).group_by(Order.buyer_id)
                .having(func.sum(OrderLine.quantity) > 1).subquery())),
        }
    engine.dispose()
    found["oversold"] = max(0, found["line_units"] - units) + found["buyers_over_limit"]
    found["consistent"] = int(found["orders"] == found["line_units"] == found["deal_sold"]
                              and found["deal_sold"] + found["deal_returned"] == units)
    return found


# --- load ----------------------------------------------------------------------------------------------------------

class Attempts:
    """The buyers' tokens, handed out one per attempt across all connections."""

    def __init__(self, tokens: list[str]):
        self.tokens, self.next = tokens, 0

    def take(self) -> str | None:
        if self.next >= len(self.tokens):
            return None
        self.next += 1
        return self.tokens[self.next - 1]


async def _deal_buyer(conn: Connection, attempts: Attempts, sku: str, deal_id: str, tally: Tally,
                      deadline: float, until_sold_out: bool) -> None:
    body = json.dumps({"lines": [{"sku_id": sku, "quantity": 1, "deal_id": deal_id}]}).encode()
    while time.perf_counter() < deadline and (token := attempts.take()) is not None:
        headers = {"authorization": f"Bearer {token}", "content-type": "application/json",
                   "idempotency-key": uuid.uuid4().hex}
        started = time.perf_counter()
        status, data = await conn.request("POST", "/api/v1/orders", headers, body)
        took = time.perf_counter() - started
        if status == 201 and until_sold_out:
            tally.latencies.append(took)
            continue
        code = json.loads(data).get("code", str(status)) if data else str(status)
        tally.count(code)
        if code == "deal_sold_out":
            if until_sold_out:
                return
            tally.latencies.append(took)  # a turn-away, timed
            continue
        if len(tally.errors) < 20:
            tally.errors.append(f"{status} {data[:200]!r}")
        if status >= 500:
            return


async def sale(base: str, clients: int, attempts: Attempts, sku: str, deal_id: str, max_seconds: float,
               until_sold_out: bool) -> Tally:
    tally, conns = Tally(), [Connection(base) for _ in range(clients)]
    started = time.perf_counter()
    await asyncio.gather(*(_deal_buyer(c, attempts, sku, deal_id, tally, started + max_seconds, until_sold_out)
                           for c in conns))
    tally.elapsed = time.perf_counter() - started
    for c in conns:
        await c.close()
    return tally


async def noop(base: str, clients: int, requests: int, max_seconds: float) -> Tally:
    tally, left = Tally(), [requests]
    started = time.perf_counter()

    async def one() -> None:
        conn = Connection(base)
        while left[0] > 0 and time.perf_counter() < started + max_seconds:
            left[0] -= 1
            begun = time.perf_counter()
            status, _ = await conn.request("GET", "/healthz", {})
            assert status == 200
            tally.latencies.append(time.perf_counter() - begun)
        await conn.close()

    await asyncio.gather(*(one() for _ in range(clients)))
    tally.elapsed = time.perf_counter() - started
    return tally


STATS_FLUSH_SECONDS = 11.0


def commits(url: str) -> int:
    """Transactions the database has finished, as its statistics say once every backend flushed them. A backend
    that flushed less than a second ago keeps its counts and flushes them when it has been idle for 10 s
    (PostgreSQL 15's PGSTAT_IDLE_INTERVAL): read sooner, the sale's last commits would be counted in the next
    phase (a turn-away phase once showed 144 and 214 transactions that way)."""
    import psycopg

    time.sleep(STATS_FLUSH_SECONDS)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        return conn.execute("SELECT xact_commit + xact_rollback FROM pg_stat_database"
                            " WHERE datname = current_database()").fetchone()[0]


# --- the baseline: the same rows straight through psycopg ---------------------------------------------------------

SCRATCH = ("live_deals", "live_deal_buyers", "orders", "order_lines", "outbox_events", "idempotency_keys")


async def psycopg_sale(url: str, clients: int, units: int, buckets: int, max_seconds: float) -> tuple[Tally, int]:
    import psycopg

    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as admin:
        await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname ="
                            " current_database() AND pid <> pg_backend_pid() AND state = 'idle'")
        for table in (*SCRATCH, "live_deal_buckets"):
            await admin.execute(f"DROP TABLE IF EXISTS scratch_{table}")
            await admin.execute(f"CREATE TABLE scratch_{table} (LIKE {table} INCLUDING ALL)")
        await admin.execute(
            "INSERT INTO scratch_live_deals (id, session_id, shop_id, market, product_id, sku_id, currency,"
            " deal_price, regular_price, allotment, units_left, sold, returned, per_buyer_limit, countdown_seconds,"
            " duration_minutes, unpaid_expiry_minutes, buckets, status, opens_at, ends_at, created_at, updated_at)"
            " VALUES ('dea_hot', 'lvs_hot', 'shp_hot', 'US', 'prd_hot', 'sku_hot', 'USD', %s, %s, %s, %s, 0, 0, 1,"
            " 1, 20, 5, %s, 'open', now(), now() + interval '1 hour', now(), now())",
            (DEAL_PRICE, PRICE, units, 0 if buckets > 1 else units, buckets))
        if buckets > 1:
            share, extra = divmod(units, buckets)
            for b in range(buckets):
                await admin.execute("INSERT INTO scratch_live_deal_buckets (deal_id, bucket, units_left)"
                                    " VALUES ('dea_hot', %s, %s)", (b, share + (b < extra)))
    tally = Tally()
    connections = [await psycopg.AsyncConnection.connect(url) for _ in range(clients)]
    started = time.perf_counter()
    counter = iter(range(10**9))
    await asyncio.gather(*(_raw_buyer(conn, counter, buckets, tally, started + max_seconds) for conn in connections))
    tally.elapsed = time.perf_counter() - started
    for conn in connections:
        await conn.close()
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as admin:
        orders = (await (await admin.execute("SELECT count(*) FROM scratch_orders")).fetchone())[0]
        over = (await (await admin.execute("SELECT count(*) FROM scratch_live_deal_buyers WHERE units > 1"))
                .fetchone())[0]
        for table in (*SCRATCH, "live_deal_buckets"):
            await admin.execute(f"DROP TABLE scratch_{table}")
    return tally, max(0, orders - units) + over


async def _take(conn, buckets: int, salt: str) -> bool:
    if buckets == 1:
        cur = await conn.execute(
            "UPDATE scratch_live_deals SET units_left = units_left - 1, sold = sold + 1 WHERE id = 'dea_hot'"
            " AND status IN ('counting_down', 'open', 'sold_out') AND opens_at <= now() AND ends_at > now()"
            " AND units_left >= 1 RETURNING units_left")
        return await cur.fetchone() is not None
    mine = zlib.crc32(salt.encode()) % buckets
    if await _take_bucket(conn, "UPDATE scratch_live_deal_buckets SET units_left = units_left - 1 WHERE deal_id ="
                                " 'dea_hot' AND bucket = %s AND units_left >= 1 RETURNING units_left", (mine,)):
        return True
    for skip in (" SKIP LOCKED", ""):
        if await _take_bucket(
                conn, "UPDATE scratch_live_deal_buckets SET units_left = units_left - 1 WHERE deal_id = 'dea_hot'"
                " AND units_left >= 1 AND bucket = (SELECT bucket FROM scratch_live_deal_buckets WHERE deal_id ="
                f" 'dea_hot' AND units_left >= 1 ORDER BY units_left DESC LIMIT 1 FOR UPDATE{skip})"
                " RETURNING units_left", ()):
            return True
    return False


async def _take_bucket(conn, sql: str, params: tuple) -> bool:
    """One try in a savepoint given up when it takes nothing, as live.buckets does (a lock kept from a failed try
    would deadlock with another buyer's)."""
    import psycopg

    async with conn.transaction() as savepoint:
        if await (await conn.execute(sql, params)).fetchone() is not None:
            return True
        raise psycopg.Rollback(savepoint)
    return False


async def _raw_buyer(conn, counter, buckets: int, tally: Tally, deadline: float) -> None:
    import psycopg

    while time.perf_counter() < deadline:
        n = next(counter)
        buyer = f"usr_b{n}"
        started = time.perf_counter()
        try:
            for attempt in range(3):  # a deadlock's victim runs again, as the API's respond_once does
                order_id, line_id, event_id, key_id = (f"{p}_{uuid.uuid4().hex[:24]}"
                                                       for p in ("ord", "oln", "evt", "idm"))
                try:
                    async with conn.transaction():
                        await _raw_order(conn, buyer, buckets, order_id, line_id, event_id, key_id)
                    break
                except psycopg.errors.DeadlockDetected:
                    tally.count("deadlock_retried")
                    if attempt == 2:
                        raise
        except _SoldOut:
            tally.count("deal_sold_out")
            return
        tally.latencies.append(time.perf_counter() - started)


async def _raw_order(conn, buyer: str, buckets: int, order_id: str, line_id: str, event_id: str,
                     key_id: str) -> None:
    await conn.execute(
        "INSERT INTO scratch_idempotency_keys (id, user_id, key, request_hash, state, claim,"
        " response_status, response_body, claimed_at) VALUES (%s, %s, %s, 'h', 'done', 'c', 201, %s, now())",
        (key_id, buyer, uuid.uuid4().hex, json.dumps({"id": order_id})))
    await conn.execute(
        "INSERT INTO scratch_orders (id, shop_id, market, buyer_id, status, currency, total_amount,"
        " refunded_amount, expires_at, created_at, updated_at) VALUES (%s, 'shp_hot', 'US', %s,"
        " 'pending_payment', 'USD', %s, 0, now() + interval '5 minutes', now(), now())",
        (order_id, buyer, DEAL_PRICE))
    await conn.execute(
        "INSERT INTO scratch_order_lines (id, order_id, sku_id, product_id, title, quantity, unit_price,"
        " amount, currency, refunded_quantity, deal_id, live_session_id) VALUES (%s, %s, 'sku_hot',"
        " 'prd_hot', 'Mug', 1, %s, %s, 'USD', 0, 'dea_hot', 'lvs_hot')",
        (line_id, order_id, DEAL_PRICE, DEAL_PRICE))
    await conn.execute(
        "INSERT INTO scratch_outbox_events (id, type, occurred_at, market, data, dispatched)"
        " VALUES (%s, 'order.created', now(), 'US', %s, false)",
        (event_id, json.dumps({"order_id": order_id, "buyer_id": buyer, "amount": DEAL_PRICE})))
    cur = await conn.execute(
        "INSERT INTO scratch_live_deal_buyers (deal_id, buyer_id, units, cap) VALUES ('dea_hot', %s, 1, 1)"
        " ON CONFLICT (deal_id, buyer_id) DO UPDATE SET units = scratch_live_deal_buyers.units + 1"
        " WHERE scratch_live_deal_buyers.units + 1 <= scratch_live_deal_buyers.cap RETURNING units",
        (buyer,))
    counted = await cur.fetchone() is not None
    taken = counted and await _take(conn, buckets, order_id)
    if not taken:
        raise _SoldOut


class _SoldOut(Exception):
    pass


async def _psycopg(url: str, clients: int, units: int, buckets: int, max_seconds: float) -> tuple[Tally, int]:
    raw = url.replace("postgresql+psycopg://", "postgresql://", 1)
    return await psycopg_sale(raw, clients, units, buckets, max_seconds)


# --- the run -------------------------------------------------------------------------------------------------------

def row(name: str, tally: Tally, extra: str) -> str:
    return (f"| {name} | {tally.per_second:,.1f} | {tally.percentile(50) * 1000:,.1f} ms "
            f"| {tally.percentile(99) * 1000:,.1f} ms | {len(tally.latencies):,} | {extra} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=1000, help="units of each deal")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1, help="API and psycopg take turns this many times")
    parser.add_argument("--buckets", type=int, default=8, help="rows of the bucketed strategy")
    parser.add_argument("--redis", default=None, help="MARKETCAST_REDIS_URL for the server (the sold-out mark)")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="bound on each timed phase")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument("--server-log", default="var/bench-flash-sale-server.log")
    args = parser.parse_args()
    # (name, stock rows, batched checkout): the first is the baseline of the stock strategies, the second the default.
    strategies = [("single row, one transaction per order", 1, False), ("single row, batched", 1, True),
                  (f"{args.buckets} buckets, batched", args.buckets, True)]
    sales = len(strategies) * args.rounds
    attempts_per_deal = 10 * args.units
    results = {name: (Tally(), Tally()) for name, _, _ in strategies}  # (API, psycopg)
    oversold, turn_away, healthz, db_work = 0, Tally(), Tally(), []
    with database(keep=args.keep) as url:
        ids = seed(url, stock=args.units * sales, buyers=attempts_per_deal)
        if args.redis:
            os.environ["MARKETCAST_REDIS_URL"] = args.redis
        servers, bases = {}, {}
        try:
            for batched in (True, False):
                os.environ["MARKETCAST_CHECKOUT_BATCH"] = "64" if batched else "1"
                log_path = Path(args.server_log).with_suffix(".batched.log" if batched else ".alone.log")
                log_path.parent.mkdir(parents=True, exist_ok=True)
                port = free_port()
                servers[batched] = start_server(url, args.workers, port, log_path)
                bases[batched] = f"http://127.0.0.1:{port}"
                asyncio.run(warm_up(bases[batched], ids["tokens"][:args.clients]))
            for n in range(args.rounds):
                for name, buckets, batched in strategies:
                    base = bases[batched]
                    deal_id = open_deal(url, ids, units=args.units, buckets=buckets)
                    attempts = Attempts(ids["tokens"])
                    api = asyncio.run(sale(base, args.clients, attempts, ids["sku"], deal_id, args.max_seconds, True))
                    line = f"round {n + 1}, {name}: API {api.per_second:,.1f} orders/s"
                    if batched and buckets == 1:  # the default: its turn-away against the no-op endpoint
                        before = commits(url)
                        away = asyncio.run(sale(base, args.clients, attempts, ids["sku"], deal_id, args.max_seconds,
                                                False))
                        db_work.append(commits(url) - before)
                        alone = asyncio.run(noop(base, args.clients, len(away.latencies), args.max_seconds))
                        turn_away.merge(away)
                        healthz.merge(alone)
                        line += f"; turn-away {away.per_second:,.1f}/s vs /healthz {alone.per_second:,.1f}/s"
                        if away.errors:
                            print("unexpected answers:", *away.errors[:5], sep="\n  ")
                    end_deal(url, ids, deal_id)
                    found = check(url, deal_id, args.units)
                    raw_over = 0
                    if batched:  # psycopg on the same stock rows, its turn after the API's
                        raw, raw_over = asyncio.run(_psycopg(url, args.clients, args.units, buckets,
                                                             args.max_seconds))
                        results[name][1].merge(raw)
                        line += f", psycopg {raw.per_second:,.1f} orders/s"
                    print(f"{line}; {found}", flush=True)
                    if api.errors:
                        print("unexpected answers:", *api.errors[:5], sep="\n  ")
                    if found["oversold"] or not found["consistent"] or raw_over:
                        raise SystemExit(f"invariant broken: {found}, psycopg oversold {raw_over}")
                    oversold += found["oversold"] + raw_over
                    results[name][0].merge(api)
        finally:
            for server in servers.values():
                stop(server)
    report(args, strategies, results, turn_away, healthz, db_work, oversold)


def report(args, strategies, results, turn_away: Tally, healthz: Tally, db_work: list[int], oversold: int) -> None:
    alone_api, _ = results[strategies[0][0]]
    batched_api, single_raw = results[strategies[1][0]]
    bucket_api, bucket_raw = results[strategies[2][0]]
    print(f"\nflash sale on PostgreSQL: deals of {args.units:,} units (limit 1), {args.clients} connections, "
          f"{args.workers} workers, {args.rounds} round(s), Redis {'on' if args.redis else 'off'}\n")
    print("| | per second | p50 | p99 | count | oversold / note |\n|---|---:|---:|---:|---:|---|")
    for name, _, _ in strategies:
        print(row(f"API orders, {name}", results[name][0], "0"))
    print(row("psycopg orders, single row", single_raw, "0"))
    print(row(f"psycopg orders, {args.buckets} buckets", bucket_raw, "0"))
    print(row("API turn-away after sell-out (409)", turn_away,
              f"database transactions meanwhile: {', '.join(map(str, db_work))}"))
    print(row("no-op endpoint (GET /healthz)", healthz, "—"))

    def ratio(a: Tally, b: Tally) -> float:
        return a.per_second / b.per_second if b.per_second else 0.0

    print(f"\nAPI (batched, single row) / psycopg, single row: {ratio(batched_api, single_raw):.2f}   (goal ≥ 0.50)")
    print(f"turn-away / no-op endpoint: {ratio(turn_away, healthz):.2f}   (goal ≥ 0.80)")
    print(f"batched / one transaction per order, single row, through the API: {ratio(batched_api, alone_api):.2f}"
          f"   (goal 3×), oversold {oversold}")
    print(f"{args.buckets} buckets / single row: API (both batched) {ratio(bucket_api, batched_api):.2f}, psycopg "
          f"{ratio(bucket_raw, single_raw):.2f}")


if __name__ == "__main__":
    sys.exit(main())
