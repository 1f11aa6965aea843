"""Writing thousands of rows at once, for set-based passes (re-judging a market's applications).

On PostgreSQL an INSERT of many rows is a COPY, and an UPDATE of many rows by primary key is one statement
(`UPDATE … FROM json_to_recordset(…)`), where SQLAlchemy's executemany sends one statement per row (pipelined,
but each bound, planned and executed on its own: most of a pass's time). Elsewhere (SQLite) it is that
executemany.

What is stored is the same either way: a JSON value is encoded as SQLAlchemy encodes it (`json.dumps`), or is
given already encoded as `JsonText` (a caller that encodes the same part of many rows once); None in a JSON
column is NULL, as `none_as_null` makes it; other values go through their column type as a bound parameter would.

COPY runs on the session's own connection, in its transaction, below SQLAlchemy: statement events
(`before_cursor_execute`) do not see it."""

import json
from collections.abc import Callable, Iterable, Sequence
from json.encoder import encode_basestring_ascii
from typing import Any, cast

import psycopg
from sqlalchemy import JSON, Column, Table, Text, TypeDecorator, bindparam, column, insert, text, update
from sqlalchemy import table as table_clause
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session


class JsonText(str):
    """The JSON text of a value, exactly as `json.dumps(value)` writes it."""


def dumps(value: Any) -> str:
    """`json.dumps(value)`; text, null and lists of text without the encoder's set-up (most members of a row)."""
    if isinstance(value, str):
        return encode_basestring_ascii(value)
    if value is None:
        return "null"
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return "[" + ", ".join([encode_basestring_ascii(item) for item in value]) + "]"
    return json.dumps(value)


def json_object(value: dict[str, Any], **encoded: JsonText) -> JsonText:
    """`json.dumps(value)`, with the members named in `encoded` taken as already encoded (the same list of rule
    results written in two columns is encoded once)."""
    members = [f"{encode_basestring_ascii(name)}: {encoded[name] if name in encoded else dumps(item)}"
               for name, item in value.items()]
    return JsonText("{" + ", ".join(members) + "}")


class JsonMemo:
    """`json.dumps` of lists of dicts where many lists hold the same dict objects (rule results a set-based pass
    worked out once for many rows): each dict is encoded once. By identity, so the dicts must not change while
    the memo lives; it holds them, so an id is never reused for another."""

    def __init__(self) -> None:
        self._texts: dict[int, tuple[Any, str]] = {}

    def array(self, items: list[Any]) -> JsonText:
        texts = []
        for item in items:
            known = self._texts.get(id(item))
            if known is None:
                known = self._texts[id(item)] = (item, json.dumps(item))
            texts.append(known[1])
        return JsonText("[" + ", ".join(texts) + "]")


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys, in the same order) into `table`, in the session's transaction."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql":
        session.execute(insert(table), [_decoded(table, row) for row in rows])
        return
    names = list(rows[0])
    prepare = [_copy_value(table.c[name], dialect) for name in names]
    quote = dialect.identifier_preparer
    sql = f"COPY {quote.format_table(table)} ({', '.join(quote.quote(name) for name in names)}) FROM STDIN"
    driver = cast(psycopg.Connection, connection.connection.driver_connection)  # the session's, in its transaction
    with driver.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row([encode(row[name]) for encode, name in zip(prepare, names, strict=True)])


def update_by_id(session: Session, model: Any, rows: Sequence[dict[str, Any]], *,
                 same: dict[str, Any] | None = None) -> None:
    """Update the rows of `model` whose primary key each dict of `rows` holds (with the same keys, in the same
    order) to the other values of that dict, and every one of them to the values of `same`. On PostgreSQL the
    per-row values must be text, None or JSON: they travel as one JSON document (`json_to_recordset`: a text
    parameter, no per-element escaping as arrays would need, and a JSON member keeps its text as given)."""
    if not rows:
        return
    same = same or {}
    connection = session.connection()
    dialect = connection.dialect
    table: Table = model.__table__
    if dialect.name != "postgresql":
        session.execute(update(model), [_decoded(table, row) | same for row in rows])
        return
    (key,) = table.primary_key.columns
    names = list(rows[0])
    quote = dialect.identifier_preparer
    target = quote.format_table(table)
    sets = [f"{quote.quote(name)} = v.{quote.quote(name)}" for name in names if name != key.name]
    sets += [f"{quote.quote(name)} = :same_{name}" for name in same]
    record = ", ".join(f"{quote.quote(name)} {'JSON' if _is_json(table.c[name]) else 'TEXT'}" for name in names)
    sql = (f"UPDATE {target} SET {', '.join(sets)} FROM json_to_recordset(CAST(:rows AS JSON)) AS v({record}) "
           f"WHERE {target}.{quote.quote(key.name)} = v.{quote.quote(key.name)}")
    params = [bindparam(f"same_{name}", value, type_=table.c[name].type) for name, value in same.items()]
    session.execute(text(sql).bindparams(*params), {"rows": _document(table, names, rows)})


def _document(table: Table, names: list[str], rows: Sequence[dict[str, Any]]) -> str:
    """The rows as a JSON array of objects, each member as `_as_json` gives it."""
    keys = [encode_basestring_ascii(name) + ": " for name in names]
    encoders = [_as_json(table.c[name]) for name in names]
    members = list(zip(keys, encoders, names, strict=True))
    return "[" + ", ".join(["{" + ", ".join([k + encode(row[name]) for k, encode, name in members]) + "}"
                            for row in rows]) + "]"


def _as_json(column: Column) -> Callable[[Any], str]:
    if _is_json(column):
        return lambda value: value if isinstance(value, JsonText) else dumps(value)

    def text_or_null(value: Any) -> str:
        if value is None:
            return "null"
        if isinstance(value, str):
            return encode_basestring_ascii(value)
        raise TypeError(f"{column.name}: update_by_id takes text, None or JSON per row on PostgreSQL, not {value!r}")

    return text_or_null


def _is_json(column: Column) -> bool:
    return isinstance(column.type, JSON)


def _decoded(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """The row as SQLAlchemy takes it: JSON given as text back to the value, so it is encoded once, as usual."""
    return {name: json.loads(value) if isinstance(value, JsonText) else value for name, value in row.items()}


def _copy_value(column: Column, dialect: Dialect):
    """How a value of `column` goes into COPY: JSON as its text, a decorated type as it binds, others as they are."""
    if _is_json(column):
        return lambda value: value if value is None or isinstance(value, JsonText) else dumps(value)
    if isinstance(column.type, TypeDecorator):
        decorator = column.type
        return lambda value: decorator.process_bind_param(value, dialect)
    return lambda value: value


def copy_rows(session: Session, target: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert rows given as tuples in the order of `columns`, JSON columns already encoded as text. PostgreSQL:
    one COPY fed as `rows` is iterated, so a generator's work (judging the next creator) overlaps the database
    storing the rows before (the values go to psycopg as they are: aware datetimes, text, None). Elsewhere: a
    Core executemany with the JSON columns typed as text, so the text is stored as it is."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        names = ", ".join(f'"{name}"' for name in columns)
        driver = cast(psycopg.Connection, connection.connection.driver_connection)
        with driver.cursor() as cursor, cursor.copy(f'COPY "{target.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
        return
    as_text = table_clause(target.name, *(column(name, Text() if _is_json(target.c[name]) else target.c[name].type)
                                          for name in columns))
    values = [dict(zip(columns, row, strict=True)) for row in rows]
    if values:
        connection.execute(insert(as_text), values)
