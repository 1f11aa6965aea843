"""Re-judging every cross-border application of a market after the $2M rule is relaxed: the set-based pass in
chunks, each committed on its own (as the API, the CLI and the worker run it), versus judging each application
with its own queries (a sample, extrapolated), and versus the same pass in one chunk and one transaction (how it
ran before chunks). Each pass runs in a fresh process, so the peak memory printed is the pass's own (ru_maxrss).

On PostgreSQL, in a throwaway database (bench/throwaway.py: created on the server named by
MARKETCAST_BENCH_DATABASE_URL, default the local one, and dropped afterwards).

    .venv/bin/python bench/reevaluate_applications.py [--n 100000] [--sample 2000] [--chunk 2000]
"""

import argparse
import multiprocessing
import resource
import time
from datetime import UTC, date, datetime

from sqlalchemy import insert, select, text
from throwaway import database

from marketcast.core import clock, outbox
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.auth.models import User
from marketcast.core.chunks import commit_each
from marketcast.core.db import make_engine, new_session, unit_of_work
from marketcast.core.ids import new_id
from marketcast.core.migrate import upgrade
from marketcast.markets import service as markets
from marketcast.policies import service as policies
from marketcast.sellers import judging, reevaluation, service
from marketcast.sellers.events import ApplicationNowEligible
from marketcast.sellers.models import Application, ExternalRecord, Seller

KEY = "seller.cross_border.min_external_gmv"
T0, T1, T2 = (datetime(2023, 9, 1, tzinfo=UTC), datetime(2023, 9, 12, tzinfo=UTC), datetime(2024, 6, 1, tzinfo=UTC))


def seed(engine, n: int) -> None:
    """n cross-border applications judged under the $2M rule; GMVs spread on both sides of $2M."""
    clock.set_now(T0)
    with unit_of_work(engine) as session:
        markets.create(session, code="US", name="United States", currency="USD", timezone="America/New_York",
                       status="live", actor=SYSTEM)
        policies.schedule(session, key=KEY, market="US", value={"amount": 200_000_000, "currency": "USD"},
                          effective_from=T1, reason="$2M on Amazon", actor=SYSTEM)
        policies.schedule(session, key=KEY, market="US", value=None, effective_from=T2, reason="relaxed",
                          actor=SYSTEM)
    now = datetime(2024, 1, 10, tzinfo=UTC)
    step = 10_000
    for start in range(0, n, step):
        users, sellers, apps, records = [], [], [], []
        for i in range(start, min(n, start + step)):
            # One seller each: a seller has at most one open application per market (a partial unique index).
            user_id, seller_id, app_id = new_id("usr"), new_id("sel"), new_id("app")
            users.append({"id": user_id, "email": f"bench-{i}@example.com", "role": "seller", "created_at": now})
            sellers.append({"id": seller_id, "owner_user_id": user_id, "legal_name": f"Bench {i}",
                            "entity_type": "company", "country": "CN", "tax_id": "T", "beneficial_owners": [],
                            "contact_email": f"bench-{i}@example.com", "contact_phone": f"+86{i:09d}",
                            "created_at": now})
            dollars = 500_000 + (i * 7919) % 3_000_000  # 0.5M .. 3.5M
            eligible = dollars >= 2_000_000
            apps.append({"id": app_id, "seller_id": seller_id, "market": "US", "shop_type": "cross_border",
                         "mode": "pop", "shop_name": f"shop {i}", "representative_name": "R",
                         "representative_birth_date": date(1980, 1, 1), "contact_email": f"c{i}@example.com",
                         "contact_phone": f"+1555{i:07d}", "business_address": {"country": "CN"},
                         "business_country": "CN", "status": "open",
                         "outcome": "eligible" if eligible else "ineligible",
                         "failed_rules": "" if eligible else "cross_border_external_gmv", "decision": {},
                         "evaluated_at": now, "created_at": now, "updated_at": now})
            records.append({"id": new_id("ext"), "application_id": app_id, "platform": "amazon",
                            "gmv_amount": dollars * 100, "gmv_currency": "USD", "rating_hundredths": 450,
                            "months_trading": 24})
            if i % 3 == 0:
                records.append({"id": new_id("ext"), "application_id": app_id, "platform": "ebay",
                                "gmv_amount": dollars * 50, "gmv_currency": "USD", "rating_hundredths": None,
                                "months_trading": 12})
        with unit_of_work(engine) as session:
            session.execute(insert(User), users)
            session.execute(insert(Seller), sellers)
            session.execute(insert(Application), apps)
            session.execute(insert(ExternalRecord), records)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def per_application(engine, sample: int) -> float:
    """The baseline: each application loaded and judged with its own queries, its changes written one by one.
    Rolled back, so the set-based pass starts from the same state."""
    clock.set_now(T2)
    session = new_session(engine)
    try:
        ids = list(session.scalars(select(Application.id).where(Application.market == "US",
                                                                 Application.status == "open")
                                   .order_by(Application.id).limit(sample)))
        started = time.perf_counter()
        for app_id in ids:
            app = session.get(Application, app_id)
            decision = judging.judge_one(session, app, at=T2)
            if decision.outcome != app.outcome or ",".join(decision.failed) != app.failed_rules:
                before = app.outcome
                service._apply(app, decision, T2)
                service._record_decision(session, app, decision, kind="reevaluation", at=T2, trigger="bench")
                if decision.outcome != before:  # the event the pass writes, with the same payload
                    outbox.emit(session, ApplicationNowEligible(
                        application_id=app.id, seller_id=app.seller_id, market="US", shop_type=app.shop_type,
                        status=app.status, from_outcome=before, to=decision.outcome, failed_rules=decision.failed,
                        policy_versions=decision.policy_versions, trigger="bench"), market="US")
            session.flush()
        return (time.perf_counter() - started) / len(ids)
    finally:
        session.rollback()
        session.close()


def _pass_in_child(url: str, size: int, commit: bool, out) -> None:
    """In a fresh interpreter (spawned), so its peak memory is the pass's own: the pass, timed, then its peak."""
    engine = make_engine(url)
    clock.set_now(T2)
    session = new_session(engine)
    try:
        started = time.perf_counter()
        chunks = service.reevaluate_chunks(session, market="US", trigger="bench", size=size)
        counts = service.total(commit_each(session, chunks) if commit else chunks)
        elapsed = time.perf_counter() - started
    finally:
        session.rollback()
        session.close()
        engine.dispose()
    out.put((elapsed, counts, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def set_based(url: str, size: int, commit: bool) -> tuple[float, dict, float]:
    """(seconds, counts, peak MB) of one pass over the market in chunks of `size`; `commit`: a transaction per
    chunk (core.chunks.commit_each), else one transaction, rolled back (the database stays as seeded)."""
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    child = context.Process(target=_pass_in_child, args=(url, size, commit, out))
    child.start()
    result = out.get()
    child.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=2_000)
    parser.add_argument("--chunk", type=int, default=reevaluation.CHUNK)
    args = parser.parse_args()
    with database() as url:
        upgrade(url)
        engine = make_engine(url)
        try:
            started = time.perf_counter()
            seed(engine, args.n)
            print(f"seeded {args.n:,} cross-border applications in {time.perf_counter() - started:.1f} s")
            sample = min(args.sample, args.n)
            per_app = per_application(engine, sample)
            print(f"per-application: {per_app * 1e3:.2f} ms each on a sample of {sample:,}; "
                  f"{per_app * args.n:.1f} s extrapolated to {args.n:,}")
            whole, whole_counts, whole_mb = set_based(url, args.n, commit=False)
            print(f"one chunk, one transaction (before): {whole:.2f} s ({whole / args.n * 1e6:.1f} µs each), "
                  f"peak {whole_mb:.0f} MB; {whole_counts}")
            elapsed, counts, peak_mb = set_based(url, args.chunk, commit=True)
            print(f"chunks of {args.chunk:,}, a transaction each: {elapsed:.2f} s "
                  f"({elapsed / args.n * 1e6:.1f} µs each), peak {peak_mb:.0f} MB; {counts}"
                  f"{'' if counts == whole_counts else ' DIFFERENT COUNTS'}")
            print(f"ratio: the chunked pass is {per_app * args.n / elapsed:.0f}x faster than one application at a "
                  f"time ({per_app * args.n / whole:.0f}x in one chunk), peak memory {peak_mb:.0f} MB "
                  f"(one chunk: {whole_mb:.0f} MB)")
        finally:
            clock.set_now(None)
            engine.dispose()


if __name__ == "__main__":
    main()
