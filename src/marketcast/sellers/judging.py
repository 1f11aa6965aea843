"""Reading what the rules need, for one application or for a whole market, in a fixed number of queries.

The same three reads (market and policies, best external GMV per currency, contacts in use) serve both
the one-application path and the set-based pass: a filter on `applications` picks which rows they cover.
See docs/adr/0007-set-based-reevaluation.md."""

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from marketcast.core.errors import Invalid, NotFound
from marketcast.markets import service as markets
from marketcast.policies import service as policies
from marketcast.sellers import rules
from marketcast.sellers.models import Application, ExternalRecord, Seller, Shop


def _policy(session: Session, key: str, market: str, at: datetime) -> rules.PolicyValue:
    return policies.policy_value(session, key=key, market=market, at=at)


def context(session: Session, *, market: str, at: datetime, field: str | None = None) -> rules.Context:
    """The market's status and the policies in force at `at`: three queries whatever is judged."""
    try:
        found = markets.get(session, market)
    except NotFound:
        if field:
            raise Invalid(f"market {market.upper()} does not exist", code="unknown_market", field=field) from None
        raise
    return rules.Context(market=found.code, market_status=found.status, launch_window=found.launch_window,
                         min_age=_policy(session, rules.MIN_AGE_KEY, found.code, at),
                         min_external_gmv=_policy(session, rules.MIN_GMV_KEY, found.code, at), at=at)


def best_gmv(session: Session, where: list, *,
             ids: tuple[str, str] | None = None) -> dict[str, dict[str, tuple[int, str]]]:
    """application id -> currency -> (best annual GMV, its platform), for the applications matching `where`
    (`ids`: their first and last id, so the records are read by an index range, not a scan of all of them)."""
    er = ExternalRecord
    rank = func.row_number().over(partition_by=(er.application_id, er.gmv_currency),
                                  order_by=(er.gmv_amount.desc(), er.id)).label("rank")
    query = (select(er.application_id, er.gmv_currency, er.gmv_amount, er.platform, rank)
             .join(Application, Application.id == er.application_id).where(*where))
    if ids is not None:
        query = query.where(er.application_id >= ids[0], er.application_id <= ids[1])
    ranked = query.subquery()
    out: dict[str, dict[str, tuple[int, str]]] = {}
    for app_id, currency, amount, platform, _ in session.execute(select(ranked).where(ranked.c.rank == 1)):
        out.setdefault(app_id, {})[currency] = (amount, platform)
    return out


def contact_clashes(session: Session, where: list) -> dict[str, list[str]]:
    """application id -> what else uses its email or phone: any other shop, or another seller."""
    apps = (select(Application.id, Application.contact_email, Application.contact_phone, Application.seller_id,
                   Application.shop_id).where(*where).cte("candidates"))

    def clash(what: str, owner: Any, column_app: Any, column_owner: Any, not_self: Any):
        return (select(apps.c.id, literal(what), owner.id)
                .select_from(apps.join(owner, and_(column_owner == column_app, not_self))))

    not_own_shop = or_(apps.c.shop_id.is_(None), Shop.id != apps.c.shop_id)
    query = union_all(
        clash("email used by shop", Shop, apps.c.contact_email, Shop.contact_email, not_own_shop),
        clash("phone used by shop", Shop, apps.c.contact_phone, Shop.contact_phone, not_own_shop),
        clash("email used by seller", Seller, apps.c.contact_email, Seller.contact_email,
              Seller.id != apps.c.seller_id),
        clash("phone used by seller", Seller, apps.c.contact_phone, Seller.contact_phone,
              Seller.id != apps.c.seller_id),
    )
    out: dict[str, list[str]] = {}
    for app_id, what, owner_id in session.execute(query):
        out.setdefault(app_id, []).append(f"{what} {owner_id}")
    for found in out.values():
        found.sort()
    return out


def candidate(app: Application, gmv: dict[str, tuple[int, str]], clashes: list[str]) -> rules.Candidate:
    return rules.Candidate(id=app.id, shop_type=app.shop_type, business_country=app.business_country,
                           representative_birth_date=app.representative_birth_date, best_gmv=gmv,
                           contact_clashes=clashes)


def judge_one(session: Session, app: Application, *, at: datetime) -> rules.Decision:
    """One application, with its own queries (submission, review; the per-application bench baseline)."""
    ctx = context(session, market=app.market, at=at)
    where = [Application.id == app.id]
    gmv = best_gmv(session, where).get(app.id, {})
    clashes = contact_clashes(session, where).get(app.id, [])
    return rules.judge(ctx, candidate(app, gmv, clashes))


def decision_json(decision: rules.Decision, at: datetime) -> dict[str, Any]:
    return decision.as_json() | {"evaluated_at": at.isoformat()}
