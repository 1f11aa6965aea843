"""On SQLite, the writers of one process queue on a lock of that process before they ask SQLite for the write lock.

SQLite's busy handler polls: a writer that finds the database locked sleeps (1, 2, 5 … then 100 ms at a time) and
tries again. With dozens of writers waiting, the lock is free most of the time while they all sleep, the rate
falls to a few transactions a second and some wait past the busy timeout ("database is locked", a 500). A lock in
the process wakes the next writer when the last one ends, in arrival order; between processes SQLite's own lock
still decides, with one waiting writer per process instead of dozens. See docs/adr/0003 and 0013."""

import threading

from sqlalchemy.engine import Connection

_HOLDS = "marketcast_sqlite_writer"  # in Connection.info: the lock this connection's transaction holds
_locks: dict[str | None, threading.Lock] = {}
_locks_guard = threading.Lock()
# Past this long the lock is taken for lost (a release missed) and the writer goes on to SQLite's own queue.
_WAIT_SECONDS = 30


def begin(conn: Connection) -> None:
    """The engine's `begin` event: BEGIN IMMEDIATE for a unit of work opened for writing, plain BEGIN otherwise."""
    if not conn.get_execution_options().get("sqlite_immediate"):
        conn.exec_driver_sql("BEGIN")
        return
    if not conn.info.get(_HOLDS):
        lock = _lock_of(conn.engine.url.database)
        conn.info[_HOLDS] = lock if lock.acquire(timeout=_WAIT_SECONDS) else None
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        end(conn)
        raise


def end(conn: Connection) -> None:
    """The engine's `commit` and `rollback` events (they come just before the COMMIT or ROLLBACK is sent, so the
    next writer may still find SQLite's lock taken for that long and wait a millisecond on the busy handler)."""
    lock = conn.info.pop(_HOLDS, None)
    if lock is not None:
        lock.release()


def _lock_of(database: str | None) -> threading.Lock:
    """One lock per database file."""
    with _locks_guard:
        return _locks.setdefault(database, threading.Lock())
