"""`marketcast finance …`: a shop's ledger, balance, fees, statements and payouts; operators' adjustments,
statements across shops and the settlement run."""

import csv
import sys
from typing import Any

import typer
from rich.table import Table

from marketcast.cli.common import AS, JSON, cli_actor, console, dump, every_page, parse_at, uow, when
from marketcast.core.money import Money
from marketcast.finance import service
from marketcast.finance.schemas import (
    BalanceOut,
    FeeRateOut,
    LedgerEntryOut,
    MarketTotalsOut,
    ShopPayoutOut,
    ShopStatementDetailOut,
    ShopStatementOut,
)

app = typer.Typer(no_args_is_help=True)
FROM = typer.Option(None, "--from", help="from this ISO date or time (included)")
TO = typer.Option(None, "--to", help="before this ISO date or time")


def _m(amount: int, currency: str) -> str:
    return str(Money(amount=amount, currency=currency))


@app.command("ledger")
def ledger(shop_id: str, since: str | None = FROM, before: str | None = TO,
           kind: str | None = typer.Option(None, "--kind", help="sale, refund, referral_fee, fee_refund, commission, "
                                                               "benefit or adjustment"),
           as_email: str | None = AS, as_json: bool = JSON) -> None:
    """The shop's ledger, oldest first, signed from the shop's side."""
    with uow(write=False) as session:
        actor = cli_actor(session, as_email)
        rows = every_page(lambda token: service.entries(
            session, shop_id=shop_id, actor=actor, since=parse_at(since) if since else None,
            before=parse_at(before) if before else None, kind=kind, page_size=200, page_token=token))
        items = [LedgerEntryOut.of(v) for v in service.views(session, rows)]
    if as_json:
        dump(items)
        return
    table = Table("id", "when", "kind", "order", "amount", "status", "due", "memo")
    for e in items:
        table.add_row(e.id, when(e.occurred_at), e.kind, e.order_id or "-", str(e.amount), e.status, when(e.due_at),
                      e.memo)
    console.print(table)


@app.command("balance")
def balance(shop_id: str, as_email: str | None = AS, as_json: bool = JSON) -> None:
    """pending, payable (with what was carried) and paid."""
    with uow(write=False) as session:
        out = BalanceOut.of(service.balance(session, shop_id=shop_id, actor=cli_actor(session, as_email)))
    if as_json:
        dump(out)
    else:
        console.print(f"pending {out.pending} · payable {out.payable} (carried {out.carried}) · paid {out.paid} "
                      f"(scheduled {out.scheduled})")


@app.command("fees")
def fees(shop_id: str, at: str | None = typer.Option(None, "--at", help="as of (default now)"),
         as_email: str | None = AS, as_json: bool = JSON) -> None:
    """The referral fee (and fixed fee per order) an order of the shop is charged at a moment."""
    with uow(write=False) as session:
        out = FeeRateOut.of(service.fee_rate(session, shop_id=shop_id, at=parse_at(at),
                                             actor=cli_actor(session, as_email)))
    if as_json:
        dump(out)
    else:
        console.print(f"{out.referral_fee_bps / 100:g}% referral fee ({out.base_bps / 100:g}% less a "
                      f"{out.discount_bps / 100:g}% discount) + {out.fixed_fee} per order, as of {when(out.at)}")


@app.command("statements")
def statements(shop_id: str, as_email: str | None = AS, as_json: bool = JSON) -> None:
    """The shop's closed statements, oldest first."""
    with uow(write=False) as session:
        actor = cli_actor(session, as_email)
        items = [ShopStatementOut.of(s) for s in every_page(lambda token: service.statements_of_shop(
            session, shop_id=shop_id, actor=actor, page_size=200, page_token=token))]
    if as_json:
        dump(items)
        return
    _statements_table(items)


def _statements_table(items: list[ShopStatementOut]) -> None:
    table = Table("id", "shop", "period", "sales", "fees", "net", "carried in", "paid out", "carried out")
    for s in items:
        table.add_row(s.id, s.shop_id, f"{when(s.period_start)} – {when(s.period_end)}", str(s.sales), str(s.fees),
                      str(s.net), str(s.carried_in), str(s.paid_out), str(s.carried_out))
    console.print(table)


@app.command("statement")
def statement(shop_id: str, statement_id: str,
              as_csv: bool = typer.Option(False, "--csv", help="the entries behind it as CSV"),
              as_email: str | None = AS, as_json: bool = JSON) -> None:
    """One statement: its lines and the entries behind them."""
    with uow(write=False) as session:
        found = service.detail(session, shop_id=shop_id, statement_id=statement_id,
                               actor=cli_actor(session, as_email))
        out = ShopStatementDetailOut.of_detail(found)
        rows = service.csv_rows(found)
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(service.CSV_COLUMNS)
        writer.writerows(rows)
        return
    if as_json:
        dump(out)
        return
    for line in out.lines:
        console.print(f"{line.line:<12} {line.amount!s:>16}  ({len(line.entries)} entries)")
    console.print(f"{'net':<12} {out.net!s:>16}; carried in {out.carried_in}, paid out {out.paid_out}, "
                  f"carried out {out.carried_out}")


@app.command("payouts")
def payouts(shop_id: str, as_email: str | None = AS, as_json: bool = JSON) -> None:
    """The shop's payouts."""
    with uow(write=False) as session:
        items = [ShopPayoutOut.of(p) for p in service.payouts_of(session, shop_id=shop_id,
                                                              actor=cli_actor(session, as_email))]
    if as_json:
        dump(items)
        return
    table = Table("id", "statement", "amount", "status", "reference", "created", "paid")
    for p in items:
        table.add_row(p.id, p.statement_id, str(p.amount), p.status, p.reference or "-", when(p.created_at),
                      when(p.paid_at))
    console.print(table)


@app.command("pay")
def pay(payout_id: str, reference: str = typer.Option(..., "--reference", help="the transfer's reference"),
        as_email: str | None = AS, as_json: bool = JSON) -> None:
    """Record a scheduled payout as sent (operators)."""
    with uow() as session:
        out = ShopPayoutOut.of(service.mark_paid(session, payout_id=payout_id, reference=reference,
                                             actor=cli_actor(session, as_email)))
    if as_json:
        dump(out)
    else:
        console.print(f"payout {out.id} of {out.amount} is {out.status} ({out.reference})")


@app.command("adjust")
def adjust(shop_id: str, amount: int = typer.Option(..., "--amount", help="minor units, signed from the shop's side "
                                                                     "(--amount=-250 takes $2.50 off)"),
           currency: str = typer.Option("USD", "--currency"), reason: str = typer.Option(..., "--reason"),
           as_email: str | None = AS, as_json: bool = JSON) -> None:
    """Post an operator's adjustment to a shop's ledger (a new entry; entries are never edited)."""
    with uow() as session:
        entry = service.adjust(session, shop_id=shop_id, amount=amount, currency=currency.upper(), reason=reason,
                               actor=cli_actor(session, as_email))
        out = LedgerEntryOut.of(service.views(session, [entry])[0])
    if as_json:
        dump(out)
    else:
        console.print(f"adjustment {out.id}: {out.amount} ({out.memo})")


@app.command("all-statements")
def all_statements(market: str | None = typer.Option(None, "--market"), shop: str | None = typer.Option(None, "--shop"),
                   since: str | None = typer.Option(None, "--from", help="periods starting from this date"),
                   before: str | None = typer.Option(None, "--to", help="periods starting before this date"),
                   as_email: str | None = AS, as_json: bool = JSON) -> None:
    """Operators: statements across shops, with totals per market."""
    with uow(write=False) as session:
        actor = cli_actor(session, as_email)
        filters: dict[str, Any] = {"market": market, "shop_id": shop, "period_from": parse_at(since) if since else None,
                   "period_to": parse_at(before) if before else None}
        items = [ShopStatementOut.of(s) for s in every_page(lambda token: service.list_for_operator(
            session, actor=actor, **filters, page_size=200, page_token=token))]
        totals = [MarketTotalsOut(**t) for t in service.totals_by_market(session, actor=actor, **filters)]
    if as_json:
        dump({"items": [s.model_dump(mode="json") for s in items], "totals": [t.model_dump() for t in totals]})
        return
    _statements_table(items)
    table = Table("market", "statements", "sales", "refunds", "fees", "commissions", "benefits", "net", "paid out",
                  "carried out")
    for t in totals:
        table.add_row(t.market, str(t.statements), *(_m(getattr(t, c), t.currency) for c in (
            "sales", "refunds", "fees", "commissions", "benefits", "net", "paid_out", "carried_out")))
    console.print(table)


@app.command("settle")
def settle() -> None:
    """Close the statements of the period that ended now (what the worker's finance_settlement job does)."""
    with uow() as session:
        closed = service.close_due(session)
    console.print(f"{closed} statements closed")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="finance", help="Fees, shops' ledgers, balances, statements and payouts.")
