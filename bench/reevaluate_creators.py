"""Re-judging every creator of a market when creators may sell from 1,000 followers and those under 5,000 start
on a pilot: the set-based chunked pass versus judging and writing each creator on its own.

On PostgreSQL, in a throwaway database (bench/throwaway.py). Prints both timings, the ratio (the per-creator
baseline is timed on a sample and extrapolated) and the process's peak memory.

    .venv/bin/python bench/reevaluate_creators.py [--n 1000000] [--sample 2000]
"""

import argparse
import resource
import time

import creator_seed
from sqlalchemy import func, select
from throwaway import database

from marketcast.core import clock
from marketcast.core.db import make_engine, new_session, unit_of_work
from marketcast.core.migrate import upgrade
from marketcast.creators import judging, profiles, service
from marketcast.creators.models import Creator


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def per_creator(engine, sample: int) -> float:
    """The baseline: each creator loaded, judged with its own queries and, when it moves, written with its record
    and event one by one. Rolled back, so the set-based pass starts from the same state."""
    clock.set_now(creator_seed.T2)
    session = new_session(engine)
    try:
        # Random creators, so the sample has the population's mix of moves.
        ids = list(session.scalars(select(Creator.id).where(Creator.market == "US").order_by(func.random())
                                   .limit(sample)))
        started = time.perf_counter()
        for creator_id in ids:
            creator = session.get(Creator, creator_id)
            profiles._write(session, creator, judging.judge_one(session, creator, at=creator_seed.T2),
                            kind="reevaluation", at=creator_seed.T2, trigger="bench")
            session.flush()
        return (time.perf_counter() - started) / len(ids)
    finally:
        session.rollback()
        session.close()


def set_based(engine) -> tuple[float, dict]:
    clock.set_now(creator_seed.T2)
    with unit_of_work(engine) as session:
        started = time.perf_counter()
        counts = service.reevaluate(session, market="US", trigger="bench")
        elapsed = time.perf_counter() - started
        session.rollback()
    return elapsed, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=2_000)
    args = parser.parse_args()
    with database() as url:
        upgrade(url)
        engine = make_engine(url)
        try:
            started = time.perf_counter()
            creator_seed.policies_of_2024(engine)
            creator_seed.creators(engine, args.n)
            print(f"seeded {args.n:,} creators in {time.perf_counter() - started:.1f} s; peak {peak_mb():.0f} MB")
            sample = min(args.sample, args.n)
            each = per_creator(engine, sample)
            before = peak_mb()
            elapsed, counts = set_based(engine)
            print(f"set-based pass:  {args.n:,} creators in {elapsed:.2f} s ({elapsed / args.n * 1e6:.1f} µs each);"
                  f" {counts}")
            print(f"per-creator:     {each * 1e3:.2f} ms each on a sample of {sample:,}; "
                  f"{each * args.n:.1f} s extrapolated to {args.n:,}")
            print(f"ratio: the set-based pass is {each * args.n / elapsed:.0f}x faster")
            print(f"peak memory of the process: {peak_mb():.0f} MB (before the pass: {before:.0f} MB)")
        finally:
            clock.set_now(None)
            engine.dispose()


if __name__ == "__main__":
    main()
