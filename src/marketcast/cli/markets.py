"""`marketcast markets …`: the same operations as the API, one command each."""

import typer
from rich.table import Table

from marketcast.cli.common import AS, JSON, cli_actor, console, dump, every_page, uow, when
from marketcast.markets import service
from marketcast.markets.schemas import MarketEventOut, MarketOut

app = typer.Typer(no_args_is_help=True)



def _out(market, count: int | None = None) -> MarketOut:
    out = MarketOut.model_validate(market)
    out.waitlist_count = count
    return out


def _show(out: MarketOut) -> None:
    table = Table(show_header=False, box=None)
    for label, value in (("code", out.code), ("name", out.name), ("status", out.status),
                         ("launch window", out.launch_window or "-"), ("currency", out.currency),
                         ("time zone", out.timezone), ("launched", when(out.launched_at)),
                         ("waitlist", str(out.waitlist_count) if out.waitlist_count is not None else "-")):
        table.add_row(f"[bold]{label}[/bold]", value)
    console.print(table)


@app.command("list")
def list_cmd(status: str | None = typer.Option(None, "--status"), as_json: bool = JSON) -> None:
    """Markets, by code, with their waitlist sizes."""
    with uow(write=False) as session:
        # every page: the console lists all markets, however many there are
        items = every_page(lambda token: service.list_markets(session, status=status, page_size=200,
                                                              page_token=token))
        counts = service.waitlist_counts(session)
        outs = [_out(m, counts.get(m.code, 0)) for m in items]
    if as_json:
        dump(outs)
        return
    table = Table("code", "name", "status", "window", "currency", "time zone", "launched", "waitlist")
    for o in outs:
        table.add_row(o.code, o.name, o.status, o.launch_window or "-", o.currency, o.timezone,
                      when(o.launched_at), str(o.waitlist_count))
    console.print(table)


@app.command("show")
def show_cmd(code: str, as_json: bool = JSON) -> None:
    """One market."""
    with uow(write=False) as session:
        market = service.get(session, code)
        out = _out(market, service.waitlist_count(session, code=market.code))
    if as_json:
        dump(out)
    else:
        _show(out)


@app.command("create")
def create_cmd(
    code: str,
    name: str = typer.Option(..., "--name"),
    currency: str = typer.Option(..., "--currency", help="ISO 4217, e.g. EUR"),
    timezone: str = typer.Option(..., "--timezone", help="IANA, e.g. Europe/Madrid"),
    window: str | None = typer.Option(None, "--window", help="2025-03-15, 2024-07 or 2025-Q1"),
    status: str = typer.Option("planned", "--status", help="planned, live or postponed"),
    reason: str = typer.Option("created", "--reason"),
    as_email: str | None = AS,
) -> None:
    """Create a market."""
    with uow() as session:
        market = service.create(session, code=code, name=name, currency=currency, timezone=timezone,
                                launch_window=window, status=status, reason=reason,
                                actor=cli_actor(session, as_email))
        out = _out(market, 0)
    console.print(f"created market {out.code} ({out.status}, window {out.launch_window or 'none'})")


@app.command("transition")
def transition_cmd(
    code: str,
    status: str,
    reason: str = typer.Option(..., "--reason"),
    window: str | None = typer.Option(None, "--window", help="only when going from postponed to planned"),
    as_email: str | None = AS,
) -> None:
    """Move a market to another status (planned, live, postponed, paused, closed)."""
    with uow() as session:
        market = service.transition(session, code=code, status=status, reason=reason,
                                    actor=cli_actor(session, as_email), launch_window=window)
        out = _out(market)
    console.print(f"market {out.code} is now {out.status} (window {out.launch_window or 'none'})")


@app.command("reschedule")
def reschedule_cmd(
    code: str,
    window: str = typer.Argument(..., help="2025-03-15, 2024-07, 2025-Q1, or none"),
    reason: str = typer.Option(..., "--reason"),
    as_email: str | None = AS,
) -> None:
    """Give a planned or postponed market a new launch window; waitlisted users are told."""
    with uow() as session:
        market = service.reschedule(session, code=code, launch_window=None if window.lower() == "none" else window,
                                    reason=reason, actor=cli_actor(session, as_email))
        out = _out(market)
    console.print(f"market {out.code} rescheduled to {out.launch_window or 'no date'} ({out.status})")


@app.command("history")
def history_cmd(code: str, as_json: bool = JSON) -> None:
    """A market's history, oldest first."""
    with uow(write=False) as session:
        events = [MarketEventOut.model_validate(e) for e in service.history(session, code=code)]
    if as_json:
        dump(events)
        return
    table = Table("at", "kind", "status", "window", "reason", "by")
    for e in events:
        status = f"{e.from_status} → {e.to_status}" if e.from_status and e.from_status != e.to_status else e.to_status
        window = (f"{e.from_window or 'none'} → {e.to_window or 'none'}" if e.from_window != e.to_window
                  else e.to_window or "-")
        table.add_row(when(e.at), e.kind, status, window, e.reason, e.actor_email)
    console.print(table)


@app.command("waitlist")
def waitlist_cmd(code: str) -> None:
    """How many users wait for a market."""
    with uow(write=False) as session:
        market = service.get(session, code)
        count = service.waitlist_count(session, code=market.code)
    console.print(f"{market.code}: {count} on the waitlist")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="markets", help="Markets, launch windows and waitlists.")
