"""`marketcast shops …`: find shops, suspend and reinstate them with a reason, read their history."""

import typer
from rich.table import Table

from marketcast.cli.common import AS, JSON, cli_actor, console, dump, every_page, uow, when
from marketcast.sellers import service
from marketcast.sellers.schemas import ShopHistoryLineOut, ShopOut

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_cmd(q: str | None = typer.Option(None, "--q", help="part of the name or contact email"),
             seller: str | None = typer.Option(None, "--seller", help="seller id, legal name or email"),
             market: str | None = typer.Option(None, "--market"), status: str | None = typer.Option(None, "--status"),
             as_email: str | None = AS, as_json: bool = JSON) -> None:
    """Shops, in id order (every page)."""
    with uow(write=False) as session:
        actor = cli_actor(session, as_email)
        items = [ShopOut.model_validate(s) for s in every_page(lambda token: service.list_shops(
            session, actor=actor, q=q, seller=seller, market=market, status=status, page_size=200,
            page_token=token))]
    if as_json:
        dump(items)
        return
    table = Table("id", "name", "market", "type", "status", "paid orders", "opened")
    for s in items:
        table.add_row(s.id, s.name, s.market, f"{s.shop_type} {s.mode}", s.status, str(s.paid_orders),
                      when(s.created_at))
    console.print(table)


def _change(verb: str, shop_id: str, reason: str, as_email: str | None, as_json: bool) -> None:
    with uow() as session:
        change = service.suspend_shop if verb == "suspended" else service.reinstate_shop
        out = ShopOut.model_validate(change(session, shop_id=shop_id, reason=reason,
                                            actor=cli_actor(session, as_email)))
    if as_json:
        dump(out)
    else:
        console.print(f"{out.id} {verb}: now {out.status}")


@app.command("suspend")
def suspend_cmd(shop_id: str, reason: str = typer.Option(..., "--reason"), as_email: str | None = AS,
                as_json: bool = JSON) -> None:
    """Stop a shop selling (orders already placed go on)."""
    _change("suspended", shop_id, reason, as_email, as_json)


@app.command("reinstate")
def reinstate_cmd(shop_id: str, reason: str = typer.Option(..., "--reason"), as_email: str | None = AS,
                  as_json: bool = JSON) -> None:
    """Let a suspended shop sell again, in the status it was suspended from."""
    _change("reinstated", shop_id, reason, as_email, as_json)


@app.command("history")
def history_cmd(shop_id: str, as_email: str | None = AS, as_json: bool = JSON) -> None:
    with uow(write=False) as session:
        shop = service.require_shop_owner(session, shop_id=shop_id, actor=cli_actor(session, as_email))
        lines = [ShopHistoryLineOut.model_validate(x) for x in service.shop_history(session, shop=shop)]
    if as_json:
        dump(lines)
        return
    for line in lines:
        console.print(f"{when(line.at)}  {line.what:<26} {line.status:<10} {line.reason} {line.by}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="shops", help="Shops: search, suspend, reinstate, history.")
