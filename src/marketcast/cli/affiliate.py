"""`marketcast commissions …` and `marketcast collaborations …`: the operator's (and a shop's) affiliate work."""

import typer
from rich.table import Table

from marketcast.affiliate import service
from marketcast.affiliate.schemas import CollaborationOut, CommissionOut, MembershipOut
from marketcast.cli.common import AS, JSON, cli_actor, console, dump, every_page, uow, when

commissions_app = typer.Typer(no_args_is_help=True)
collaborations_app = typer.Typer(no_args_is_help=True)


@commissions_app.command("list")
def commissions_list(market: str | None = typer.Option(None, "--market"),
                     status: str | None = typer.Option(None, "--status", help="pending, settleable, settled, "
                                                       "reversed, frozen or ineligible"),
                     creator: str | None = typer.Option(None, "--creator", help="one creator id"),
                     as_email: str | None = AS, as_json: bool = JSON) -> None:
    """Commissions of the operator's markets, oldest first."""
    with uow(write=False) as session:
        actor = cli_actor(session, as_email)
        rows = every_page(lambda token: service.list_for_operator(
            session, actor=actor, market=market, status=status, creator_id=creator, page_size=200,
            page_token=token))
        items = [CommissionOut.of(c) for c in rows]
    if as_json:
        dump(items)
        return
    table = Table("id", "creator", "order", "status", "base", "rate", "amount", "created")
    for c in items:
        table.add_row(c.id, c.creator_id, c.order_id, c.status + (f" ({c.ineligible_reason})"
                                                                  if c.ineligible_reason else ""),
                      str(c.base), f"{c.commission_rate_bps / 100:g}%", str(c.amount), when(c.created_at))
    console.print(table)


def _freeze(commission_id: str, reason: str, as_email: str | None, as_json: bool, operation) -> None:
    with uow() as session:
        out = CommissionOut.of(operation(session, commission_id=commission_id, reason=reason,
                                         actor=cli_actor(session, as_email)))
    if as_json:
        dump(out)
    else:
        console.print(f"commission {out.id} is {out.status} ({out.amount})")


@commissions_app.command("freeze")
def commissions_freeze(commission_id: str, reason: str = typer.Option(..., "--reason"), as_email: str | None = AS,
                       as_json: bool = JSON) -> None:
    """Hold a commission out of settlement (suspected fraud)."""
    _freeze(commission_id, reason, as_email, as_json, service.freeze)


@commissions_app.command("unfreeze")
def commissions_unfreeze(commission_id: str, reason: str = typer.Option(..., "--reason"),
                         as_email: str | None = AS, as_json: bool = JSON) -> None:
    """Let a frozen commission settle again."""
    _freeze(commission_id, reason, as_email, as_json, service.unfreeze)


@collaborations_app.command("list")
def collaborations_list(market: str | None = typer.Option(None, "--market"),
                        kind: str = typer.Option("open", "--kind", help="open or targeted"),
                        shop: str | None = typer.Option(None, "--shop"),
                        q: str | None = typer.Option(None, "--q", help="text in the name or message"),
                        min_rate_bps: int | None = typer.Option(None, "--min-rate-bps"),
                        as_json: bool = JSON) -> None:
    """Active collaborations, oldest first."""
    with uow(write=False) as session:
        rows = every_page(lambda token: service.browse(session, market=market, q=q, min_rate_bps=min_rate_bps,
                                                       kind=kind, shop_id=shop, page_size=200, page_token=token))
        items = [CollaborationOut.of(c, service.product_ids_of(session, c.id)) for c in rows]
    if as_json:
        dump(items)
        return
    table = Table("id", "shop", "market", "kind", "rate", "products", "ends")
    for c in items:
        table.add_row(c.id, c.shop_id, c.market, c.kind, f"{c.commission_rate_bps / 100:g}%",
                      "all" if c.all_products else str(len(c.product_ids)), when(c.ends_at))
    console.print(table)


@collaborations_app.command("show")
def collaborations_show(collaboration_id: str, as_email: str | None = AS, as_json: bool = JSON) -> None:
    """One collaboration with its members."""
    with uow(write=False) as session:
        actor = cli_actor(session, as_email)
        collab = service.get_collaboration(session, collaboration_id)
        out = CollaborationOut.of(collab, service.product_ids_of(session, collab.id))
        members = [MembershipOut.model_validate(m) for m in service.members(session, collaboration_id=collab.id,
                                                                              actor=actor)]
    if as_json:
        dump({"collaboration": out.model_dump(mode="json"), "members": [m.model_dump(mode="json") for m in members]})
        return
    console.print(f"[bold]{out.id}[/bold] {out.kind} {out.status} shop {out.shop_id} ({out.market}) "
                  f"{out.commission_rate_bps / 100:g}%  products: {'all' if out.all_products else out.product_ids}")
    table = Table("creator", "status", "rate", "locked until", "pending rate", "from")
    for m in members:
        table.add_row(m.creator_id, m.status, f"{m.commission_rate_bps / 100:g}%", when(m.locked_until),
                      f"{m.pending_rate_bps / 100:g}%" if m.pending_rate_bps else "-", when(m.pending_from))
    console.print(table)


@collaborations_app.command("set-rate")
def collaborations_set_rate(collaboration_id: str, rate_bps: int = typer.Argument(..., help="basis points"),
                            as_email: str | None = AS, as_json: bool = JSON) -> None:
    """Change the rate: increases at once, decreases when each member's lock ends."""
    with uow() as session:
        collab = service.change_rate(session, collaboration_id=collaboration_id, commission_rate_bps=rate_bps,
                                     actor=cli_actor(session, as_email))
        out = CollaborationOut.of(collab, service.product_ids_of(session, collab.id))
    if as_json:
        dump(out)
    else:
        console.print(f"collaboration {out.id} now offers {out.commission_rate_bps / 100:g}%")


@collaborations_app.command("end")
def collaborations_end(collaboration_id: str, as_email: str | None = AS) -> None:
    """End it: attribution stops from the next day in the market's timezone."""
    with uow() as session:
        collab = service.end(session, collaboration_id=collaboration_id, actor=cli_actor(session, as_email))
    console.print(f"collaboration {collab.id} ended; sales attribute until {when(collab.ends_at)} UTC")


def register(root: typer.Typer) -> None:
    root.add_typer(commissions_app, name="commissions", help="Creators' commissions: list, freeze, unfreeze.")
    root.add_typer(collaborations_app, name="collaborations", help="Shops' collaborations with creators.")
