"""Alembic, driven from code so `marketcast db upgrade` works from any directory."""

from pathlib import Path

from alembic import command
from alembic.autogenerate import render, renderers
from alembic.autogenerate.rewriter import Rewriter
from alembic.config import Config
from alembic.operations import ops
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from marketcast.core.settings import get_settings

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url or get_settings().database_url)
    return cfg


def upgrade(url: str | None = None) -> None:
    command.upgrade(alembic_config(url), "head")


def pending(engine: Engine) -> tuple[str | None, str]:
    """(revision the database is at, head revision of the code)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current, head or ""


# --- indexes that exist on one database only ---------------------------------------------------------------------
# The one migration is generated from the models on SQLite, and then serves both databases. An index declared with
# core.db.dialect_index (a trigram GIN index, say) is rendered inside `if <dialect>:` together with the extension
# it needs, so SQLite never sees it and PostgreSQL gets the extension first.


class OnlyOn(ops.MigrateOperation):
    """An index operation that runs on one dialect only, after the SQL its extension needs."""

    def __init__(self, inner: ops.MigrateOperation, *, dialect: str, extension: str | None):
        self.inner, self.dialect, self.extension = inner, dialect, extension

    def reverse(self) -> "OnlyOn":
        return OnlyOn(self.inner.reverse(), dialect=self.dialect, extension=None)


@renderers.dispatch_for(OnlyOn)
def _render_only_on(context, op: OnlyOn) -> list[str]:
    lines = [f"if op.get_bind().dialect.name == {op.dialect!r}:"]
    if op.extension:
        lines.append(f"op.execute('CREATE EXTENSION IF NOT EXISTS {op.extension}')")
    return [*lines, *render.render_op(context, op.inner), ""]


_dialect_only = Rewriter()


def _index_info(context, name: str) -> dict:
    for table in context.opts["target_metadata"].tables.values():
        for index in table.indexes:
            if index.name == name:
                return index.info
    return {}


@_dialect_only.rewrites(ops.CreateIndexOp)
@_dialect_only.rewrites(ops.DropIndexOp)
def _wrap_dialect_index(context, revision, op):
    info = _index_info(context, op.index_name)
    if "only_on" not in info:
        return op
    extension = info.get("extension") if isinstance(op, ops.CreateIndexOp) else None
    return OnlyOn(op, dialect=info["only_on"], extension=extension)


def process_revision_directives(context, revision, directives) -> None:
    """Alembic hook (migrations/env.py): what autogenerate writes, adjusted as above."""
    _dialect_only(context, revision, directives)
