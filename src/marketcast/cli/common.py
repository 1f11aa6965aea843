"""Shared CLI plumbing: a unit of work per command, printing, and domain errors as clean messages."""

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape
from sqlalchemy.orm import Session

from marketcast.core import clock
from marketcast.core.auth.actor import SYSTEM, Actor
from marketcast.core.db import unit_of_work
from marketcast.core.errors import DomainError

# Piped output is read by people in wide terminals and by tools: do not squeeze tables into 80 columns.
# Options every area's commands share.
AS = typer.Option(None, "--as", help="act as this user (email); default: the local system operator")
JSON = typer.Option(False, "--json", help="print JSON instead of a table")


def when(value) -> str:
    """A time in a table cell."""
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True)


@contextmanager
def uow(*, write: bool = True) -> Iterator[Session]:
    """One transaction for the command; a domain error is printed and exits 1 with nothing written."""
    try:
        with unit_of_work(write=write) as session:
            yield session
    except DomainError as exc:
        # escape: rich would otherwise take "[market_not_found]" for a style tag and print nothing of it.
        message = f"[{exc.code}] {exc.detail}" + (f" (field: {exc.field})" if exc.field else "")
        err_console.print("[red]error[/red] " + escape(message))
        raise typer.Exit(1) from None


def cli_actor(session: Session, as_email: str | None) -> Actor:
    """The operator a command acts as: `--as EMAIL` when given, else the local system operator."""
    if not as_email:
        return SYSTEM
    from marketcast.core.auth import service as auth

    return auth.actor_of(auth.get_user_by_email(session, as_email))


def parse_at(value: str | None) -> datetime:
    if not value:
        return clock.now()
    try:
        return clock.as_utc_input(datetime.fromisoformat(value), "at")
    except (ValueError, DomainError):
        err_console.print(f"[red]error[/red] --at {value!r} is not an ISO date or time")
        raise typer.Exit(2) from None


def dump(value: Any) -> None:
    """Machine output: JSON on stdout."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    elif isinstance(value, list):
        value = [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value]
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


def every_page(fetch: Callable[[str | None], tuple[list, str | None]]) -> list:
    """All rows of a paginated service call: `fetch(page_token)` returns (rows, next_page_token)."""
    rows, token = fetch(None)
    out = list(rows)
    while token is not None:
        rows, token = fetch(token)
        out.extend(rows)
    return out
