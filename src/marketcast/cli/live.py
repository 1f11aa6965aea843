"""`marketcast live …`: LIVE sessions, their bag and pin, flash deals, and the deals' clock run now."""

from datetime import datetime

import typer
from rich.table import Table

from marketcast.cli.common import AS, JSON, cli_actor, console, dump, every_page, uow, when
from marketcast.core import clock
from marketcast.live import jobs, metrics, reports, service
from marketcast.live.schemas import (
    DealOut,
    FiguresOut,
    LiveReportGroup,
    LiveSessionOut,
    LiveSessionSummaryOut,
    ReportRowOut,
    SessionFiguresOut,
)

app = typer.Typer(no_args_is_help=True)
deals_app = typer.Typer(no_args_is_help=True)
app.add_typer(deals_app, name="deals", help="Flash deals: create, start, end, show.")


def _session_out(session, live) -> LiveSessionOut:
    return LiveSessionOut.of(live, service.bag(session, live.id))


def _print_session(out: LiveSessionOut, as_json: bool) -> None:
    if as_json:
        dump(out)
        return
    host = out.host.shop_id or out.host.creator_id
    console.print(f"session {out.id} ({out.title}) is {out.status}, hosted by {out.host.kind} {host}")
    for item in out.bag:
        pin = "  [pinned]" if item.product_id == out.pinned_product_id else ""
        console.print(f"  {item.position}. {item.product_id}{pin}")


def _print_deal(out: DealOut, as_json: bool) -> None:
    if as_json:
        dump(out)
        return
    console.print(f"deal {out.id} on {out.sku_id} is {out.status}: {out.units_left} of {out.allotment} left, "
                  f"{out.sold} sold, {out.returned} returned; {out.deal_price} (was {out.regular_price}); "
                  f"opens {when(out.opens_at)}, ends {when(out.ends_at)}")


@app.command("list")
def list_cmd(market: str | None = typer.Option(None, "--market"), status: str | None = typer.Option(None, "--status"),
             as_email: str | None = AS, as_json: bool = JSON) -> None:
    """Sessions the caller may see, oldest first."""
    with uow(write=False) as session:
        actor = cli_actor(session, as_email)
        rows = every_page(lambda token: service.list_sessions(session, actor=actor, market=market, status=status,
                                                              page_size=200, page_token=token))
        items = [LiveSessionSummaryOut.of(r) for r in rows]
    if as_json:
        dump(items)
        return
    table = Table("id", "market", "status", "host", "title", "scheduled", "started")
    for s in items:
        table.add_row(s.id, s.market, s.status, f"{s.host.kind} {s.host.shop_id or s.host.creator_id}", s.title,
                      when(s.scheduled_start), when(s.started_at))
    console.print(table)


@app.command("create")
def create_cmd(title: str, market: str = typer.Option(..., "--market"),
               shop: str | None = typer.Option(None, "--shop", help="a shop hosts (self-broadcast)"),
               creator: str | None = typer.Option(None, "--creator", help="a creator hosts (use --as the creator)"),
               playback_url: str = typer.Option(..., "--playback-url"),
               start: str | None = typer.Option(None, "--start", help="scheduled start, ISO time (default now)"),
               as_email: str | None = AS, as_json: bool = JSON) -> None:
    """Schedule a session."""
    if bool(shop) == bool(creator):
        raise typer.BadParameter("give --shop or --creator")
    when_ = clock.as_utc_input(datetime.fromisoformat(start), "start") if start else clock.now()
    with uow() as session:
        live = service.create(session, market=market, title=title, shop_id=shop, creator_id=creator,
                              scheduled_start=when_, playback_url=playback_url, actor=cli_actor(session, as_email))
        out = _session_out(session, live)
    _print_session(out, as_json)


@app.command("show")
def show_cmd(session_id: str, as_email: str | None = AS, as_json: bool = JSON) -> None:
    """A session, its bag in order and the pinned product."""
    with uow(write=False) as session:
        out = _session_out(session, service.get(session, session_id=session_id, actor=cli_actor(session, as_email)))
    _print_session(out, as_json)


def _host_move(session_id: str, as_email: str | None, as_json: bool, operation, **kwargs) -> None:
    with uow() as session:
        live = operation(session, session_id=session_id, actor=cli_actor(session, as_email), **kwargs)
        out = _session_out(session, live)
    _print_session(out, as_json)


@app.command("start")
def start_cmd(session_id: str, as_email: str | None = AS, as_json: bool = JSON) -> None:
    """Go live (the bag holds at least one product)."""
    _host_move(session_id, as_email, as_json, service.start)


@app.command("end")
def end_cmd(session_id: str, as_email: str | None = AS, as_json: bool = JSON) -> None:
    """End a live session; its deals end and give their unsold units back."""
    _host_move(session_id, as_email, as_json, service.end)


@app.command("cancel")
def cancel_cmd(session_id: str, as_email: str | None = AS, as_json: bool = JSON) -> None:
    """Cancel a scheduled session."""
    _host_move(session_id, as_email, as_json, service.cancel)


@app.command("add")
def add_cmd(session_id: str, product_id: str, as_email: str | None = AS, as_json: bool = JSON) -> None:
    """Add a product to the bag."""
    _host_move(session_id, as_email, as_json, service.add_to_bag, product_id=product_id)


@app.command("remove")
def remove_cmd(session_id: str, product_id: str, as_email: str | None = AS, as_json: bool = JSON) -> None:
    """Take a product out of the bag."""
    _host_move(session_id, as_email, as_json, service.remove_from_bag, product_id=product_id)


@app.command("pin")
def pin_cmd(session_id: str, product_id: str | None = typer.Argument(None, help="omit to unpin"),
            as_email: str | None = AS, as_json: bool = JSON) -> None:
    """Pin a product of the bag (omit it to unpin)."""
    _host_move(session_id, as_email, as_json, service.pin, product_id=product_id)


@deals_app.command("create")
def deal_create_cmd(session_id: str, sku_id: str, price: int = typer.Option(..., "--price", help="minor units"),
                    currency: str = typer.Option("USD", "--currency"),
                    allotment: int = typer.Option(..., "--allotment"),
                    per_buyer: int = typer.Option(1, "--per-buyer"),
                    countdown: int = typer.Option(10, "--countdown", help="seconds"),
                    minutes: int = typer.Option(5, "--minutes", help="duration"),
                    starts_at: str | None = typer.Option(None, "--starts-at", help="ISO time; default: start by hand"),
                    buckets: int = typer.Option(8, "--buckets", help="split the units over this many rows (1: one)"),
                    as_email: str | None = AS, as_json: bool = JSON) -> None:
    """Make a flash deal on a SKU of the bag (its allotment leaves the SKU's stock now)."""
    at = clock.as_utc_input(datetime.fromisoformat(starts_at), "starts_at") if starts_at else None
    with uow() as session:
        deal = service.create_deal(session, session_id=session_id, sku_id=sku_id, deal_price=price,
                                   currency=currency, allotment=allotment, per_buyer_limit=per_buyer,
                                   countdown_seconds=countdown, duration_minutes=minutes, starts_at=at,
                                   actor=cli_actor(session, as_email), buckets=buckets)
        out = DealOut.of(deal, service.deal_snapshot(session, deal))
    _print_deal(out, as_json)


def _deal_move(deal_id: str, as_email: str | None, as_json: bool, operation) -> None:
    with uow() as session:
        deal = operation(session, deal_id=deal_id, actor=cli_actor(session, as_email))
        out = DealOut.of(deal, service.deal_snapshot(session, deal))
    _print_deal(out, as_json)


@deals_app.command("start")
def deal_start_cmd(deal_id: str, as_email: str | None = AS, as_json: bool = JSON) -> None:
    """Start a scheduled deal's countdown now."""
    _deal_move(deal_id, as_email, as_json, service.start_deal)


@deals_app.command("end")
def deal_end_cmd(deal_id: str, as_email: str | None = AS, as_json: bool = JSON) -> None:
    """End a deal now; its unsold units go back to the SKU's stock (once)."""
    _deal_move(deal_id, as_email, as_json, service.end_deal)


@deals_app.command("show")
def deal_show_cmd(deal_id: str, as_email: str | None = AS, as_json: bool = JSON) -> None:
    """A deal as of now: status, units left, sold, returned, times."""
    _deal_move(deal_id, as_email, as_json, service.get_deal)


@deals_app.command("advance")
def deal_advance_cmd() -> None:
    """Move every due deal now (what the worker does every few seconds)."""
    console.print(f"{jobs.advance_deals()} deal moves")


@app.command("metrics")
def metrics_cmd(session_id: str, as_email: str | None = AS, as_json: bool = JSON) -> None:
    """A session's figures so far (its host, or an operator)."""
    with uow(write=False) as session:
        live_id, figures = metrics.session_metrics(session, session_id=session_id, actor=cli_actor(session, as_email))
        out = SessionFiguresOut(session_id=live_id, **FiguresOut.of(figures).model_dump())
    if as_json:
        dump(out)
        return
    _print_figures(f"session {out.session_id}", out)


def _print_figures(label: str, f: FiguresOut) -> None:
    ctr = "-" if f.ctr is None else f"{f.ctr:.1%}"
    cto = "-" if f.click_to_order_rate is None else f"{f.click_to_order_rate:.1%}"
    console.print(f"{label}: {f.views} views, {f.unique_viewers} unique viewers, {f.viewers_now} watching now "
                  f"(peak {f.peak_concurrent_viewers}, average {f.average_concurrent_viewers}); "
                  f"{f.product_impressions} impressions, {f.product_clicks} clicks (CTR {ctr}, click-to-order {cto}); "
                  f"{f.orders} orders, GMV {f.gmv}; live {f.live_minutes} min, "
                  f"effective {f.effective_live_minutes} min")


@app.command("report")
def report_cmd(group_by: LiveReportGroup = typer.Option(LiveReportGroup.session, "--group-by"),
               host: str | None = typer.Option(None, "--host", help="a shop or creator id"),
               market: str | None = typer.Option(None, "--market"),
               from_: datetime | None = typer.Option(None, "--from", formats=["%Y-%m-%d"]),
               to: datetime | None = typer.Option(None, "--to", formats=["%Y-%m-%d"]),
               as_email: str | None = AS, as_json: bool = JSON) -> None:
    """LIVE figures by session, host or day, from the rollups (hosts: their own, with --host)."""
    with uow(write=False) as session:
        rows = reports.live_report(session, actor=cli_actor(session, as_email), group_by=group_by.value,
                                   market=market, host=host, start=from_.date() if from_ else None,
                                   end=to.date() if to else None)
        items = [ReportRowOut(key=r.key, market=r.market, figures=FiguresOut.of(r.figures)) for r in rows]
    if as_json:
        dump(items)
        return
    table = Table(group_by.value, "market", "sessions", "views", "unique", "peak", "clicks", "orders", "GMV",
                  "effective min")
    for row in items:
        f = row.figures
        table.add_row(row.key, row.market, str(f.sessions), str(f.views), str(f.unique_viewers),
                      str(f.peak_concurrent_viewers), str(f.product_clicks), str(f.orders), str(f.gmv),
                      str(f.effective_live_minutes))
    console.print(table)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="live", help="LIVE sessions, bag and pin, flash deals.")
