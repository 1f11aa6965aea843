"""Engine, declarative base, column types and the unit of work.

Services receive a Session and never commit; whoever opened the unit of work (a request,
a CLI command, a worker job) commits or rolls back."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy.exc
from sqlalchemy import (
    JSON,
    CursorResult,
    DateTime,
    Engine,
    Index,
    MetaData,
    Result,
    String,
    Table,
    create_engine,
    event,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from marketcast.core import clock, sqlite_writers
from marketcast.core.settings import get_settings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    if TYPE_CHECKING:
        # Every model here is declared with `__tablename__`, so it is mapped to a Table (SQLAlchemy types it
        # as any FromClause): Core `update(Model.__table__)` and `.delete()` then type-check.
        __table__: ClassVar[Table]


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE, DELETE or INSERT matched. `Session.execute` is typed to answer a plain Result for
    every statement; for these it is a CursorResult, which has the count."""
    assert isinstance(result, CursorResult), type(result)
    return result.rowcount


class UTCDateTime(TypeDecorator):
    """Stores UTC; always hands back timezone-aware UTC datetimes, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        value = clock.as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        return clock.as_utc(value) if value is not None else None


JSONType = JSON().with_variant(JSON(none_as_null=True), "postgresql")
IdColumn = String(32)


def dialect_index(name: str, *columns: str, dialect: str, extension: str | None = None, **kw) -> Index:
    """An index for one database only (a PostgreSQL trigram index, say), with the extension it needs: the
    generated migration creates both inside `if <dialect>:` (core.migrate), create_all skips it elsewhere."""
    index = Index(name, *columns, info={"only_on": dialect, "extension": extension}, **kw)
    return index.ddl_if(dialect=dialect)


def upsert_insert(session: Session, table):
    """`INSERT` that knows `ON CONFLICT` for the session's database: SQLAlchemy spells it the same way for
    PostgreSQL and SQLite, from different modules."""
    return insert_for(session.get_bind().dialect.name, table)


def insert_for(dialect: str, table):
    """upsert_insert for a dialect named, for statements built once per database."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"no ON CONFLICT insert for the {dialect} dialect")  # the house supports these two


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # We issue BEGIN ourselves (see sqlite_writers.begin) so writers can ask for IMMEDIATE.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        settings = get_settings()
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow)
        event.listen(engine, "connect", _sqlite_pragmas)
        # A writer takes the write lock up front (BEGIN IMMEDIATE), so concurrent writers queue instead of failing
        # with "database is locked" when a read lock is upgraded; in one process they queue on a lock of ours.
        event.listen(engine, "begin", sqlite_writers.begin)
        event.listen(engine, "commit", sqlite_writers.end)
        event.listen(engine, "rollback", sqlite_writers.end)
        return engine
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    settings = get_settings()
    engine = create_engine(url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow,
                           pool_timeout=settings.db_pool_timeout_seconds,
                           connect_args={"options": _pg_timeouts(settings)})
    _ping_when_idle(engine)
    return engine


# A pooled connection that came back longer ago than this is pinged before use; one used just now is not.
PING_AFTER_IDLE_SECONDS = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """`pool_pre_ping`, but only for connections idle for PING_AFTER_IDLE_SECONDS: a restarted database is still a
    reconnect instead of 500s (it takes longer than that to come back, so every connection it dropped has been
    idle that long), and a busy server no longer pays a round trip (SELECT 1) on every request. A ping that fails
    makes the pool drop the connection and take another (DisconnectionError), as pre-ping does."""

    @event.listens_for(engine, "connect")
    def _fresh(dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _back(dbapi_connection, record) -> None:
        if record is not None:
            record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection, record, proxy) -> None:
        if time.monotonic() - record.info.get("idle_since", 0.0) < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise sqlalchemy.exc.DisconnectionError(str(exc)) from exc


def _pg_timeouts(settings) -> str:
    """Session settings sent when a connection opens: no request can wait for ever on a lock, a statement, or a
    transaction another request left open, which is how a pile-up froze the server (ADR 0019)."""
    return " ".join([f"-c lock_timeout={settings.db_lock_timeout_ms}",
                     f"-c statement_timeout={settings.db_statement_timeout_ms}",
                     f"-c idle_in_transaction_session_timeout={settings.db_idle_in_transaction_timeout_ms}"])


def is_busy(exc: BaseException) -> bool:
    """Whether a database error means "too busy right now, try again" rather than a bug: no pooled connection in
    time, a lock or statement timeout on PostgreSQL, a locked SQLite file."""
    if isinstance(exc, sqlalchemy.exc.TimeoutError):
        return True
    if not isinstance(exc, sqlalchemy.exc.OperationalError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None)
    # 55P03 lock_not_available, 57014 query_canceled (statement_timeout), 25P03 idle_in_transaction_timeout
    return sqlstate in {"55P03", "57014", "25P03"} or "database is locked" in str(exc.orig)


def is_deadlock(exc: BaseException) -> bool:
    """PostgreSQL chose this transaction as a deadlock's victim (40P01): it was rolled back whole, and running it
    again is what a client's retry would do."""
    return (isinstance(exc, sqlalchemy.exc.OperationalError)
            and getattr(exc.orig, "sqlstate", None) == "40P01")


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


@lru_cache
def _factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def new_session(engine: Engine | None = None, *, write: bool = True, single_use: bool = False) -> Session:
    """A session; `single_use`: once closed it refuses any further work instead of opening a new transaction
    (a WebSocket's unit of work, which must not live on while the socket waits)."""
    factory = _factory(engine or get_engine())
    session = factory(close_resets_only=False) if single_use else factory()
    if write:
        begin_write(session)
    return session


def begin_write(session: Session) -> None:
    """On SQLite, start the session's next transaction with the write lock (BEGIN IMMEDIATE): a writer queues
    for it up front instead of failing when a read lock is upgraded. Nothing to do on PostgreSQL."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options={"sqlite_immediate": True})


@contextmanager
def unit_of_work(engine: Engine | None = None, *, write: bool = True) -> Iterator[Session]:
    """Commit when the block ends normally, roll back on any exception."""
    session = new_session(engine, write=write)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def reset_engine() -> None:
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()
    _factory.cache_clear()
