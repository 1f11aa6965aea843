"""New rows of a hot path written without the unit of work (docs/adr/0013).

A flush of three new objects (an order, its line, its event) costs more CPU in the ORM's bookkeeping than the
three INSERTs themselves. `insert_new` writes the same rows with one Core INSERT per table, parents first, and
then attaches the objects to the session as if they had been loaded: persistent and clean, every column set, so
reading them costs nothing and a later change is flushed as an UPDATE, as usual.

For plain rows only: the mapped classes it takes have no relationships and no ORM insert events (it refuses a
class with relationships), and a column the object leaves unset gets its scalar default or NULL."""

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Table, insert, inspect
from sqlalchemy.orm import Mapper, Session, make_transient_to_detached

from marketcast.core.db import Base

_UNSET = object()


def insert_new(session: Session, objects: Sequence[Any]) -> None:
    """INSERT `objects` (new, never added to a session) in the session's transaction and attach them to it."""
    rows: dict[Table, list[dict[str, Any]]] = {}
    for obj in objects:
        table, columns = _columns(obj.__class__)
        state = obj.__dict__
        row = {}
        for key, name, default in columns:
            value = state.get(key, _UNSET)
            if value is _UNSET:
                value = default
                setattr(obj, key, value)
            row[name] = value
        rows.setdefault(table, []).append(row)
    for table in _parents_first(frozenset(rows)):
        session.execute(_insert(table), rows[table])
    for obj in objects:
        make_transient_to_detached(obj)
        session.add(obj)


@cache
def _columns(model: Any) -> tuple[Table, tuple[tuple[str, str, Any], ...]]:
    """The model's table and (attribute, column name, default) for each column, worked out once per class."""
    mapper: Mapper = inspect(model)
    if mapper.relationships:
        raise TypeError(f"insert_new takes plain rows; {model.__name__} has relationships")
    columns = []
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        default = column.default
        if default is not None and not default.is_scalar:
            raise TypeError(f"insert_new cannot compute {model.__name__}.{attr.key}'s default; set it")
        columns.append((attr.key, column.name, default.arg if default is not None else None))
    return model.__table__, tuple(columns)


@cache
def _insert(table: Table):
    return insert(table)


@cache
def _parents_first(tables: frozenset[Table]) -> tuple[Table, ...]:
    return tuple(table for table in Base.metadata.sorted_tables if table in tables)
