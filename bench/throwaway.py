"""The database a benchmark runs in: a temporary SQLite file, or a PostgreSQL database created for the run on
the server named by MARKETCAST_BENCH_DATABASE_URL (an admin URL; default the local server) and dropped after."""

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextmanager
def database(use_sqlite: bool = False, keep: bool = False) -> Iterator[str]:
    if use_sqlite:
        with tempfile.TemporaryDirectory(prefix="marketcast-bench-") as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    admin_url = os.environ.get("MARKETCAST_BENCH_DATABASE_URL", DEFAULT_ADMIN)
    admin = create_engine(make_url(admin_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    name = f"marketcast_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(drivername="postgresql+psycopg", database=name).render_as_string(False)
    finally:
        if keep:
            print(f"kept database {name}")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
