"""The public product listing (GET /products) at 100,000 products: timings and query plans.

    .venv/bin/python bench/catalog_listing.py                      # PostgreSQL, 100,000 products
    .venv/bin/python bench/catalog_listing.py --products 20000     # smaller
    .venv/bin/python bench/catalog_listing.py --sqlite             # a temporary SQLite file instead

PostgreSQL: a throwaway database is created on the server named by MARKETCAST_BENCH_DATABASE_URL (an admin
URL; default postgresql://postgres@127.0.0.1:5432/postgres) and dropped afterwards (--keep leaves it). The schema
comes from the real migrations. Products are spread over 5 markets and 2,000 shops, 80% live, one SKU each;
titles and descriptions are drawn from a 200-word vocabulary, plus one rare word in 0.1% of products.

Each query is the real one: catalog.service.list_products / get_sku / reserve are called and the SQL they send
is captured, timed (best of 5 to 100 runs) and explained with the same parameters (EXPLAIN ANALYZE on PostgreSQL,
EXPLAIN QUERY PLAN on SQLite), so the plan shows which index serves it; on PostgreSQL the server's own execution
time (EXPLAIN ANALYZE, best of 5) is printed too. Text search is a LIKE '%word%' on
search_text: PostgreSQL serves it from a trigram GIN index (pg_trgm), SQLite scans the market's listing index.

Two baselines on the same rows: the text searches with the trigram index dropped (the LIKE scan they were before
it, PostgreSQL only), then every query with the listing indexes dropped too. Each baseline checks that it finds
the same rows."""

import argparse
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine, event, insert, text
from sqlalchemy.orm import Session
from throwaway import database

from marketcast.catalog import service
from marketcast.catalog.models import Product, Sku
from marketcast.core.db import make_engine, new_session
from marketcast.core.ids import new_id
from marketcast.core.migrate import upgrade
from marketcast.core.pagination import encode_token

MARKETS = [("US", "USD"), ("GB", "GBP"), ("MX", "MXN"), ("ID", "IDR"), ("JP", "JPY")]
SHOPS = 2000
BATCH = 10_000
RARE = "zephyrine"
LISTING_INDEXES = ("ix_products_market_status_id", "ix_products_shop_status_id", "ix_products_market_status_price")
TRIGRAM_INDEX = "ix_products_search_text_trgm"
NOW = datetime(2024, 7, 1, tzinfo=UTC)


def fill(engine: Engine, products: int) -> dict:
    """Products and SKUs in batches; returns ids the queries below need."""
    rng = random.Random(7)
    vocab = [f"{a}{b}" for a in ("lin", "cot", "silk", "wool", "sun", "moon", "star", "leaf", "rock", "wave")
             for b in ("en", "ton", "ky", "ish", "ar", "ow", "et", "ium", "ix", "ora",
                       "ade", "ine", "oon", "ux", "ette", "ard", "ble", "mo", "za", "qi")]
    shop_ids = [new_id("shp") for _ in range(SHOPS)]
    picked = {"us_shop": None, "sku": None, "middle": None}
    for start in range(0, products, BATCH):
        rows, skus = [], []
        for n in range(start, min(start + BATCH, products)):
            shop_index = rng.randrange(SHOPS)
            market, currency = MARKETS[shop_index % len(MARKETS)]
            words = rng.sample(vocab, 11) + ([RARE] if rng.random() < 0.001 else [])
            title, description = " ".join(words[:3]).title(), " ".join(words[3:])
            price = rng.randrange(100, 50_000)
            product_id = new_id("prd")
            rows.append({"id": product_id, "shop_id": shop_ids[shop_index], "market": market, "currency": currency,
                         "title": title, "description": description,
                         "status": "live" if rng.random() < 0.8 else rng.choice(["draft", "delisted"]),
                         "min_price": price, "search_text": f"{title}\n{description}".lower(),
                         "created_at": NOW, "updated_at": NOW, "published_at": NOW})
            skus.append({"id": new_id("sku"), "product_id": product_id, "shop_id": shop_ids[shop_index],
                         "code": "ONE", "price": price, "currency": currency, "attributes": {},
                         "available": 1_000_000, "reserved": 0, "sold": 0, "created_at": NOW})
            if market == "US" and picked["us_shop"] is None:
                picked["us_shop"], picked["sku"] = shop_ids[shop_index], skus[-1]["id"]
            if n == products // 2:
                picked["middle"] = product_id
        with engine.begin() as conn:
            conn.execute(insert(Product), rows)
            conn.execute(insert(Sku), skus)
        print(f"\r  loaded {min(start + BATCH, products):,} products", end="", file=sys.stderr)
    print(file=sys.stderr)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return picked


class Captured:
    def __init__(self, engine: Engine):
        self.engine, self.sent = engine, []

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "EXPLAIN")):
            self.sent.append((statement, parameters))

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._record)


def measure(engine: Engine, label: str, call: Callable[[Session], object], *, rollback: bool = False,
            plan: bool = True) -> tuple[float, object]:
    """(best time in seconds, what the call returned: the rows of a listing). Best of at least 5 runs, and of as
    many as fit in half a second (at most 100): on a busy machine the minimum needs more tries to show."""
    best, rows, statements, found = float("inf"), None, [], None
    runs, began = 0, time.perf_counter()
    while runs < 5 or (time.perf_counter() - began < 0.5 and runs < 100):
        runs += 1
        session = new_session(engine, write=rollback)
        try:
            with Captured(engine) as captured:
                started = time.perf_counter()
                result = call(session)
                best = min(best, time.perf_counter() - started)
            statements = captured.sent
            rows = len(result[0]) if isinstance(result, tuple) else 1
            found = [p.id for p in result[0]] if isinstance(result, tuple) else None
        finally:
            session.rollback()
            session.close()
    statement, parameters = statements[-1]
    server = server_time(engine, statement, parameters)
    print(f"\n== {label}: best of {runs} {best * 1000:.2f} ms, {rows} row(s), {len(statements)} statement(s)"
          + (f"; server {server * 1000:.2f} ms" if server is not None else ""))
    if not plan:
        return best, found, server
    explain = "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)" if engine.dialect.name == "postgresql" \
        else "EXPLAIN QUERY PLAN"
    with engine.connect() as conn:
        trans = conn.begin()
        rows_of_plan = conn.exec_driver_sql(f"{explain} {statement}", parameters).fetchall()
        trans.rollback()  # EXPLAIN ANALYZE of an UPDATE really runs it
    for row in rows_of_plan:
        print("   ", row[-1] if engine.dialect.name == "sqlite" else row[0])
    return best, found, server


def server_time(engine: Engine, statement: str, parameters) -> float | None:
    """PostgreSQL: the statement's own execution time in the server (EXPLAIN ANALYZE, best of 5), without the
    round trip and the client, which a busy machine blurs most. None on SQLite (in-process: the wall time is it)."""
    if engine.dialect.name != "postgresql":
        return None
    best = float("inf")
    with engine.connect() as conn:
        for _ in range(5):
            trans = conn.begin()
            plan = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) {statement}", parameters)
            best = min(best, plan.scalar_one()[0]["Execution Time"] / 1000)
            trans.rollback()
    return best


def baseline(engine: Engine, title: str, drop: tuple[str, ...], queries: list, measured: dict) -> None:
    """The same queries after dropping `drop`: the ratio to the first figures, and whether the rows are the same."""
    with engine.begin() as conn:
        for index in drop:
            conn.execute(text(f"DROP INDEX {index}"))
        conn.execute(text("ANALYZE"))
    print(f"\n--- baseline: {title} ---")
    for label, call, writes in queries:
        without, found, server_without = measure(engine, label, call, rollback=writes, plan=False)
        fast, rows, server = measured[label]
        same = "same rows" if found == rows else "DIFFERENT ROWS"
        in_server = f", {server_without / server:.1f}x in the server" if server else ""
        print(f"    ratio: {without / fast:.1f}x the time it takes with the indexes{in_server} ({same})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    with database(args.sqlite, args.keep) as url:
        upgrade(url)
        engine = make_engine(url)
        started = time.perf_counter()
        picked = fill(engine, args.products)
        print(f"{engine.dialect.name}: {args.products:,} products loaded in {time.perf_counter() - started:.1f} s")
        deep = encode_token([picked["middle"]])
        queries: list[tuple[str, Callable[[Session], object], bool]] = [
            ("live in US, first page", lambda s: service.list_products(s, market="US"), False),
            ("live in US, a page from the middle", lambda s: service.list_products(s, market="US", page_token=deep),
             False),
            ("live anywhere, first page", lambda s: service.list_products(s), False),
            ("one shop's live products", lambda s: service.list_products(s, shop_id=picked["us_shop"]), False),
            ("US, price 100.00..120.00", lambda s: service.list_products(s, market="US", min_price=10_000,
                                                                        max_price=12_000), False),
            ("US, price up to 2.00", lambda s: service.list_products(s, market="US", max_price=200), False),
            ("US, q common word", lambda s: service.list_products(s, market="US", q="linen"), False),
            (f"US, q rare word ({RARE})", lambda s: service.list_products(s, market="US", q=RARE), False),
            (f"any market, q rare word ({RARE})", lambda s: service.list_products(s, q=RARE), False),
            ("one SKU (GET /skus/{id})", lambda s: service.get_sku(s, picked["sku"]), False),
            ("reserve 1 unit of one SKU", lambda s: service.reserve(s, quantities={picked["sku"]: 1}), True),
        ]
        measured = {label: measure(engine, label, call, rollback=writes) for label, call, writes in queries}
        if engine.dialect.name == "postgresql":
            searches = [query for query in queries if ", q " in query[0]]
            baseline(engine, "the text searches without the trigram index (LIKE scans)", (TRIGRAM_INDEX,),
                     searches, measured)
        baseline(engine, "the same queries without the listing indexes", LISTING_INDEXES, queries, measured)
        engine.dispose()


if __name__ == "__main__":
    main()
