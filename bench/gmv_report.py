"""GMV report from the daily rollups vs the same report aggregated from orders and order lines.

    .venv/bin/python bench/gmv_report.py                    # PostgreSQL, 1,000,000 paid orders
    .venv/bin/python bench/gmv_report.py --orders 100000    # smaller
    .venv/bin/python bench/gmv_report.py --sqlite           # a temporary SQLite file instead

PostgreSQL: a throwaway database is created on the server named by MARKETCAST_BENCH_DATABASE_URL (an admin
URL; default postgresql://postgres@127.0.0.1:5432/postgres) and dropped afterwards (--keep leaves it). The schema
comes from the real migrations. Paid orders (1.5 lines each on average) are spread evenly over 365 days,
2,000 shops and 5 markets, written with set-based SQL (generate_series) on PostgreSQL and executemany batches
on SQLite; gmv_daily is then filled from them, as a backfill would. Refunds are not generated (both sides would
read them from the same kind of place), so the comparison is GMV, orders and units.

Two reports, each as the service serves it (reports.service: the per-market rollup for the market chart, the
per-shop one for shops; best of 9) against a scan of orders + order_lines (best of 3), and the answers are checked
to be equal: per market per day over the last 90 days (also timed from the per-shop rollup, how it was read before
the per-market one existed), and per shop over the 365 days."""

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from throwaway import database

from marketcast.core.db import make_engine, new_session
from marketcast.core.migrate import upgrade
from marketcast.reports import rollups, service

MARKETS = [("US", "USD"), ("GB", "GBP"), ("MX", "MXN"), ("ID", "IDR"), ("JP", "JPY")]
DAYS = 365
START = datetime(2024, 1, 1, tzinfo=UTC)
END_DAY = (START + timedelta(days=DAYS - 1)).date()  # 2024-12-30
BATCH = 50_000


# --- the generated marketplace: every value is a function of the order number n and the line number k -----------

def _pct(sql: str) -> str:
    # psycopg reads % as a placeholder even without parameters; the modulo operator is written %%.
    return sql.replace("%", "%%")


def _pg_fill(engine: Engine, orders: int, shops: int) -> None:
    shop = f"((n::bigint * 7919) % {shops})"
    market_case = " ".join(f"WHEN {i} THEN '{code}'" for i, (code, _) in enumerate(MARKETS))
    currency_case = " ".join(f"WHEN {i} THEN '{cur}'" for i, (_, cur) in enumerate(MARKETS))
    market, currency = (f"(CASE {shop} % {len(MARKETS)} {market_case} END)",
                        f"(CASE {shop} % {len(MARKETS)} {currency_case} END)")
    seconds = f"((n - 1)::bigint * {DAYS * 86400} / {orders})"
    paid_at = f"(timestamptz '{START.isoformat()}' + {seconds} * interval '1 second')"

    def qty(k: str) -> str:
        return f"(1 + (n + {k}) % 3)"

    def price(k: str) -> str:
        return f"(199 + (n * 37 + {k} * 101) % 9800)"

    total = f"({qty('1')} * {price('1')} + CASE WHEN n % 2 = 1 THEN {qty('2')} * {price('2')} ELSE 0 END)"
    step = 250_000
    with engine.begin() as conn:
        run = conn.exec_driver_sql
        for lo in range(1, orders + 1, step):
            hi = min(lo + step - 1, orders)
            run(_pct(f"""
                INSERT INTO orders (id, shop_id, market, buyer_id, status, currency, total_amount, refunded_amount,
                                    cancel_reason, expires_at, paid_at, created_at, updated_at)
                SELECT 'ord_' || lpad(n::text, 10, '0'), 'shp_' || lpad({shop}::text, 6, '0'), {market},
                       'usr_' || (n % 50000), 'paid', {currency}, {total}, 0, NULL,
                       {paid_at} - interval '90 seconds', {paid_at}, {paid_at} - interval '120 seconds', {paid_at}
                FROM generate_series({lo}, {hi}) AS n"""))
            run(_pct(f"""
                INSERT INTO order_lines (id, order_id, sku_id, product_id, title, quantity, unit_price, amount,
                                         currency, refunded_quantity)
                SELECT 'oln_' || lpad(n::text, 10, '0') || '_' || k, 'ord_' || lpad(n::text, 10, '0'),
                       'sku_' || {shop} || '_' || k, 'prd_' || {shop}, 'Bench item', {qty('k')}, {price('k')},
                       {qty('k')} * {price('k')}, {currency}, 0
                FROM generate_series({lo}, {hi}) AS n CROSS JOIN generate_series(1, 2) AS k
                WHERE k <= 1 + n % 2"""))
            print(f"  {hi:,} orders", flush=True)


def _sqlite_fill(engine: Engine, orders: int, shops: int) -> None:
    seconds = DAYS * 86400
    fmt = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime on SQLite

    def rows(lo: int, hi: int) -> tuple[list[tuple], list[tuple]]:
        order_rows, line_rows = [], []
        for n in range(lo, hi + 1):
            shop = (n * 7919) % shops
            market, currency = MARKETS[shop % len(MARKETS)]
            paid = START + timedelta(seconds=(n - 1) * seconds // orders)
            lines = [(k, 1 + (n + k) % 3, 199 + (n * 37 + k * 101) % 9800) for k in range(1, 2 + n % 2)]
            oid = f"ord_{n:010d}"
            order_rows.append((oid, f"shp_{shop:06d}", market, f"usr_{n % 50000}", "paid", currency,
                               sum(q * p for _, q, p in lines), 0, None,
                               (paid - timedelta(seconds=90)).strftime(fmt), paid.strftime(fmt),
                               (paid - timedelta(seconds=120)).strftime(fmt), paid.strftime(fmt)))
            line_rows += [(f"oln_{n:010d}_{k}", oid, f"sku_{shop}_{k}", f"prd_{shop}", "Bench item", q, p, q * p,
                           currency, 0) for k, q, p in lines]
        return order_rows, line_rows

    with engine.begin() as conn:
        for lo in range(1, orders + 1, BATCH):
            hi = min(lo + BATCH - 1, orders)
            order_rows, line_rows = rows(lo, hi)
            conn.exec_driver_sql(
                "INSERT INTO orders (id, shop_id, market, buyer_id, status, currency, total_amount, refunded_amount,"
                " cancel_reason, expires_at, paid_at, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                order_rows)
            conn.exec_driver_sql(
                "INSERT INTO order_lines (id, order_id, sku_id, product_id, title, quantity, unit_price, amount,"
                " currency, refunded_quantity) VALUES (?,?,?,?,?,?,?,?,?,?)", line_rows)
            if hi % 250_000 == 0 or hi == orders:
                print(f"  {hi:,} orders", flush=True)


def _day(engine: Engine, column: str) -> str:
    # The UTC day of a timestamp: PostgreSQL stores timestamptz, SQLite the naive UTC text.
    return f"(({column}) AT TIME ZONE 'UTC')::date" if engine.dialect.name == "postgresql" else f"date({column})"


def _fill_rollups(engine: Engine, shops: int) -> tuple[int, int]:
    """Both rollups from the orders, as a backfill would: the shop one by SQL, the market one from it, each shop's
    slot computed by the application's own function (rollups.market_slot) into a small table first."""
    slots = [{"shop_id": f"shp_{n:06d}", "slot": rollups.market_slot(f"shp_{n:06d}")} for n in range(shops)]
    with engine.begin() as conn:
        conn.exec_driver_sql(f"""
            INSERT INTO gmv_daily (day, market, shop_id, currency, gmv, refunds, orders, units_sold, units_refunded)
            SELECT {_day(engine, 'o.paid_at')}, o.market, o.shop_id, o.currency, sum(l.amount), 0,
                   count(DISTINCT o.id), sum(l.quantity), 0
            FROM orders o JOIN order_lines l ON l.order_id = o.id
            WHERE o.paid_at IS NOT NULL
            GROUP BY 1, 2, 3, 4""")
        conn.exec_driver_sql("CREATE TEMPORARY TABLE bench_slots (shop_id varchar(32) PRIMARY KEY, slot smallint)")
        conn.execute(text("INSERT INTO bench_slots (shop_id, slot) VALUES (:shop_id, :slot)"), slots)
        conn.exec_driver_sql("""
            INSERT INTO gmv_market_daily (day, market, currency, slot, gmv, refunds, orders, units_sold,
                                          units_refunded)
            SELECT g.day, g.market, g.currency, s.slot, sum(g.gmv), sum(g.refunds), sum(g.orders), sum(g.units_sold),
                   sum(g.units_refunded)
            FROM gmv_daily g JOIN bench_slots s ON s.shop_id = g.shop_id
            GROUP BY 1, 2, 3, 4""")
        conn.exec_driver_sql("ANALYZE")
        return (conn.exec_driver_sql("SELECT count(*) FROM gmv_daily").scalar_one(),
                conn.exec_driver_sql("SELECT count(*) FROM gmv_market_daily").scalar_one())


# --- the reports: the service's own reads, and two baselines in SQL ------------------------------------------------

@dataclass(frozen=True)
class Report:
    name: str
    service: Callable[[Session], list[tuple]]  # the report as served, from the rollup rollups.source_for picks
    scan: str  # the same from orders + order_lines
    shop_rollup: str | None  # the same from the per-shop rollup (what a per-market report read before)
    params: dict


def _reports(engine: Engine) -> list[Report]:
    first_90 = END_DAY - timedelta(days=89)
    pg = engine.dialect.name == "postgresql"

    def ts(d: date) -> str | datetime:
        moment = datetime(d.year, d.month, d.day, tzinfo=UTC)
        return moment if pg else moment.strftime("%Y-%m-%d %H:%M:%S.%f")

    def per_market_day(session: Session) -> list[tuple]:
        chart = service.gmv_by_market_and_day(session, from_day=first_90, to_day=END_DAY)
        return sorted((market, r.key, currency, r.gmv, r.orders, r.units)
                      for (market, currency), rows in chart.items() for r in rows)

    def per_shop(session: Session) -> list[tuple]:
        return [(r.key, r.currency, r.gmv, r.orders, r.units)
                for r in service.gmv_report(session, group_by="shop", from_day=START.date(), to_day=END_DAY)]

    day = _day(engine, "o.paid_at")
    scan_from = "FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE o.paid_at >= :t0 AND o.paid_at < :t1"
    return [
        Report("per market per day, 90 days", per_market_day,
               f"SELECT o.market, {day} AS day, o.currency, sum(l.amount), count(DISTINCT o.id), sum(l.quantity) "
               f"{scan_from} GROUP BY o.market, {day}, o.currency ORDER BY 1, 2, 3",
               "SELECT market, day, currency, sum(gmv), sum(orders), sum(units_sold) FROM gmv_daily "
               "WHERE day >= :d0 AND day <= :d1 GROUP BY market, day, currency ORDER BY market, day, currency",
               {"d0": first_90, "d1": END_DAY, "t0": ts(first_90), "t1": ts(END_DAY + timedelta(days=1))}),
        Report("per shop, 365 days", per_shop,
               f"SELECT o.shop_id, o.currency, sum(l.amount), count(DISTINCT o.id), sum(l.quantity) "
               f"{scan_from} GROUP BY o.shop_id, o.currency ORDER BY 1, 2", None,
               {"t0": ts(START.date()), "t1": ts(END_DAY + timedelta(days=1))}),
    ]


def _best_of(run: Callable[[], list], times: int) -> tuple[float, list]:
    best, result = float("inf"), []
    for _ in range(times):
        began = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - began)
    return best, result


def _plain(rows: list) -> list[tuple]:
    return [tuple(str(v) if isinstance(v, date) else int(v) if not isinstance(v, str) else v for v in r) for r in rows]


def _compare(engine: Engine, report: Report) -> bool:
    with new_session(engine, write=False) as session:
        fast, served = _best_of(lambda: report.service(session), 9)
        slow, scanned = _best_of(lambda: session.execute(text(report.scan), report.params).all(), 3)
        line = (f"{report.name}: {len(served):,} rows; served from the rollups {fast * 1000:.2f} ms, "
                f"orders scan {slow * 1000:.1f} ms: {slow / fast:.0f}x faster")
        same = _plain(served) == _plain(scanned)
        if report.shop_rollup:
            before, old = _best_of(lambda: session.execute(text(report.shop_rollup), report.params).all(), 3)
            line += f"; from the per-shop rollup {before * 1000:.1f} ms ({before / fast:.0f}x)"
            same = same and _plain(old) == _plain(scanned)
    print(f"{line}; answers {'equal' if same else 'DIFFER'}")
    return same


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--shops", type=int, default=2_000)
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file instead of PostgreSQL")
    parser.add_argument("--keep", action="store_true", help="do not drop the PostgreSQL database afterwards")
    args = parser.parse_args()
    with database(args.sqlite, args.keep) as url:
        print(f"backend {make_url(url).get_backend_name()}: {args.orders:,} paid orders, {args.shops:,} shops, "
              f"{len(MARKETS)} markets, {DAYS} days")
        began = time.perf_counter()
        upgrade(url)
        engine = make_engine(url)
        try:
            print(f"schema (migrations) in {time.perf_counter() - began:.1f}s; generating orders")
            began = time.perf_counter()
            (_pg_fill if engine.dialect.name == "postgresql" else _sqlite_fill)(engine, args.orders, args.shops)
            with engine.begin() as conn:
                lines = conn.exec_driver_sql("SELECT count(*) FROM order_lines").scalar_one()
            print(f"{args.orders:,} orders and {lines:,} lines in {time.perf_counter() - began:.1f}s")
            began = time.perf_counter()
            shop_rows, market_rows = _fill_rollups(engine, args.shops)
            print(f"{shop_rows:,} gmv_daily and {market_rows:,} gmv_market_daily rows (backfill from orders) in "
                  f"{time.perf_counter() - began:.1f}s\n")
            ok = all([_compare(engine, report) for report in _reports(engine)])
        finally:
            engine.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
