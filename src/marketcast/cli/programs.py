"""`marketcast programs …`: define, change, read programs; enroll and exclude shops; standings per period; close
the periods that are due (what the worker does)."""

import json
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.table import Table

from marketcast.cli.common import AS, JSON, cli_actor, console, dump, err_console, every_page, uow, when
from marketcast.programs import jobs, service
from marketcast.programs.schemas import (
    FeeDiscountBenefitOut,
    ProgramEnrollmentOut,
    ProgramIn,
    ProgramMetricOut,
    ProgramPatch,
)

app = typer.Typer(no_args_is_help=True)
DEFINITION = typer.Option(..., "--definition", "-d", help="the JSON body of POST /api/v1/programs (or PATCH), "
                          "or @FILE to read it from a file")


def _body(text: str, model):
    raw = Path(text[1:]).read_text() if text.startswith("@") else text
    try:
        return model.model_validate(json.loads(raw))
    except (ValueError, ValidationError) as exc:
        err_console.print(f"[red]error[/red] the definition is not valid: {exc}")
        raise typer.Exit(2) from None


def _print_program(out) -> None:
    console.print(f"[bold]{out.name}[/bold] ({out.id}) {out.market}, {out.cadence}, from {when(out.starts_at)}"
                  f" to {when(out.ends_at)}; version {out.version}")
    for c in out.criteria:
        console.print(f"  criterion {c.rule()}")
    for b in out.benefits:
        console.print(f"  benefit {b.kind} " + (f"{b.value} bps" if isinstance(b, FeeDiscountBenefitOut) else
                                                f"{b.amount.amount} {b.amount.currency} to the top {b.top_n} by "
                                                f"{b.rank_by}"))


@app.command("metrics")
def metrics_list(as_json: bool = JSON) -> None:
    """The metrics a criterion or a reward pool may name, with their units."""
    items = [ProgramMetricOut(name=m.name, unit=m.unit, description=m.description, higher_is_better=m.higher_is_better,
                       available=m.available) for m in service.METRICS.values()]
    if as_json:
        dump(items)
        return
    table = Table("metric", "unit", "available", "description")
    for m in items:
        table.add_row(m.name, m.unit, "yes" if m.available else "not yet", m.description)
    console.print(table)


@app.command("create")
def create(definition: str = DEFINITION, as_email: str | None = AS, as_json: bool = JSON) -> None:
    """Define a program (version 1 applies from its start)."""
    body = _body(definition, ProgramIn)
    data = body.model_dump()
    with uow() as session:
        program = service.create(session, market=body.market, name=body.name, description=body.description,
                                 starts_at=body.starts_at, ends_at=body.ends_at, cadence=body.cadence,
                                 eligibility=data["eligibility"], criteria=data["criteria"],
                                 benefits=data["benefits"], auto_enroll=body.auto_enroll,
                                 actor=cli_actor(session, as_email))
        out = service.describe(session, program)
    dump(out) if as_json else _print_program(out)


@app.command("change")
def change(program_id: str, definition: str = DEFINITION, as_email: str | None = AS, as_json: bool = JSON) -> None:
    """A new version of a program, in force from the next period."""
    body = _body(definition, ProgramPatch)
    with uow() as session:
        program = service.change(session, program_id=program_id, changes=body.model_dump(exclude_unset=True),
                                 actor=cli_actor(session, as_email))
        out = service.describe(session, program)
    dump(out) if as_json else _print_program(out)


@app.command("list")
def list_programs(market: str | None = typer.Option(None, "--market"), as_json: bool = JSON) -> None:
    """Programs, in the order they were defined."""
    with uow(write=False) as session:
        rows = every_page(lambda token: service.list_programs(session, market=market, page_size=200,
                                                              page_token=token))
        items = [service.describe(session, p) for p in rows]
    if as_json:
        dump(items)
        return
    table = Table("id", "market", "name", "cadence", "starts", "ends", "version")
    for p in items:
        table.add_row(p.id, p.market, p.name, p.cadence, when(p.starts_at), when(p.ends_at), str(p.version))
    console.print(table)


@app.command("show")
def show(program_id: str, as_json: bool = JSON) -> None:
    """One program, as its latest version defines it."""
    with uow(write=False) as session:
        out = service.describe(session, service.get(session, program_id))
    dump(out) if as_json else _print_program(out)


@app.command("enroll")
def enroll(program_id: str, shop_id: str, as_email: str | None = AS, as_json: bool = JSON) -> None:
    """Enroll a shop (as its seller with --as, or as an operator)."""
    with uow() as session:
        out = ProgramEnrollmentOut.model_validate(service.enroll(session, program_id=program_id, shop_id=shop_id,
                                                          actor=cli_actor(session, as_email)))
    dump(out) if as_json else console.print(f"shop {out.shop_id} is {out.status} in {out.program_id}")


@app.command("exclude")
def exclude(program_id: str, shop_id: str, reason: str = typer.Option(..., "--reason"), as_email: str | None = AS,
            as_json: bool = JSON) -> None:
    """Exclude a shop from a program, with a reason."""
    with uow() as session:
        out = ProgramEnrollmentOut.model_validate(service.exclude(session, program_id=program_id, shop_id=shop_id,
                                                           reason=reason, actor=cli_actor(session, as_email)))
    dump(out) if as_json else console.print(f"shop {out.shop_id} is excluded from {out.program_id}: {out.reason}")


@app.command("standings")
def standings(program_id: str, period: str | None = typer.Option(None, "--period", help="a date in the period "
                                                                 "(YYYY-MM-DD); default: now"),
              as_email: str | None = AS, as_json: bool = JSON) -> None:
    """Each enrolled shop's standing in a period, explained."""
    with uow(write=False) as session:
        out = service.report(session, program_id=program_id, period=period, actor=cli_actor(session, as_email))
    if as_json:
        dump(out)
        return
    console.print(f"period {when(out.period.start)} .. {when(out.period.end)} ({out.status}, version {out.version})")
    table = Table("shop", "qualifies", "explanation", "benefit")
    for s in out.items:
        benefit = s.benefit.model_dump(mode="json") if s.benefit else {}
        table.add_row(s.shop_id, "yes" if s.qualifies else "no", s.explanation, json.dumps(benefit))
    console.print(table)


@app.command("clawback")
def clawback(program_id: str, shop_id: str,
             period: str = typer.Option(..., "--period", help="a date in the closed period (YYYY-MM-DD)"),
             reason: str = typer.Option(..., "--reason"), as_email: str | None = AS, as_json: bool = JSON) -> None:
    """Take back a shop's benefit of a closed period (fake orders found), with a reason."""
    with uow() as session:
        done = service.claw_back(session, program_id=program_id, shop_id=shop_id, period=period, reason=reason,
                                 actor=cli_actor(session, as_email))
        out = service.clawback_out(done, program_id=program_id)
    if as_json:
        dump(out)
        return
    taken = f"{out.reversed.amount} {out.reversed.currency} booked back" if out.reversed else "nothing to book back"
    console.print(f"shop {out.shop_id}: benefit of the period from {when(out.period.start)} clawed back; {taken}"
                  + ("; fee discount withdrawn" if out.fee_discount_withdrawn else ""))


@app.command("close")
def close() -> None:
    """Enroll shops automatically and close the periods that are due (what the worker does)."""
    enrolled, closed = jobs.auto_enroll(), jobs.close_periods()
    console.print(f"{enrolled} shops enrolled, {closed} periods closed")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="programs", help="Incentive programs: define, enroll, exclude, standings.")
