"""The finance area over HTTP: a shop's ledger, balance and fees (its seller, operators of its market),
operators' adjustments; statements and payouts."""

import csv
import io
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response, status

from marketcast.core.auth.actor import Actor
from marketcast.core.money import Money
from marketcast.core.openapi import api_router, raises
from marketcast.core.pagination import Page, PageSize, PageToken
from marketcast.core.web_deps import Operator, UnitOfWork, requires
from marketcast.finance import service
from marketcast.finance.schemas import (
    AdjustmentIn,
    BalanceOut,
    FeeRateOut,
    LedgerEntryKind,
    LedgerEntryOut,
    MarketTotalsOut,
    OperatorStatementsOut,
    PaidIn,
    ShopPayoutOut,
    ShopPayoutStatus,
    ShopStatementDetailOut,
    ShopStatementOut,
    UpcomingOut,
)

router = api_router("finance", "Platform fees, each shop's ledger (signed from the shop's side), its balance, "
                    "seller statements per period and payouts.")
Seller = Annotated[Actor, Depends(requires("seller", "operator"))]
SHOP_READ = ("shop_not_found", "not_owner", "market_out_of_scope")


@router.get("/shops/{shop_id}/ledger", response_model=Page[LedgerEntryOut])
@raises(*SHOP_READ, "invalid_date_range")
def list_ledger_entries(
    shop_id: str, uow: UnitOfWork, actor: Seller,
    from_: Annotated[datetime | None, Query(alias="from", description="entries from this time (included)")] = None,
    to: Annotated[datetime | None, Query(description="entries before this time")] = None,
    kind: LedgerEntryKind | None = None, order_id: Annotated[str | None, Query(max_length=32)] = None,
    page_size: PageSize = None, page_token: PageToken = None,
):
    """The shop's ledger, oldest first: each entry signed from the shop's side, with where it stands (pending
    within the hold, payable, or on a statement)."""
    rows, token = service.entries(uow, shop_id=shop_id, actor=actor, since=from_, before=to, kind=kind,
                                  order_id=order_id, page_size=page_size, page_token=page_token)
    return Page[LedgerEntryOut](items=[LedgerEntryOut.of(v) for v in service.views(uow, rows)],
                                next_page_token=token)


@router.get("/shops/{shop_id}/balance", response_model=BalanceOut)
@raises(*SHOP_READ)
def get_shop_balance(shop_id: str, uow: UnitOfWork, actor: Seller):
    """pending (not payable before shop.settlement.hold_days after delivery), payable (due, not yet paid out,
    with what the last statement carried) and paid; the three add up to the whole ledger."""
    return BalanceOut.of(service.balance(uow, shop_id=shop_id, actor=actor))


@router.get("/shops/{shop_id}/fees", response_model=FeeRateOut)
@raises(*SHOP_READ)
def get_shop_fees(shop_id: str, uow: UnitOfWork, actor: Seller,
                  at: Annotated[datetime | None, Query(description="as of (default now)")] = None):
    """The fees an order of the shop paid at `at` is charged: the referral fee (the market's
    finance.fee.referral_bps less the shop's best discount then) and the fixed fee per order."""
    return FeeRateOut.of(service.fee_rate(uow, shop_id=shop_id, at=at, actor=actor))


@router.post("/shops/{shop_id}/adjustments", status_code=status.HTTP_201_CREATED, response_model=LedgerEntryOut)
@raises(*SHOP_READ, "invalid_entry_amount", "currency_not_of_market", "reason_required", "invalid_reason",
        "reason_too_long")
def post_adjustment(shop_id: str, body: AdjustmentIn, uow: UnitOfWork, actor: Operator):
    """An operator's correction to a shop's ledger (signed from the shop's side) with a reason; payable at once
    and on the shop's next statement. Entries are never edited: a correction is a new entry."""
    entry = service.adjust(uow, shop_id=shop_id, amount=body.amount.amount, currency=body.amount.currency,
                           reason=body.reason, actor=actor)
    return LedgerEntryOut.of(service.views(uow, [entry])[0])


CSV_RESPONSE: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                      "description": "with Accept: text/csv, the entries behind the statement: "
                                     + ",".join(service.CSV_COLUMNS)}}


@router.get("/shops/{shop_id}/statements", response_model=Page[ShopStatementOut])
@raises(*SHOP_READ)
def list_shop_statements(shop_id: str, uow: UnitOfWork, actor: Seller, page_size: PageSize = None,
                         page_token: PageToken = None):
    """The shop's closed statements, oldest first."""
    rows, token = service.statements_of_shop(uow, shop_id=shop_id, actor=actor, page_size=page_size,
                                             page_token=page_token)
    return Page[ShopStatementOut](items=[ShopStatementOut.of(s) for s in rows], next_page_token=token)


@router.get("/shops/{shop_id}/statements/{statement_id}", response_model=ShopStatementDetailOut,
            responses=CSV_RESPONSE)
@raises(*SHOP_READ, "statement_not_found")
def get_shop_statement(shop_id: str, statement_id: str, request: Request, uow: UnitOfWork, actor: Seller):
    """A statement: each line with the entries behind it, each order's part, the payout. With
    `Accept: text/csv`, one row per entry."""
    found = service.detail(uow, shop_id=shop_id, statement_id=statement_id, actor=actor)
    if "text/csv" in request.headers.get("accept", ""):
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(service.CSV_COLUMNS)
        writer.writerows(service.csv_rows(found))
        return Response(out.getvalue(), media_type="text/csv", headers={
            "content-disposition": f'attachment; filename="statement-{found.statement.id}.csv"'})
    return ShopStatementDetailOut.of_detail(found)


@router.get("/shops/{shop_id}/payouts/upcoming", response_model=UpcomingOut)
@raises(*SHOP_READ)
def get_upcoming_payout(shop_id: str, uow: UnitOfWork, actor: Seller):
    """When the shop's next statement closes and what it would pay with what is known now; the payouts
    scheduled and not yet made."""
    nxt = service.upcoming(uow, shop_id=shop_id, actor=actor)
    scheduled = service.payouts_of(uow, shop_id=shop_id, actor=actor, status="scheduled")
    return UpcomingOut(shop_id=shop_id, period_start=nxt.period_start, closes_at=nxt.closes_at,
                       expected=Money(amount=nxt.expected, currency=nxt.currency),
                       min_payout=Money(amount=nxt.min_payout, currency=nxt.currency), pays=nxt.pays,
                       scheduled=[ShopPayoutOut.of(p) for p in scheduled])


@router.get("/shops/{shop_id}/payouts", response_model=list[ShopPayoutOut])
@raises(*SHOP_READ)
def list_shop_payouts(shop_id: str, uow: UnitOfWork, actor: Seller,
                      status: ShopPayoutStatus | None = None):
    """The shop's payouts, one per statement that reached the minimum payout."""
    return [ShopPayoutOut.of(p) for p in service.payouts_of(uow, shop_id=shop_id, actor=actor, status=status)]


@router.post("/payouts/{payout_id}/paid", response_model=ShopPayoutOut)
@raises("payout_not_found", "market_out_of_scope", "reason_required", "invalid_reason", "reason_too_long",
        "payout_not_scheduled")
def mark_payout_paid(payout_id: str, body: PaidIn, uow: UnitOfWork, actor: Operator):
    """Operators of its market record a scheduled payout as sent, with the transfer's reference (once)."""
    return ShopPayoutOut.of(service.mark_paid(uow, payout_id=payout_id, reference=body.reference, actor=actor))


@router.get("/statements", response_model=OperatorStatementsOut)
@raises("market_out_of_scope")
def list_statements_across_shops(
    uow: UnitOfWork, actor: Operator, market: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
    shop_id: Annotated[str | None, Query(max_length=32)] = None,
    period_from: Annotated[datetime | None, Query(description="periods starting from this time")] = None,
    period_to: Annotated[datetime | None, Query(description="periods starting before this time")] = None,
    page_size: PageSize = None, page_token: PageToken = None,
):
    """Operators: shops' statements in their markets, filtered, with totals per market over all that match."""
    filters: dict[str, Any] = {"market": market, "shop_id": shop_id, "period_from": period_from, "period_to": period_to}
    rows, token = service.list_for_operator(uow, actor=actor, **filters, page_size=page_size, page_token=page_token)
    return OperatorStatementsOut(items=[ShopStatementOut.of(s) for s in rows], next_page_token=token,
                                 totals=[MarketTotalsOut(**t) for t in service.totals_by_market(uow, actor=actor,
                                                                                               **filters)])
