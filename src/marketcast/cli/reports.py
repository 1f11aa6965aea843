"""`marketcast reports`: GMV from the daily rollups (definition: docs/gmv.md)."""

from datetime import date, timedelta

import typer
from rich.table import Table

from marketcast.cli.common import console, dump, err_console, uow
from marketcast.core import clock
from marketcast.core.money import format_money
from marketcast.markets import service as markets
from marketcast.reports import service
from marketcast.reports.schemas import GmvRowOut

app = typer.Typer(no_args_is_help=True)


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        err_console.print(f"[red]error[/red] {option} {value!r} is not an ISO date (YYYY-MM-DD)")
        raise typer.Exit(2) from None


@app.command("gmv")
def gmv(
    market: str | None = typer.Option(None, "--market", help="two-letter market code"),
    shop: str | None = typer.Option(None, "--shop", help="one shop id"),
    from_: str | None = typer.Option(None, "--from", help="first UTC day, YYYY-MM-DD (default: --to minus 29 days)"),
    to: str | None = typer.Option(None, "--to", help="last UTC day, included (default: today)"),
    group_by: str = typer.Option("day", "--group-by", help="day, shop, market, creator or collaboration"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """GMV, refunds and net GMV per day, shop, market, creator or collaboration (attributed lines); one line per
    currency, never converted."""
    to_day = _day(to, "--to") or clock.now().date()
    from_day = _day(from_, "--from") or (to_day - timedelta(days=29) if to_day.toordinal() > 29 else date.min)
    with uow(write=False) as session:
        if market is not None:
            market = markets.get(session, market).code
        rows = service.gmv_report(session, market=market, shop_id=shop, from_day=from_day, to_day=to_day,
                                  group_by=group_by)
    items = [GmvRowOut.of(r, group_by) for r in rows]
    if as_json:
        dump({"items": [i.model_dump(mode="json") for i in items], "from": from_day.isoformat(),
              "to": to_day.isoformat(), "group_by": group_by})
        return
    key = {"day": "Day", "shop": "Shop", "market": "Market", "creator": "Creator",
           "collaboration": "Collaboration"}[group_by]
    table = Table(title=f"GMV {from_day} .. {to_day} by {group_by}")
    table.add_column(key)
    for column in ("GMV", "Refunds", "Net GMV", "Orders", "Units"):
        table.add_column(column, justify="right")
    totals: dict[str, list[int]] = {}
    for r in rows:
        table.add_row(str(r.key), format_money(r.gmv, r.currency), format_money(r.refunds, r.currency),
                      format_money(r.net_gmv, r.currency), f"{r.orders:,}", f"{r.units:,}")
        t = totals.setdefault(r.currency, [0, 0, 0, 0])
        for i, value in enumerate((r.gmv, r.refunds, r.orders, r.units)):
            t[i] += value
    for currency, (g, f, o, u) in sorted(totals.items()):
        table.add_row(f"[bold]total {currency}[/bold]", format_money(g, currency), format_money(f, currency),
                      format_money(g - f, currency), f"{o:,}", f"{u:,}", end_section=True)
    if not rows:
        console.print(f"no paid orders or refunds {from_day} .. {to_day}")
        return
    console.print(table)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="reports", help="GMV reports.")
