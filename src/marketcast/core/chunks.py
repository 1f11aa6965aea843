"""Walking a large selection in chunks, by keyset: each chunk is one query after the last key seen, so memory
stays bounded by the chunk size and no OFFSET re-reads what came before. For set-based passes (re-evaluating a
market's creators, simulating a policy) over millions of rows."""

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

DEFAULT_CHUNK = 5000


def keyset_chunks(session: Session, stmt: Select, key: Any, *, size: int = DEFAULT_CHUNK) -> Iterator[list[Any]]:
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
