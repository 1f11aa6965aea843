"""Walking a large selection in chunks, by keyset: each chunk is one query after the last key seen, so memory
stays bounded by the chunk size and no OFFSET re-reads what came before. For set-based passes (re-evaluating a
market's creators or applications, simulating a policy) over millions of rows; `commit_each` also keeps each
chunk in a transaction of its own."""

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Row, Select
from sqlalchemy.orm import Session

from marketcast.core.db import begin_write

DEFAULT_CHUNK = 5000
T = TypeVar("T")


def keyset_chunks(session: Session, stmt: Select, key: Any, *,
                  size: int = DEFAULT_CHUNK) -> Iterator[Sequence[Row[Any]]]:
    """The rows of `stmt` in chunks of at most `size`, in ascending order of the unique column `key` (which
    `stmt` must select). The caller may write between chunks: the next chunk starts after the last key."""
    last = None
    while True:
        page = stmt.order_by(key).limit(size)
        if last is not None:
            page = page.where(key > last)
        rows = session.execute(page).all()
        if not rows:
            return
        yield rows
        last = getattr(rows[-1], key.key)
        if len(rows) < size:
            return


def commit_each(session: Session, chunks: Iterable[T]) -> list[T]:
    """Run a chunked pass (a service's generator that yields after writing each chunk) to its end, committing
    after every chunk: no transaction, nor its row locks, lasts longer than one chunk. For whoever owns the
    transaction (a request, a CLI command, a job), never a service. If a chunk fails, the ones before it stay
    committed: passes run this way must be safe to run again (the same verdict writes nothing)."""
    done = []
    for chunk in chunks:
        session.commit()
        begin_write(session)
        done.append(chunk)
    return done
