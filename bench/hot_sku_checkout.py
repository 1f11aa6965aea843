"""A hot SKU sold out through the HTTP API, against what the database driver itself does in the same run.

    .venv/bin/python bench/hot_sku_checkout.py                          # PostgreSQL, 2,000 units, 64 buyers, 2 workers
    .venv/bin/python bench/hot_sku_checkout.py --units 500 --clients 16 --workers 1
    .venv/bin/python bench/hot_sku_checkout.py --sqlite                 # a temporary SQLite file instead
    .venv/bin/python bench/hot_sku_checkout.py --client-ceiling         # also: the load client alone, on /healthz

A throwaway database (bench/throwaway.py) is migrated and seeded: a live market, an active shop, one live product
with one SKU of `--units` units, and `--clients` buyers with API tokens. Then `marketcast serve --workers N` is
started on it (a free port on 127.0.0.1) and every buyer, on its own keep-alive connection, posts single-unit
orders with fresh Idempotency-Keys until it is told out_of_stock. Afterwards the counters are checked: units
sold = orders = order lines = order.created events = idempotency keys, nothing below zero (oversold must be 0).

Then, in the same database and at the same concurrency, the ceiling: the same logical writes straight through
psycopg (one transaction per order: the guarded stock UPDATE, an order row, a line row, an outbox row) on scratch
copies of the real tables. The two take turns (--rounds, units/rounds each turn) so that the load of a shared
machine, which changes by the minute, weighs on both alike. The ratio is API orders/s over ceiling orders/s over
all turns. On SQLite the ceiling is the stdlib sqlite3 driver doing the same in one thread (SQLite has one writer).
Every turn is bounded by --max-seconds."""

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from load import Tally, http_buyers, http_ceiling, psycopg_buyers, raw_oversold, warm_up
from sqlalchemy import func, select
from throwaway import database

from marketcast.catalog.models import Product, Sku
from marketcast.core.auth import service as auth
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import make_engine, new_session
from marketcast.core.idempotency import IdempotencyKey
from marketcast.core.ids import new_id
from marketcast.core.migrate import upgrade
from marketcast.core.outbox import OutboxEvent
from marketcast.markets import service as markets
from marketcast.orders.models import Order, OrderLine
from marketcast.sellers.models import Seller, Shop


def seed(url: str, *, units: int, clients: int) -> tuple[str, list[str]]:
    """The hot SKU's id and one API token per buyer."""
    upgrade(url)
    engine = make_engine(url)
    session = new_session(engine)
    now = datetime.now(UTC) - timedelta(days=1)
    markets.create(session, code="US", name="United States", currency="USD", timezone="America/New_York",
                   status="live", actor=SYSTEM)
    owner = auth.create_user(session, email="hot@shop.example", role="seller")
    seller = Seller(id=new_id("sel"), owner_user_id=owner.id, legal_name="Hot Deals LLC", entity_type="company",
                    country="US", tax_id="12-3456789", beneficial_owners=[], contact_email="hot@shop.example",
                    contact_phone="+15550000000", created_at=now)
    shop = Shop(id=new_id("shp"), seller_id=seller.id, owner_user_id=owner.id, market="US", shop_type="local",
                mode="pop", status="active", name="Hot Deals", contact_email="hot@shop.example",
                contact_phone="+15550000000", paid_orders=0, created_at=now)
    product = Product(id=new_id("prd"), shop_id=shop.id, market="US", currency="USD", title="Hot mug",
                      description="", status="live", min_price=1250, search_text="hot mug", created_at=now,
                      updated_at=now)
    sku = Sku(id=new_id("sku"), product_id=product.id, shop_id=shop.id, code="HOT", price=1250, currency="USD",
              attributes={}, available=units, reserved=0, sold=0, created_at=now)
    session.add(seller)
    session.flush()
    session.add(shop)
    session.flush()
    session.add(product)
    session.flush()
    session.add(sku)
    tokens = [auth.issue_token(session, user=auth.create_user(session, email=f"buyer{n}@example.com", role="buyer"))
              for n in range(clients)]
    session.commit()
    session.close()
    engine.dispose()
    return sku.id, tokens


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, workers: int, port: int, log_path: Path) -> subprocess.Popen:
    env = {**os.environ, "MARKETCAST_DATABASE_URL": url, "MARKETCAST_SECRET_KEY": "bench-" + "x" * 40}
    cli = Path(sys.executable).with_name("marketcast")
    log = log_path.open("w")
    # A session (process group) of its own, so that stopping it stops its workers too, whatever state they are in.
    server = subprocess.Popen([str(cli), "serve", "--host", "127.0.0.1", "--port", str(port),
                               "--workers", str(workers)], env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited ({server.returncode}); see {log_path}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1, trust_env=False).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    stop(server)
    raise SystemExit(f"the server did not answer /healthz within 180 s; see {log_path}")


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass
    if _group_alive(server.pid):  # a worker that ignored SIGTERM, or the parent still waiting on one
        os.killpg(server.pid, signal.SIGKILL)
    server.wait()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def check(url: str, sku_id: str, units: int) -> dict[str, int]:
    """The invariants after the run, read from the database."""
    engine = make_engine(url)
    with new_session(engine, write=False) as s:
        sku = s.get(Sku, sku_id)
        found = {
            "orders": s.scalar(select(func.count()).select_from(Order)),
            "line_units": s.scalar(select(func.coalesce(func.sum(OrderLine.quantity), 0))),
            "events": s.scalar(select(func.count()).where(OutboxEvent.type == "order.created")),
            "keys_done": s.scalar(select(func.count()).where(IdempotencyKey.state == "done")),
            "available": sku.available, "reserved": sku.reserved,
        }
    engine.dispose()
    found["oversold"] = max(0, found["line_units"] - units) + max(0, -found["available"])
    found["consistent"] = int(found["orders"] == found["line_units"] == found["events"] == found["keys_done"]
                              == found["reserved"] and found["available"] + found["reserved"] == units)
    return found


def sqlite_ceiling(url: str, units: int, max_seconds: float) -> Tally:
    """SQLite's ceiling: the same four writes per transaction through the stdlib driver, one writer."""
    import json
    import sqlite3
    import uuid

    db = sqlite3.connect(url.split("///", 1)[1], isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    for table in ("skus", "orders", "order_lines", "outbox_events"):
        db.execute(f"DROP TABLE IF EXISTS scratch_{table}")
        db.execute(f"CREATE TABLE scratch_{table} AS SELECT * FROM {table} WHERE 0")
    db.execute("INSERT INTO scratch_skus (id, available, reserved, sold) VALUES ('sku_hot', ?, 0, 0)", (units,))
    tally, started = Tally(), time.perf_counter()
    while time.perf_counter() < started + max_seconds:
        begun = time.perf_counter()
        order_id = f"ord_{uuid.uuid4().hex[:24]}"
        db.execute("BEGIN IMMEDIATE")
        if db.execute("UPDATE scratch_skus SET available = available - 1, reserved = reserved + 1"
                      " WHERE id = 'sku_hot' AND available >= 1 RETURNING id").fetchone() is None:
            db.execute("ROLLBACK")
            break
        db.execute("INSERT INTO scratch_orders (id, shop_id, market, buyer_id, status, currency, total_amount)"
                   " VALUES (?, 'shp_hot', 'US', 'usr_b', 'pending_payment', 'USD', 1250)", (order_id,))
        db.execute("INSERT INTO scratch_order_lines (id, order_id, sku_id, quantity, amount)"
                   " VALUES (?, ?, 'sku_hot', 1, 1250)", (f"oln_{uuid.uuid4().hex[:24]}", order_id))
        db.execute("INSERT INTO scratch_outbox_events (id, type, data) VALUES (?, 'order.created', ?)",
                   (f"evt_{uuid.uuid4().hex[:24]}", json.dumps({"order_id": order_id})))
        db.execute("COMMIT")
        tally.latencies.append(time.perf_counter() - begun)
    tally.elapsed = time.perf_counter() - started
    db.close()
    return tally


def row(name: str, tally: Tally, oversold: int | str) -> str:
    return (f"| {name} | {tally.per_second:,.1f} | {tally.percentile(50) * 1000:,.1f} ms "
            f"| {tally.percentile(99) * 1000:,.1f} ms | {len(tally.latencies):,} | {oversold} |")


def restock(url: str, sku_id: str, units: int) -> None:
    """Put `units` more on sale for the next round (the bench's own database; the server is idle meanwhile)."""
    engine = make_engine(url)
    with new_session(engine) as s:
        s.get(Sku, sku_id).available += units
        s.commit()
    engine.dispose()


def ceiling_round(url: str, args, units: int) -> tuple[Tally, int]:
    if args.sqlite:
        return sqlite_ceiling(url, units, args.max_seconds), 0
    raw_url = url.replace("postgresql+psycopg://", "postgresql://", 1)
    tally = asyncio.run(psycopg_buyers(raw_url, args.clients, units, args.max_seconds))
    return tally, asyncio.run(raw_oversold(raw_url, units))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=2000, help="units sold by each side, over all rounds")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=4,
                        help="API and ceiling take turns this many times (units/rounds each turn), so that a change"
                             " in the machine's load during the run weighs on both alike")
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file instead of PostgreSQL")
    parser.add_argument("--max-seconds", type=float, default=120.0, help="bound on each timed turn")
    parser.add_argument("--client-ceiling", action="store_true", help="also measure the client on GET /healthz")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument("--server-log", default="var/bench-hot-sku-server.log")
    args = parser.parse_args()
    per_round = args.units // args.rounds
    units = per_round * args.rounds
    api, ceiling, raw_over, client_alone = Tally(), Tally(), 0, None
    with database(use_sqlite=args.sqlite, keep=args.keep) as url:
        sku_id, tokens = seed(url, units=0, clients=args.clients)
        log_path = Path(args.server_log)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        port = free_port()
        server = start_server(url, args.workers, port, log_path)
        base = f"http://127.0.0.1:{port}"
        try:
            asyncio.run(warm_up(base, tokens))
            if args.client_ceiling:
                client_alone = asyncio.run(http_ceiling(base, args.clients, 20_000))
            for n in range(args.rounds):
                restock(url, sku_id, per_round)
                api_turn = asyncio.run(http_buyers(base, tokens, sku_id, args.max_seconds))
                ceiling_turn, over = ceiling_round(url, args, per_round)
                print(f"round {n + 1}: API {api_turn.per_second:,.1f} orders/s, ceiling "
                      f"{ceiling_turn.per_second:,.1f} orders/s", flush=True)
                api.merge(api_turn)
                ceiling.merge(ceiling_turn)
                raw_over += over
        finally:
            stop(server)
        found = check(url, sku_id, units)
    backend = "SQLite" if args.sqlite else "PostgreSQL"
    ceiling_name = "sqlite3, same writes (1 writer)" if args.sqlite else "psycopg, same writes"
    print(f"\nhot SKU checkout on {backend}: {units:,} units, {args.clients} clients, {args.workers} workers, "
          f"{args.rounds} rounds\n")
    print("| | orders/s | p50 | p99 | orders | oversold |\n|---|---:|---:|---:|---:|---:|")
    print(row(f"HTTP API ({args.workers} workers)", api, found["oversold"]))
    print(row(ceiling_name, ceiling, raw_over))
    if client_alone:
        print(row("client alone: GET /healthz", client_alone, "—"))
    ratio = api.per_second / ceiling.per_second if ceiling.per_second else 0.0
    p99_ratio = api.percentile(99) / ceiling.percentile(99) if ceiling.latencies else 0.0
    print(f"\nratio API / ceiling: {ratio:.2f}    p99 API / ceiling: {p99_ratio:.2f}")
    print(f"API refusals: {api.codes}; counters after the run: {found}")
    if api.errors:
        print("unexpected answers (first ones):", *api.errors[:5], sep="\n  ")
    if found["oversold"] or raw_over or not found["consistent"] or api.errors:
        raise SystemExit("invariant broken or unexpected answers: see above")


if __name__ == "__main__":
    main()
