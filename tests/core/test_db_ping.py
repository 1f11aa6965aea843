"""PostgreSQL connections are pinged before use only when they sat idle in the pool (core.db._ping_when_idle): a
busy server pays no SELECT 1 per request, and a connection the database dropped is still replaced, not a 500."""

import pytest
from sqlalchemy import text

from marketcast.core import db
from tests.conftest import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="pooled PostgreSQL connections")


def test_only_an_idle_connection_is_pinged_and_a_dead_one_is_replaced(database_url, monkeypatch):
    engine = db.make_engine(database_url)
    pings: list[int] = []
    real = engine.dialect.do_ping

    def counted(dbapi_connection):
        pings.append(1)
        return real(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    try:
        with engine.connect() as conn:
            first = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with engine.connect() as conn:  # back just now: used as it is
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar() == first
        assert pings == []
        other = db.make_engine(database_url)
        with other.connect() as conn:  # as a restart would
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        other.dispose()
        monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
        with engine.connect() as conn:  # idle: pinged, found dead, replaced
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != first
        assert pings
    finally:
        engine.dispose()
