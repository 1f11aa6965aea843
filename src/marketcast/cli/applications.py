"""`marketcast applications …`: the review queue and decisions, the same operations as the API."""

import typer
from rich.table import Table

from marketcast.cli.common import AS, JSON, cli_actor, console, dump, every_page, uow
from marketcast.core.chunks import commit_each
from marketcast.sellers import service

app = typer.Typer(no_args_is_help=True)



def _summary(a) -> dict:
    return {"id": a.id, "seller_id": a.seller_id, "market": a.market, "shop_type": a.shop_type, "mode": a.mode,
            "shop_name": a.shop_name, "status": a.status, "rejected_by": a.rejected_by, "outcome": a.outcome,
            "failed_rules": [r for r in a.failed_rules.split(",") if r], "evaluated_at": a.evaluated_at.isoformat(),
            "shop_id": a.shop_id}


@app.command("list")
def list_cmd(market: str | None = typer.Option(None, "--market"),
             outcome: str | None = typer.Option(None, "--outcome", help="eligible or ineligible"),
             status: str | None = typer.Option(None, "--status", help="open, approved or rejected"),
             as_json: bool = JSON, as_email: str | None = AS) -> None:
    """The review queue, oldest first."""
    with uow(write=False) as session:
        actor = cli_actor(session, as_email)
        items = [_summary(a) for a in every_page(lambda token: service.list_applications(
            session, actor=actor, market=market, outcome=outcome, status=status, page_size=200, page_token=token))]
    if as_json:
        dump(items)
        return
    table = Table("id", "market", "type", "status", "outcome", "failed rules", "shop")
    for a in items:
        table.add_row(a["id"], a["market"], a["shop_type"], a["status"], a["outcome"],
                      ", ".join(a["failed_rules"]) or "-", a["shop_id"] or "-")
    console.print(table)


@app.command("show")
def show_cmd(application_id: str, as_json: bool = JSON, as_email: str | None = AS) -> None:
    """One application, its latest decision and why."""
    with uow(write=False) as session:
        found = service.get_application(session, application_id, actor=cli_actor(session, as_email))
        out = _summary(found) | {"decision": found.decision, "explanation": service.explain(found)}
    if as_json:
        dump(out)
        return
    console.print(f"[bold]{out['id']}[/bold] {out['market']} {out['shop_type']} {out['mode']}: "
                  f"{out['status']}, {out['outcome']}", highlight=False, soft_wrap=True)
    for line in out["explanation"]:
        console.print("  " + line, highlight=False, markup=False, soft_wrap=True)  # whole sentences, greppable


@app.command("approve")
def approve_cmd(application_id: str, reason: str = typer.Option(..., "--reason"),
                override: list[str] = typer.Option([], "--override", help="a failed rule to override (repeat)"),
                as_email: str | None = AS) -> None:
    """Approve an application and open its shop on probation; failed rules must each be overridden."""
    with uow() as session:
        found = service.approve(session, application_id=application_id, reason=reason, override_rules=override,
                                actor=cli_actor(session, as_email))
        shop_id = found.shop_id
    console.print(f"approved {application_id}: shop {shop_id} on probation", highlight=False, soft_wrap=True)


@app.command("reject")
def reject_cmd(application_id: str, reason: str = typer.Option(..., "--reason"), as_email: str | None = AS) -> None:
    """Reject an open application."""
    with uow() as session:
        found = service.reject(session, application_id=application_id, reason=reason,
                               actor=cli_actor(session, as_email))
        by = found.rejected_by
    console.print(f"rejected {application_id} (on the {'rules' if by == 'rules' else 'reviewer'}'s verdict)",
                  highlight=False, soft_wrap=True)


@app.command("reevaluate")
def reevaluate_cmd(market: str = typer.Option(..., "--market"), as_json: bool = JSON,
                   as_email: str | None = AS) -> None:
    """Re-judge a market's open and rules-rejected applications against the policies in force now."""
    # No --at: a verdict written as of another time would overwrite the current one.
    with uow() as session:
        actor = cli_actor(session, as_email)
        counts = service.total(commit_each(session, service.reevaluate_chunks(
            session, market=market, trigger=f"cli by {actor.email}", actor=actor)))  # a transaction per chunk
    if as_json:
        dump(counts)
        return
    console.print(f"{market.upper()}: {counts['evaluated']} judged, {counts['now_eligible']} now eligible, "
                  f"{counts['no_longer_eligible']} no longer eligible", highlight=False, soft_wrap=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="applications", help="Seller applications: review queue, decisions.")
