"""The one lock this area takes beyond row locks: defining or changing a market's programs is serialised per
market, so two overlapping programs created at the same moment cannot both pass the overlap check. PostgreSQL: a
transaction-scoped advisory lock; SQLite: writers already queue one at a time (core/sqlite_writers.py)."""

import zlib

from sqlalchemy import text
from sqlalchemy.orm import Session


def market_programs(session: Session, market: str) -> None:
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(f"programs:{market}".encode())
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
