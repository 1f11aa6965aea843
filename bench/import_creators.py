"""Importing follower counts from CSV (`marketcast creators import`'s path: streamed, a transaction per chunk)
on SQLite and PostgreSQL: rows per second and the process's peak memory, against writing each row with its
own `PUT /creators/{id}/followers` operation (a sample, extrapolated) in the same run.

Each backend in a throwaway database (bench/throwaway.py). The file has one row per creator, log-normal counts.

    .venv/bin/python bench/import_creators.py [--n 1000000] [--sample 1000] [--backend sqlite|postgresql|both]
"""

import argparse
import math
import random
import resource
import tempfile
import time
from pathlib import Path

import creator_seed
from sqlalchemy import select
from throwaway import database

from marketcast.core import clock
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import make_engine, reset_engine, unit_of_work
from marketcast.core.migrate import upgrade
from marketcast.creators import imports, service
from marketcast.creators.models import Creator


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_csv(path: Path, n: int) -> None:
    rng = random.Random(7)
    with open(path, "w") as out:
        out.write("handle,market,followers,as_of\n")
        for i in range(1, n + 1):
            out.write(f"bench.{i},US,{int(rng.lognormvariate(math.log(2500), 1.3))},2024-06-10\n")


def per_row(engine, sample: int) -> float:
    """The baseline: each count set with the one-creator operation (a transaction each)."""
    with unit_of_work(engine, write=False) as session:
        ids = list(session.scalars(select(Creator.id).order_by(Creator.id.desc()).limit(sample)))
    started = time.perf_counter()
    for creator_id in ids:
        with unit_of_work(engine) as session:
            service.set_followers(session, creator_id=creator_id, count=4321, as_of=clock.now(), actor=SYSTEM)
    return (time.perf_counter() - started) / len(ids)


def streamed(engine, path: Path) -> tuple[float, int, int]:
    written = rejected = 0
    started = time.perf_counter()
    with open(path, newline="") as stream:
        for batch in imports.chunks(imports.read_rows(stream)):
            with unit_of_work(engine) as session:
                done, bad = imports.import_chunk(session, batch, actor=SYSTEM)
            written, rejected = written + done, rejected + len(bad)
    return time.perf_counter() - started, written, rejected


def run(backend: str, n: int, sample: int, path: Path) -> None:
    with database(use_sqlite=backend == "sqlite") as url:
        upgrade(url)
        reset_engine()
        engine = make_engine(url)
        try:
            creator_seed.policies_of_2024(engine)
            creator_seed.creators(engine, n, with_followers=False)
            clock.set_now(creator_seed.T2.replace(day=2))
            before = peak_mb()
            elapsed, written, rejected = streamed(engine, path)
            after = peak_mb()
            each = per_row(engine, min(sample, n))
            print(f"{backend}: {written:,} rows imported in {elapsed:.1f} s = {written / elapsed:,.0f} rows/s "
                  f"({rejected} rejected); peak memory {after:.0f} MB (before the import {before:.0f} MB)")
            print(f"{backend}: one row at a time {each * 1e3:.2f} ms each ({1 / each:,.0f} rows/s) on a sample of "
                  f"{min(sample, n):,}: the streamed import is {each * written / elapsed:.0f}x faster")
        finally:
            clock.set_now(None)
            engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=1_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="marketcast-import-") as tmp:
        path = Path(tmp) / "followers.csv"
        write_csv(path, args.n)
        print(f"{args.n:,} rows, {path.stat().st_size / 1e6:.1f} MB of CSV")
        for backend in (("sqlite", "postgresql") if args.backend == "both" else (args.backend,)):
            run(backend, args.n, args.sample, path)


if __name__ == "__main__":
    main()
