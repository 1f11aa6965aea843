"""`marketcast policy …`: read, schedule, withdraw and explain versioned policies."""

from pathlib import Path

import typer
from rich.table import Table

from marketcast.cli.common import AS, JSON, cli_actor, console, dump, parse_at, uow
from marketcast.creators import service as _creators  # noqa: F401  (registers its policy simulator)
from marketcast.policies import rules, service, simulation
from marketcast.policies.schemas import PolicyKeyOut, ResolvedOut, VersionOut
from marketcast.sellers import service as _sellers  # noqa: F401  (registers its policy simulator)

app = typer.Typer(no_args_is_help=True)

MARKET = typer.Option(None, "--market", help="two-letter market code; omit for the global value")
AT = typer.Option(None, "--at", help="ISO date or time to resolve at; default now")


@app.command("list")
def list_keys(as_json: bool = JSON) -> None:
    """Every policy key with its type, bounds, default and meaning."""
    items = [PolicyKeyOut.of(pk) for pk in service.keys()]
    if as_json:
        dump(items)
        return
    table = Table("key", "type", "default", "bounds", "meaning")
    for pk in service.keys():
        bounds = "" if pk.min is None and pk.max is None else f"{pk.min if pk.min is not None else ''}.."
        bounds += "" if pk.max is None else str(pk.max)
        nullable = " (or none)" if pk.nullable else ""
        table.add_row(pk.key, pk.type + nullable, rules.format_value(pk, pk.default), bounds, pk.meaning)
    console.print(table)


@app.command("get")
def get(key: str, market: str | None = MARKET, at: str | None = AT, as_json: bool = JSON) -> None:
    """The value of KEY in force for a market at a time, and why."""
    when = parse_at(at)
    with uow(write=False) as session:
        service.key_info(key)
        code = service.check_market(session, market)
        resolved = service.value_at(session, key=key, market=code, at=when)
        explanation = service.explain(session, key=key, market=code, at=when)
    if as_json:
        dump(ResolvedOut.of(resolved, explanation))
    else:
        console.print(explanation, highlight=False, soft_wrap=True)


@app.command("set")
def set_value(
    key: str,
    value: str = typer.Argument(..., help='int, "none", true/false, money as "2000000 USD" or "$2,000,000"'),
    market: str | None = typer.Option(None, "--market", help="two-letter market code"),
    global_: bool = typer.Option(False, "--global", help="set the global value (markets without their own)"),
    effective_from: str = typer.Option(..., "--from", help="ISO date or time it takes effect; not in the past"),
    reason: str = typer.Option(..., "--reason", help="why; kept in the history and shown by explain"),
    as_email: str | None = AS,
) -> None:
    """Schedule a new version of KEY from a date.

    Either --market XX or --global is required, so that a global change is never an accident."""
    if (market is None) == (not global_):
        console.print("[red]error[/red] say either --market XX or --global")
        raise typer.Exit(2)
    when = parse_at(effective_from)
    with uow() as session:
        parsed = service.parse_value(key, value)
        version = service.schedule(session, key=key, market=market, value=parsed, effective_from=when, reason=reason,
                                   actor=cli_actor(session, as_email))
        console.print(f"scheduled {version.id}: {key} for {version.market or 'global'} = "
                      f"{rules.format_value(service.key_info(key), version.plain_value)} from "
                      f"{version.effective_from.isoformat()}", highlight=False, soft_wrap=True)


@app.command("history")
def history(key: str, market: str | None = MARKET, at: str | None = AT, as_json: bool = JSON,
            with_global: bool = typer.Option(False, "--with-global", help="with a market, show global versions too")
            ) -> None:
    """Every version of KEY for a market (or the globals), oldest first, with its status."""
    when = parse_at(at)
    with uow(write=False) as session:
        pk = service.key_info(key)
        code = service.check_market(session, market)
        entries = service.timeline(session, key=key, market=code, at=when, include_global=with_global)
    if as_json:
        dump([VersionOut.of(e) for e in entries])
        return
    table = Table("version", "market", "value", "effective from", "status", "set by", "reason")
    for e in entries:
        why = e.reason + (f" (withdrawn: {e.withdraw_reason})" if e.withdrawn_at else "")
        table.add_row(e.version_id, e.market or "global", rules.format_value(pk, e.value), e.effective_from.isoformat(),
                      e.status, e.actor, why)
    console.print(table)


@app.command("withdraw")
def withdraw(version_id: str, reason: str = typer.Option(..., "--reason"), as_email: str | None = AS) -> None:
    """Withdraw a version that has not taken effect yet."""
    with uow() as session:
        version = service.withdraw(session, version_id=version_id, reason=reason, actor=cli_actor(session, as_email))
        console.print(f"withdrew {version.id} ({version.key} for {version.market or 'global'})", highlight=False,
                      soft_wrap=True)


@app.command("explain")
def explain(key: str, market: str | None = MARKET, at: str | None = AT) -> None:
    """KEY's value for a market at a time, in plain words, then its history."""
    when = parse_at(at)
    with uow(write=False) as session:
        service.key_info(key)
        code = service.check_market(session, market)
        console.print(service.explain(session, key=key, market=code, at=when), highlight=False, soft_wrap=True)
        for e in service.timeline(session, key=key, market=code, at=when, include_global=True):
            console.print(f"  {e.effective_from.date()}  {e.market or 'global':6} {e.status:10} "
                          f"{rules.format_value(service.key_info(key), e.value)}  {e.version_id}  '{e.reason}'",
                          highlight=False, soft_wrap=True)


@app.command("in-force")
def in_force(market: str | None = MARKET, at: str | None = AT, as_json: bool = JSON) -> None:
    """Every key's value for a market at a time."""
    when = parse_at(at)
    with uow(write=False) as session:
        code = service.check_market(session, market)
        resolved = service.in_force(session, market=code, at=when)
    if as_json:
        dump([ResolvedOut.of(r) for r in resolved])
        return
    table = Table("key", "value", "source", "since", "next")
    for r in resolved:
        pk = service.key_info(r.key)
        nxt = (f"{rules.format_value(pk, r.next.value)} from {r.next.effective_from.date()}" if r.next else "")
        table.add_row(r.key, rules.format_value(pk, r.value), r.source,
                      r.effective_from.isoformat() if r.effective_from else "", nxt)
    console.print(table)


@app.command("simulate")
def simulate(
    key: str,
    value: str = typer.Argument(..., help='the value to try, as for `set` ("none", "2000000 USD", 1000)'),
    market: str = typer.Option(..., "--market", help="two-letter market code"),
    effective_from: str | None = typer.Option(None, "--from", help="when it would take effect (default now)"),
    csv_file: Path | None = typer.Option(None, "--csv", help="write every move to this CSV file"),
    as_json: bool = JSON,
    as_email: str | None = AS,
) -> None:
    """What VALUE for KEY would move in a market (applications for seller keys, creators for creator keys),
    before scheduling it. Nothing is written."""
    with uow(write=False) as session:
        actor, parsed = cli_actor(session, as_email), service.parse_value(key, value)
        when = parse_at(effective_from) if effective_from else None
        result = service.simulate(session, key=key, market=market, value=parsed, effective_from=when, actor=actor)
        if csv_file is not None:
            with open(csv_file, "w", newline="") as out:
                for chunk in simulation.csv_lines(service.simulation_moves(
                        session, key=key, market=market, value=parsed, effective_from=when, actor=actor)):
                    out.write(chunk)
    if as_json:
        dump(result)
        return
    moves = ", ".join(f"{name}: {n:,}" for name, n in result["counts"].items()) or "nothing moves"
    console.print(f"{key} = {service.describe(key, result['value'])} in {result['market']} from "
                  f"{result['effective_from'].date()}: of {result['evaluated']:,} {result['subject_type']}s, "
                  f"{result['moved']:,} would move ({moves}).", highlight=False, soft_wrap=True)
    for move in result["sample"]:
        figures = ", ".join(f"{k} {v}" for k, v in move["figures"].items())
        console.print(f"  {move['subject_id']}  {move['label']}: {move['from']} → {move['to']} ({figures})",
                      highlight=False, markup=False, soft_wrap=True)
    if csv_file is not None:
        console.print(f"every move written to {csv_file}", highlight=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="policy", help="Versioned per-market policies.")
