"""Platform fees: the referral fee (finance.fee.referral_bps of what the buyer paid) and the fixed fee per
order (finance.fee.per_order), per market as policies (docs/fees.md), less the best referral-fee discount a
shop holds at that moment.

Discounts are rows of this area (`finance_fee_discounts`) that a higher area (programs) grants through
`finance.service.grant_fee_discount`: finance never imports it, and a fee charged records the discount used."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from marketcast.core import clock
from marketcast.core.auth.actor import Actor
from marketcast.core.errors import Invalid, NotFound
from marketcast.core.ids import new_id
from marketcast.core.text import reason as check_reason
from marketcast.finance import rules
from marketcast.finance.models import FeeDiscount, LedgerEntry
from marketcast.markets import service as markets
from marketcast.policies import service as policies
from marketcast.sellers import service as sellers

REFERRAL_KEY = "finance.fee.referral_bps"
FIXED_KEY = "finance.fee.per_order"


@dataclass(frozen=True)
class FeeRate:
    """The fees in force for a shop at a moment, and where they came from."""

    shop_id: str
    market: str
    currency: str
    at: datetime
    base_bps: int  # the market's policy
    discount_bps: int  # the best discount the shop holds then (0: none)
    discount_id: str | None
    fixed_fee: int  # minor units of `currency`; 0 when the policy is none or in another currency
    base_version_id: str | None
    fixed_version_id: str | None

    @property
    def referral_bps(self) -> int:
        return rules.effective_rate(self.base_bps, self.discount_bps)

    def as_meta(self) -> dict:
        return {"referral_bps": self.referral_bps, "base_bps": self.base_bps, "discount_bps": self.discount_bps,
                "discount_id": self.discount_id, "fixed_fee": self.fixed_fee,
                "policy_versions": {REFERRAL_KEY: self.base_version_id, FIXED_KEY: self.fixed_version_id}}


def _best_discount(session: Session, shop_id: str, at: datetime) -> FeeDiscount | None:
    """Discounts do not add up: the largest one running at `at` applies (ties: the oldest grant); a revoked one
    applies only before it was revoked."""
    return session.scalar(select(FeeDiscount).where(FeeDiscount.shop_id == shop_id, FeeDiscount.starts_at <= at,
                                                    FeeDiscount.ends_at > at,
                                                    or_(FeeDiscount.revoked_at.is_(None), FeeDiscount.revoked_at > at))
                          .order_by(FeeDiscount.discount_bps.desc(), FeeDiscount.id).limit(1))


def rate_for(session: Session, *, shop_id: str, market: str, currency: str, at: datetime) -> FeeRate:
    base = policies.policy_value(session, key=REFERRAL_KEY, market=market, at=at)
    fixed = policies.policy_value(session, key=FIXED_KEY, market=market, at=at)
    fixed_fee = int(fixed.value["amount"]) if fixed.value and fixed.value.get("currency") == currency else 0
    discount = _best_discount(session, shop_id, at)
    return FeeRate(shop_id=shop_id, market=market, currency=currency, at=at, base_bps=int(base.value),
                   discount_bps=discount.discount_bps if discount else 0, discount_id=discount.id if discount else None,
                   fixed_fee=fixed_fee, base_version_id=base.version_id, fixed_version_id=fixed.version_id)


def fee_rate(session: Session, *, shop_id: str, at: datetime | None = None, actor: Actor | None = None) -> FeeRate:
    """The fees in force for a shop at `at` (default now); with `actor`, only for its seller or an operator."""
    shop = sellers.require_shop_owner(session, shop_id=shop_id, actor=actor) if actor else \
        sellers.get_shop(session, shop_id)
    when = clock.as_utc_input(at, "at") if at is not None else clock.now()
    return rate_for(session, shop_id=shop.id, market=shop.market, currency=markets.get(session, shop.market).currency,
                    at=when)


def referral_fee_bps(session: Session, shop_id: str, at: datetime | None = None) -> int:
    """The referral-fee rate, in basis points, a shop's order paid at `at` is charged: the market's policy less
    the best discount the shop holds then."""
    return fee_rate(session, shop_id=shop_id, at=at).referral_bps


def order_fee(rate: FeeRate, paid: int) -> tuple[int, int]:
    """(referral part, fixed part) of the fee on an order the buyer paid `paid` for."""
    return rules.referral_fee(paid, rate.referral_bps), rate.fixed_fee if paid > 0 else 0


def grant_fee_discount(session: Session, *, shop_id: str, discount_bps: int, starts_at: datetime, ends_at: datetime,
                       source: str, reference: str, reason: str) -> FeeDiscount:
    """A referral-fee discount for a shop over [starts_at, ends_at). Granting again with the same source and
    reference returns the first grant (a unique constraint holds it), so a re-run job grants nothing twice."""
    shop = sellers.get_shop(session, shop_id)
    if isinstance(discount_bps, bool) or not isinstance(discount_bps, int) or not 0 < discount_bps <= rules.BPS:
        raise Invalid(f"discount_bps must be between 1 and {rules.BPS}", code="invalid_discount", field="discount_bps")
    start, end = clock.as_utc_input(starts_at, "starts_at"), clock.as_utc_input(ends_at, "ends_at")
    if end <= start:
        raise Invalid("ends_at must be after starts_at", code="invalid_date_range", field="ends_at")
    why = check_reason(reason)
    found = session.scalar(select(FeeDiscount).where(FeeDiscount.shop_id == shop.id, FeeDiscount.source == source,
                                                     FeeDiscount.reference == reference))
    if found is not None:
        return found
    grant = FeeDiscount(id=new_id("fdc"), shop_id=shop.id, discount_bps=discount_bps, starts_at=start, ends_at=end,
                        source=source[:40], reference=reference[:120], reason=why, created_at=clock.now())
    session.add(grant)
    session.flush()
    return grant


def revoke_fee_discount(session: Session, *, discount_id: str, reason: str) -> tuple[FeeDiscount, int]:
    """Withdraw a discount from now on (a clawback), and say what it saved the shop so far: for each order paid
    under it, the referral fee at the market's rate less the fee charged, on what the buyer kept after refunds.
    The caller books that back as a ledger entry; the fees already charged are never rewritten. Revoking twice
    revokes once (the first revocation's time stands)."""
    grant = session.scalar(select(FeeDiscount).where(FeeDiscount.id == discount_id).with_for_update())
    if grant is None:
        raise NotFound("fee_discount", discount_id)
    if grant.revoked_at is None:
        grant.revoked_at = max(clock.now(), grant.starts_at)
        grant.revoked_reason = check_reason(reason)
        session.flush()
    return grant, saved_by(session, grant)


def saved_by(session: Session, grant: FeeDiscount) -> int:
    """Minor units a discount saved its shop on the orders it applied to (net of what refunds gave back)."""
    until = min(grant.ends_at, grant.revoked_at) if grant.revoked_at is not None else grant.ends_at
    fees_charged = session.scalars(select(LedgerEntry).where(
        LedgerEntry.shop_id == grant.shop_id, LedgerEntry.kind == "referral_fee",
        LedgerEntry.occurred_at >= grant.starts_at, LedgerEntry.occurred_at < until))
    saved = 0
    for entry in fees_charged:
        meta = entry.meta or {}
        if meta.get("discount_id") != grant.id:
            continue
        paid = int(meta["base"])
        full = rules.referral_fee(paid, int(meta["base_bps"])) - int(meta["referral"])
        refunded = -int(session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.order_id == entry.order_id, LedgerEntry.kind == "refund")) or 0)
        saved += full - rules.fee_given_back(fee=full, paid=paid, refunded=refunded)
    return saved


def discounts_of(session: Session, *, shop_id: str) -> list[FeeDiscount]:
    return list(session.scalars(select(FeeDiscount).where(FeeDiscount.shop_id == shop_id)
                                .order_by(FeeDiscount.starts_at, FeeDiscount.id)))
