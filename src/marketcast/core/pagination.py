"""Cursor pagination: `page_size` + `page_token` in, `items` + `next_page_token` out.

The token is the sort key of the last row served, so pages stay stable while rows are added."""

import base64
import json
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import Session

from marketcast.core import text
from marketcast.core.errors import Invalid

T = TypeVar("T")
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50


# The query parameters of every list endpoint.
PageSize = Annotated[int | None, Query(ge=1, le=MAX_PAGE_SIZE, description=f"1..{MAX_PAGE_SIZE}, default 50")]
PageToken = Annotated[str | None, Query(max_length=512, description="next_page_token of the previous page")]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_page_token: str | None = None


def encode_token(values: list[Any]) -> str:
    raw = json.dumps(values, default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, width: int) -> list[Any]:
    try:
        padded = token + "=" * (-len(token) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        raise Invalid("page_token is not a token this API issued", code="invalid_page_token",
                      field="page_token") from None
    if not isinstance(values, list) or len(values) != width or any(
            isinstance(v, str) and text.problem_in(v) for v in values):
        raise Invalid("page_token is not a token this API issued", code="invalid_page_token", field="page_token")
    return values


def _typed(col, value: Any) -> Any:
    """A token value as the column's type: a forged token must be a 422, not a database type error (500)."""
    try:
        kind = col.type.python_type
    except NotImplementedError:
        return value
    if kind is datetime and isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    elif isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):  # True is an int in Python
        return value
    raise Invalid("page_token is not a token this API issued", code="invalid_page_token", field="page_token")


class Paged(tuple[list[T], str | None], Generic[T]):
    """`(rows, next_page_token)` as every list operation returns it, plus `total()`: how many rows match the
    filters on all pages. Counted only when asked (one more statement), so the API's lists do not pay for it
    and the console's lists, which show "51–100 of 211", do."""

    _session: Session | None
    _filtered: Select | None

    def __new__(cls, rows: list[T], next_token: str | None, session: Session | None = None,
                filtered: Select | None = None) -> "Paged[T]":
        paged = super().__new__(cls, (rows, next_token))
        paged._session, paged._filtered = session, filtered
        return paged

    @property
    def rows(self) -> list[T]:
        return self[0]

    @property
    def next_token(self) -> str | None:
        return self[1]

    def total(self) -> int:
        if self._filtered is None:
            return len(self[0])
        assert self._session is not None, "a filtered Paged is made with its session"
        return self._session.scalar(select(func.count()).select_from(self._filtered.order_by(None).subquery())) or 0


def paginate(session: Session, stmt: Select, *, order_by: list, page_size: int | None, page_token: str | None,
             key=None) -> Paged[Any]:
    """Rows of `stmt` after `page_token`, ordered ascending by the unique key `order_by`.

    `key(row)` gives the values of `order_by` for a row (default: the attributes of the same names)."""
    size = page_size or DEFAULT_PAGE_SIZE
    if size < 1 or size > MAX_PAGE_SIZE:
        raise Invalid(f"page_size must be between 1 and {MAX_PAGE_SIZE}", field="page_size")
    filtered = stmt
    if page_token:
        values = decode_token(page_token, len(order_by))
        after = [_typed(col, value) for col, value in zip(order_by, values, strict=True)]
        cols = order_by[0] if len(order_by) == 1 else tuple_(*order_by)
        stmt = stmt.where(cols > (after[0] if len(order_by) == 1 else tuple(after)))
    rows = list(session.scalars(stmt.order_by(*order_by).limit(size + 1)))
    next_token = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        values = key(last) if key else [getattr(last, col.key) for col in order_by]
        next_token = encode_token(values)
    return Paged(rows, next_token, session, filtered)
