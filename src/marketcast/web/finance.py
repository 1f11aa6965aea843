"""Console pages of the finance area: a shop's money (balance, the next payout, payouts scheduled, fees in force,
statements, the ledger), a statement with its lines, the entries behind them and each order's part (CSV too);
operators' adjustments and payouts marked paid; operators' statements across shops with totals per market."""

import csv
import io
from datetime import date, datetime, time, timedelta
from typing import Annotated, TypedDict

from fastapi import APIRouter, Form, Request, Response

from marketcast.core import clock
from marketcast.core.errors import DomainError, Invalid
from marketcast.core.web_deps import UnitOfWork
from marketcast.finance import service as finance
from marketcast.markets import service as markets
from marketcast.policies import service as policies
from marketcast.sellers import service as sellers
from marketcast.web.common import ConsoleOperator, ConsoleUser, Csrf, form_failed, redirect, render
from marketcast.web.forms import minor_units
from marketcast.web.listing import PAGE_SIZE, PageParams, listing

router = APIRouter()
KINDS = ("sale", "refund", "referral_fee", "fee_refund", "commission", "benefit", "adjustment")


@router.get("/finance")
def finance_home(request: Request, uow: UnitOfWork, actor: ConsoleUser):
    """Operators go to the statements across shops; a seller with one shop to its page, else picks a shop."""
    if actor.is_operator:
        return redirect("/finance/statements")
    shops = sellers.shops_of(uow, actor=actor)
    if len(shops) == 1:
        return redirect(f"/shops/{shops[0].id}/finance")
    return render(request, "finance_home.html", actor=actor, shops=shops)


@router.get("/shops/{shop_id}/finance")
def shop_finance(request: Request, shop_id: str, uow: UnitOfWork, actor: ConsoleUser, page: PageParams):
    shop = sellers.require_shop_owner(uow, shop_id=shop_id, actor=actor)
    statements = listing(request, finance.statements_of_shop(uow, shop_id=shop.id, actor=actor, page_size=PAGE_SIZE,
                                                             page_token=page.token), page)
    return render(request, "finance_shop.html", actor=actor, shop=shop,
                  balance=finance.balance(uow, shop_id=shop.id, actor=actor),
                  upcoming=finance.upcoming(uow, shop_id=shop.id, actor=actor),
                  payouts=finance.payouts_of(uow, shop_id=shop.id, actor=actor),
                  rate=finance.fee_rate(uow, shop_id=shop.id, actor=actor), statements=statements,
                  currency=markets.get(uow, shop.market).currency,
                  hold_days=policies.value(uow, key="shop.settlement.hold_days", market=shop.market))


@router.get("/shops/{shop_id}/finance/ledger")
def shop_ledger(request: Request, shop_id: str, uow: UnitOfWork, actor: ConsoleUser, page: PageParams,
                kind: str = "", order: str = ""):
    shop = sellers.require_shop_owner(uow, shop_id=shop_id, actor=actor)
    filters = {"kind": kind, "order": order}
    paged = finance.entries(uow, shop_id=shop.id, actor=actor, kind=kind or None, order_id=order.strip() or None,
                            page_size=PAGE_SIZE, page_token=page.token)
    entries = listing(request, paged, page, filters)
    return render(request, "finance_ledger.html", actor=actor, shop=shop, entries=entries,
                  views=finance.views(uow, entries.rows), kinds=KINDS)


@router.get("/shops/{shop_id}/finance/statements/{statement_id}")
def shop_statement(request: Request, shop_id: str, statement_id: str, uow: UnitOfWork, actor: ConsoleUser):
    found = finance.detail(uow, shop_id=shop_id, statement_id=statement_id, actor=actor)
    return render(request, "finance_statement.html", actor=actor, shop=sellers.get_shop(uow, shop_id), d=found,
                  s=found.statement)


@router.get("/shops/{shop_id}/finance/statements/{statement_id}/entries.csv")
def shop_statement_csv(shop_id: str, statement_id: str, uow: UnitOfWork, actor: ConsoleUser):
    found = finance.detail(uow, shop_id=shop_id, statement_id=statement_id, actor=actor)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(finance.CSV_COLUMNS)
    writer.writerows(finance.csv_rows(found))
    return Response(out.getvalue(), media_type="text/csv", headers={
        "content-disposition": f'attachment; filename="statement-{found.statement.id}.csv"'})


def _signed_minor_units(text: str, currency: str) -> int:
    """'-2.50' in USD -> -250 (a minus, or the typographic one, in front)."""
    cleaned = (text or "").strip()
    negative = cleaned[:1] in ("-", "\u2212")
    value = minor_units(cleaned[1:] if negative else cleaned.lstrip("+"), currency, "amount")
    return -value if negative else value


@router.post("/shops/{shop_id}/finance/adjustments")
def post_adjustment(request: Request, shop_id: str, uow: UnitOfWork, actor: ConsoleOperator, _: Csrf,
                    amount: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = ""):
    back = f"/shops/{shop_id}/finance"
    try:
        shop = sellers.require_shop_owner(uow, shop_id=shop_id, actor=actor)
        currency = markets.get(uow, shop.market).currency
        entry = finance.adjust(uow, shop_id=shop.id, amount=_signed_minor_units(amount, currency), currency=currency,
                               reason=reason, actor=actor)
    except DomainError as exc:
        if exc.field and exc.field.startswith("amount"):
            exc.field = "amount"  # the form has one amount field; the API names amount.amount / amount.currency
        return form_failed(request, uow, exc, back, {"amount": amount, "reason": reason})
    return redirect(back, f"adjustment {entry.id} posted", request)


@router.post("/shops/{shop_id}/finance/payouts/{payout_id}/paid")
def payout_paid(request: Request, shop_id: str, payout_id: str, uow: UnitOfWork, actor: ConsoleOperator, _: Csrf,
                reference: Annotated[str, Form()] = ""):
    back = f"/shops/{shop_id}/finance"
    try:
        payout = finance.mark_paid(uow, payout_id=payout_id, reference=reference, actor=actor)
    except DomainError as exc:
        return form_failed(request, uow, exc, back, {"reference": reference})
    return redirect(back, f"payout {payout.id} marked paid ({payout.reference})", request)


class _StatementFilters(TypedDict):
    market: str | None
    shop_id: str | None
    period_from: datetime | None
    period_to: datetime | None


def _day_start(text: str, field: str) -> datetime | None:
    if not text:
        return None
    try:
        return clock.as_utc(datetime.combine(date.fromisoformat(text.strip()), time()))
    except ValueError:
        raise Invalid(f"{text!r} is not a date such as 2024-06-01", field=field) from None


@router.get("/finance/statements")
def operator_statements(request: Request, uow: UnitOfWork, actor: ConsoleOperator, page: PageParams,
                        market: str = "", shop: str = "", period_from: str = "", period_to: str = ""):
    filters = {"market": market, "shop": shop, "period_from": period_from, "period_to": period_to}
    if market.strip():
        markets.get(uow, market.strip().upper())  # an unknown market is a 404, as on every console page
    to_day = _day_start(period_to, "period_to")
    query: _StatementFilters = {"market": market.strip() or None, "shop_id": shop.strip() or None,
                                "period_from": _day_start(period_from, "period_from"),
                                "period_to": to_day + timedelta(days=1) if to_day else None}
    paged = finance.list_for_operator(uow, actor=actor, **query, page_size=PAGE_SIZE, page_token=page.token)
    statements = listing(request, paged, page, filters)
    names = {shop_id: sellers.get_shop(uow, shop_id).name for shop_id in {s.shop_id for s in statements}}
    return render(request, "finance_statements.html", actor=actor, statements=statements, names=names,
                  totals=finance.totals_by_market(uow, actor=actor, **query))
