"""`marketcast creators …`: the operator's work on creators, the same operations as the API."""

import csv
import io
import os
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TransferSpeedColumn
from rich.table import Table

from marketcast.cli.common import AS, JSON, cli_actor, console, dump, err_console, parse_at, uow
from marketcast.core.errors import DomainError
from marketcast.creators import imports, service
from marketcast.creators.schemas import CreatorOut, EligibilityOut

app = typer.Typer(no_args_is_help=True)
MARKET = typer.Option(None, "--market", help="two-letter market code")


@app.command("list")
def list_cmd(market: str | None = MARKET, status: str | None = typer.Option(None, "--status"),
             q: str | None = typer.Option(None, "--q", help="part of the handle"),
             limit: int = typer.Option(50, "--limit", min=1, max=200), as_json: bool = JSON,
             as_email: str | None = AS) -> None:
    """Creators with their status, and how many of each status match (first --limit rows)."""
    with uow(write=False) as session:
        rows, _, counts = service.list_creators(session, actor=cli_actor(session, as_email), market=market,
                                                status=status, q=q, page_size=limit)
        items = [CreatorOut.of(c) for c in rows]
    if as_json:
        dump({"items": [i.model_dump(mode="json") for i in items], "counts": counts})
        return
    table = Table("id", "market", "handle", "followers", "status", "since")
    for c in items:
        table.add_row(c.id, c.market, c.handle, f"{c.followers:,}", c.affiliate_status,
                      c.status_changed_at.strftime("%Y-%m-%d"))
    console.print(table)
    console.print("  ".join(f"{k}: {v:,}" for k, v in counts.items()), highlight=False)


@app.command("show")
def show_cmd(creator_id: str, at: str | None = typer.Option(None, "--at", help="judge as of this ISO time"),
             as_json: bool = JSON, as_email: str | None = AS) -> None:
    """One creator, its status at a time and why, rule by rule."""
    with uow(write=False) as session:
        creator, judgement, when = service.eligibility(session, creator_id=creator_id,
                                                       actor=cli_actor(session, as_email),
                                                       at=parse_at(at) if at else None)
        out = EligibilityOut(creator_id=creator.id, at=when, explanation=service.explain(judgement.as_json()),
                             **judgement.as_json())
        head = CreatorOut.of(creator)
    if as_json:
        dump({"creator": head.model_dump(mode="json"), "eligibility": out.model_dump(mode="json")})
        return
    console.print(f"[bold]{head.handle}[/bold] {head.id} {head.market}: {head.followers:,} followers, "
                  f"{head.affiliate_status}", highlight=False, soft_wrap=True)
    for line in out.explanation:
        console.print("  " + line, highlight=False, markup=False, soft_wrap=True)


@app.command("reevaluate")
def reevaluate_cmd(market: str = typer.Option(..., "--market"), as_json: bool = JSON,
                   as_email: str | None = AS) -> None:
    """Judge every creator of a market under the policies in force now, in one set-based pass."""
    with uow() as session:
        actor = cli_actor(session, as_email)
        counts = service.reevaluate(session, market=market, trigger=f"cli by {actor.email}", actor=actor)
    if as_json:
        dump(counts)
        return
    moves = ", ".join(f"{k}: {v:,}" for k, v in sorted(counts["moves"].items())) or "none"
    console.print(f"{counts['market']}: {counts['evaluated']:,} judged, {counts['moved']:,} moved ({moves})",
                  highlight=False, soft_wrap=True)


@app.command("suspend")
def suspend_cmd(creator_id: str, reason: str = typer.Option(..., "--reason"), as_email: str | None = AS) -> None:
    with uow() as session:
        found = service.suspend(session, creator_id=creator_id, reason=reason, actor=cli_actor(session, as_email))
        console.print(f"suspended {found.id} ({found.handle})", highlight=False)


@app.command("unsuspend")
def unsuspend_cmd(creator_id: str, reason: str = typer.Option(..., "--reason"), as_email: str | None = AS) -> None:
    """Lift a suspension; the status is derived again from the policies in force."""
    with uow() as session:
        found = service.unsuspend(session, creator_id=creator_id, reason=reason, actor=cli_actor(session, as_email))
        console.print(f"lifted the suspension of {found.id} ({found.handle}): {found.affiliate_status}",
                      highlight=False)


@app.command("import")
def import_cmd(file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                           help="CSV with the header handle,market,followers,as_of"),
               rejects: Path | None = typer.Option(None, "--rejects", help="write rejected rows here as CSV"),
               as_json: bool = JSON, as_email: str | None = AS) -> None:
    """Follower counts in bulk, streamed; one transaction per chunk of rows. Valid rows are written even when
    others are rejected; each rejected row is reported with its line number and the reason."""
    written = 0
    rejected: list[imports.Rejected] = []
    size = os.path.getsize(file)
    with open(file, "rb") as raw, Progress(
            TextColumn("importing"), BarColumn(), TextColumn("{task.fields[rows]:,} rows"), TransferSpeedColumn(),
            TimeElapsedColumn(), console=err_console, disable=as_json) as progress:
        task = progress.add_task("import", total=size, rows=0)
        with uow(write=False) as session:
            actor = cli_actor(session, as_email)
        stream = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        rows = imports.read_rows(stream)
        try:
            for batch in imports.chunks(rows):
                with uow() as session:
                    done, bad = imports.import_chunk(session, batch, actor=actor)
                written, rejected = written + done, rejected + bad
                progress.update(task, completed=raw.tell(),
                                rows=written + len(rejected))
        except DomainError as exc:
            err_console.print("[red]error[/red] " + escape(f"[{exc.code}] {exc.detail}"), highlight=False)
            raise typer.Exit(1) from None
    if rejects is not None:
        with open(rejects, "w", newline="") as out:
            w = csv.writer(out)
            w.writerow(["line", "code", "field", "reason"])
            w.writerows([r.line, r.code, r.field, r.reason] for r in rejected)
    if as_json:
        dump({"written": written, "rejected": [r.__dict__ for r in rejected]})
        return
    console.print(f"{written:,} rows written, {len(rejected):,} rejected", highlight=False)
    for r in rejected[:50]:
        console.print(f"  line {r.line}: [{r.code}] {r.field}: {r.reason}", highlight=False, markup=False,
                      soft_wrap=True)
    if len(rejected) > 50:
        console.print(f"  … and {len(rejected) - 50:,} more" + ("" if rejects else " (see --rejects FILE)"))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="creators", help="Creators: follower counts, affiliate status, import.")
