"""`marketcast orders …`: list, show, refund, run expiry now."""

import typer
from rich.table import Table

from marketcast.cli.common import AS, JSON, cli_actor, console, dump, err_console, every_page, uow, when
from marketcast.core.money import Money
from marketcast.orders import service
from marketcast.orders.schemas import OrderOut, OrderSummaryOut, RefundOut

app = typer.Typer(no_args_is_help=True)



@app.command("list")
def list_cmd(shop: str | None = typer.Option(None, "--shop", help="only this shop's orders"),
             market: str | None = typer.Option(None, "--market", help="only this market's orders"),
             status: str | None = typer.Option(None, "--status"),
             buyer: str | None = typer.Option(None, "--buyer", help="only orders of the buyer with this email"),
             as_email: str | None = AS, as_json: bool = JSON) -> None:
    """Orders, oldest first (every page)."""
    with uow(write=False) as session:
        actor = cli_actor(session, as_email)
        items = [OrderSummaryOut.of(o) for o in every_page(lambda token: service.list_orders(
            session, actor=actor, shop_id=shop, market=market, status=status, buyer_email=buyer, page_size=200,
            page_token=token))]
    if as_json:
        dump(items)
        return
    table = Table("id", "shop", "market", "status", "total", "refunded", "created", "paid")
    for o in items:
        table.add_row(o.id, o.shop_id, o.market, o.status, str(o.total), str(o.refunded), when(o.created_at),
                      when(o.paid_at))
    console.print(table)


@app.command("show")
def show_cmd(order_id: str, as_email: str | None = AS, as_json: bool = JSON) -> None:
    """One order with its lines, refunds and payment attempts."""
    with uow(write=False) as session:
        d = service.detail(session, order_id=order_id, actor=cli_actor(session, as_email))
        out = OrderOut.full(d.order, d.lines, d.refunds, d.payments)
    if as_json:
        dump(out)
        return
    console.print(f"[bold]{out.id}[/bold]  {out.status}  shop {out.shop_id} ({out.market})  total {out.total}"
                  f"  refunded {out.refunded}  expires {when(out.expires_at)}")
    lines = Table("line", "sku", "title", "qty", "unit price", "amount", "refunded qty")
    for line in out.lines:
        lines.add_row(line.id, line.sku_id, line.title, str(line.quantity),
                      str(Money(amount=line.unit_price, currency=line.currency)),
                      str(Money(amount=line.amount, currency=line.currency)), str(line.refunded_quantity))
    console.print(lines)
    for r in out.refunds:
        console.print(f"refund {r.id}: {Money(amount=r.amount, currency=r.currency)} by {r.actor}"
                      f"{' (restocked)' if r.restock else ''} at {when(r.created_at)}")
    for p in out.payments:
        console.print(f"payment {p.id}: {p.status} card …{p.card_last4} via {p.provider}"
                      f"{' (' + p.decline_code + ')' if p.decline_code else ''}")


def _parse_line(text: str) -> tuple[str, int]:
    line_id, sep, qty = text.partition(":")
    if not sep or not line_id.strip() or not qty.strip().isdigit() or int(qty) < 1:
        err_console.print(f"[red]error[/red] --line {text!r}: use LINE_ID:QUANTITY, e.g. oln_01…:2")
        raise typer.Exit(2)
    return line_id.strip(), int(qty)


@app.command("refund")
def refund_cmd(order_id: str,
               line: list[str] = typer.Option(..., "--line", help="LINE_ID:QUANTITY; repeat for several lines"),
               restock: bool = typer.Option(False, "--restock", help="put the refunded units back on sale"),
               as_email: str | None = AS, as_json: bool = JSON) -> None:
    """Refund units of a paid order (as the system operator, or --as the shop's owner or an operator).

    Each run is a new refund: unlike the API (which requires an Idempotency-Key), running it twice refunds twice,
    so check `orders show` before repeating a run whose outcome you did not see."""
    requested = [_parse_line(item) for item in line]
    with uow() as session:
        refund = service.refund(session, order_id=order_id, lines=requested, restock=restock,
                                actor=cli_actor(session, as_email))
        out = RefundOut.model_validate(refund)
    if as_json:
        dump(out)
    else:
        console.print(f"refunded {Money(amount=out.amount, currency=out.currency)} on {order_id} as {out.id}"
                      f"{' (restocked)' if out.restock else ''}")


@app.command("ship")
def ship_cmd(order_id: str, carrier: str = typer.Option(..., "--carrier", help="UPS, USPS, DHL…"),
             tracking: str = typer.Option(..., "--tracking", help="the parcel's tracking number"),
             as_email: str = typer.Option(..., "--as", help="the shop owner's email (only the owner ships)"),
             as_json: bool = JSON) -> None:
    """Ship a paid order with its carrier and tracking number (paid → shipped)."""
    with uow() as session:
        order = service.ship(session, order_id=order_id, actor=cli_actor(session, as_email), carrier=carrier,
                             tracking_number=tracking)
        out = OrderSummaryOut.of(order)
    if as_json:
        dump(out)
    else:
        console.print(f"{out.id} shipped with {out.carrier}, tracking {out.tracking_number}")


@app.command("deliver")
def deliver_cmd(order_id: str, as_email: str | None = AS, as_json: bool = JSON) -> None:
    """Mark a shipped order delivered (as the system operator, or --as the shop's owner or an operator)."""
    with uow() as session:
        out = OrderSummaryOut.of(service.deliver(session, order_id=order_id, actor=cli_actor(session, as_email)))
    if as_json:
        dump(out)
    else:
        console.print(f"{out.id} delivered")


@app.command("expire")
def expire_cmd() -> None:
    """Cancel unpaid orders past their expiry now and put their stock back (the worker does this too)."""
    with uow() as session:
        count = service.expire_unpaid(session)
    console.print(f"expired {count} unpaid order(s)")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="orders", help="Orders, payments and refunds.")
