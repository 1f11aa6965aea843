"""Sellers, shops and shop applications: submit, judge, review, re-judge when policies change, graduate.

Keyword-only operations that take a Session, never commit, and raise domain errors. Judging reads through
`judging` and decides through the pure `rules`, so one application and a whole market are judged alike."""

import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketcast.core import clock, outbox
from marketcast.core.auth.actor import Actor
from marketcast.core.errors import Conflict, Forbidden, Invalid, NotFound
from marketcast.core.ids import looks_like_id, new_id
from marketcast.core.pagination import paginate
from marketcast.markets import service as markets
from marketcast.policies import service as policies
from marketcast.sellers import judging, rules
from marketcast.sellers.models import Application, ApplicationDecision, ExternalRecord, Seller, Shop


def normalize_email(email: str) -> str:
    return email.strip().lower()


def normalize_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone or "")
    if not 7 <= len(digits) <= 15:
        raise Invalid("a phone number has 7 to 15 digits (E.164)", code="invalid_phone", field="contact.phone")
    return "+" + digits


def _require_role(actor: Actor, role: str, what: str) -> None:
    if actor.role != role:
        raise Forbidden(f"{what} needs the role {role}; you are {actor.role}", code="wrong_role")


def _require_operator_of(actor: Actor, market: str) -> None:
    _require_role(actor, "operator", "reviewing applications")
    actor.require_market(market)


# --- sellers --------------------------------------------------------------------------------------------

def create_seller(session: Session, *, actor: Actor, legal_name: str, entity_type: str, country: str, tax_id: str,
                  beneficial_owners: list[dict[str, Any]], contact_email: str, contact_phone: str) -> Seller:
    _require_role(actor, "seller", "registering a seller")
    if session.scalar(select(Seller.id).where(Seller.owner_user_id == actor.user_id)):
        raise Conflict("this user already has a seller profile", code="seller_exists")
    if sum(o["ownership_bp"] for o in beneficial_owners) > 10000:
        raise Invalid("beneficial owners hold more than 100% together", field="beneficial_owners")
    seller = Seller(id=new_id("sel"), owner_user_id=actor.user_id, legal_name=legal_name, entity_type=entity_type,
                    country=country.upper(), tax_id=tax_id, contact_email=normalize_email(contact_email),
                    contact_phone=normalize_phone(contact_phone), created_at=clock.now(),
                    beneficial_owners=[{"name": o["name"], "date_of_birth": o["date_of_birth"].isoformat(),
                                        "ownership_bp": o["ownership_bp"]} for o in beneficial_owners])
    try:
        with session.begin_nested():  # the unique owner is the real guard when the same user posts twice at once
            session.add(seller)
    except IntegrityError:
        raise Conflict("this user already has a seller profile", code="seller_exists") from None
    outbox.emit(session, "seller.created", {"seller_id": seller.id, "owner_user_id": seller.owner_user_id,
                                            "country": seller.country, "entity_type": entity_type})
    return seller


def get_seller(session: Session, seller_id: str) -> Seller:
    seller = session.get(Seller, seller_id) if looks_like_id(seller_id) else None
    if seller is None:
        raise NotFound("seller", seller_id)
    return seller


def seller_of_user(session: Session, user_id: str | None) -> Seller | None:
    return session.scalar(select(Seller).where(Seller.owner_user_id == user_id)) if user_id else None


def view_seller(session: Session, *, seller_id: str, actor: Actor) -> Seller:
    seller = get_seller(session, seller_id)
    if not actor.is_operator and seller.owner_user_id != actor.user_id:
        raise Forbidden("you may see only your own seller profile", code="not_owner")
    return seller


# --- shops ----------------------------------------------------------------------------------------------

def get_shop(session: Session, shop_id: str) -> Shop:
    shop = session.get(Shop, shop_id) if looks_like_id(shop_id) else None
    if shop is None:
        raise NotFound("shop", shop_id)
    return shop


def shops_of(session: Session, *, actor: Actor) -> list[Shop]:
    """The shops a seller owns (operators: none here; they reach shops through applications and orders)."""
    if actor.role != "seller":
        return []
    return list(session.scalars(select(Shop).where(Shop.owner_user_id == actor.user_id).order_by(Shop.market)))


def require_shop_owner(session: Session, *, shop_id: str, actor: Actor) -> Shop:
    """The shop, if `actor` is the seller who owns it or an operator of its market."""
    shop = get_shop(session, shop_id)
    if actor.is_operator:
        actor.require_market(shop.market)
        return shop
    if actor.role != "seller" or shop.owner_user_id != actor.user_id:
        raise Forbidden(f"shop {shop.id} is not yours", code="not_owner")
    return shop


def require_can_sell(session: Session, *, shop_id: str) -> Shop:
    shop = get_shop(session, shop_id)
    if shop.status not in ("probation", "active"):
        raise Conflict(f"shop {shop.id} is {shop.status} and cannot sell", code="shop_cannot_sell",
                       shop_id=shop.id, shop_status=shop.status)
    markets.require_live(session, code=shop.market, action="sell")
    return shop


def check_daily_cap(session: Session, *, shop: Shop, orders_today: int) -> None:
    if shop.status != "probation":
        return
    cap = policies.value(session, key="shop.probation.daily_order_cap", market=shop.market)
    if cap is not None and orders_today >= cap:
        raise Conflict(f"shop {shop.id} is on probation and has reached its cap of {cap} orders today",
                       code="daily_order_cap_reached", shop_id=shop.id, cap=cap)


def record_paid_order(session: Session, *, shop_id: str) -> None:
    # Atomic in the database: concurrent payments never lose a count.
    done = session.execute(update(Shop).where(Shop.id == shop_id).values(paid_orders=Shop.paid_orders + 1)
                           .execution_options(synchronize_session=False))
    if done.rowcount == 0:
        raise NotFound("shop", shop_id)


def graduate_shops(session: Session) -> int:
    """Probation shops that served their days and orders become active; one UPDATE per market."""
    now, count = clock.now(), 0
    codes = sorted(session.scalars(select(Shop.market).where(Shop.status == "probation").distinct()))
    for code in codes:
        days = policies.value(session, key="shop.probation.days", market=code)
        orders = policies.value(session, key="shop.probation.orders", market=code)
        done = session.execute(
            update(Shop).where(Shop.market == code, Shop.status == "probation",
                               Shop.probation_started_at <= now - timedelta(days=days), Shop.paid_orders >= orders)
            .values(status="active", activated_at=now).returning(Shop.id, Shop.seller_id, Shop.paid_orders)
            .execution_options(synchronize_session=False))
        graduated = [(shop_id, seller_id, paid) for shop_id, seller_id, paid in done]
        outbox.emit_many(session, [("shop.graduated", {"shop_id": shop_id, "seller_id": seller_id, "market": code,
                                                       "paid_orders": paid, "probation_days": days,
                                                       "probation_orders": orders}, code)
                                   for shop_id, seller_id, paid in sorted(graduated)])
        count += len(graduated)
    return count


# --- applications ---------------------------------------------------------------------------------------

def _record_decision(session: Session, app: Application, decision: rules.Decision, *, kind: str, at: datetime,
                     outcome: str | None = None, trigger: str | None = None, reason: str | None = None,
                     overridden: list[str] | None = None, actor: Actor | None = None) -> None:
    session.add(ApplicationDecision(
        id=new_id("dec"), application_id=app.id, kind=kind, outcome=outcome or decision.outcome, rules=decision.rules,
        policy_versions=decision.policy_versions, next_step=decision.next_step, trigger=trigger, reason=reason,
        overridden_rules=overridden, actor_email=actor.email if actor else None, evaluated_at=at))


def _apply(app: Application, decision: rules.Decision, at: datetime) -> None:
    app.outcome, app.failed_rules = decision.outcome, ",".join(decision.failed)
    app.decision, app.evaluated_at, app.updated_at = judging.decision_json(decision, at), at, at


def submit_application(session: Session, *, actor: Actor, market: str, shop_type: str, mode: str,
                       shop_name: str | None, representative: dict[str, Any], contact: dict[str, Any],
                       business_address: dict[str, Any], external_records: list[dict[str, Any]]) -> Application:
    _require_role(actor, "seller", "applying for a shop")
    seller = seller_of_user(session, actor.user_id)
    if seller is None:
        raise Conflict("register your seller profile first (POST /api/v1/sellers)", code="seller_profile_required")
    code, now = market.upper(), clock.now()
    judging.context(session, market=code, at=now, field="market")  # an unknown market is bad input, not a 404
    if session.scalar(select(Shop.id).where(Shop.seller_id == seller.id, Shop.market == code)):
        raise Conflict(f"you already have a shop in {code}", code="shop_exists", field="market")
    if session.scalar(select(Application.id).where(Application.seller_id == seller.id, Application.market == code,
                                                   Application.status == "open")):
        raise Conflict(f"you already have an open application for {code}", code="application_exists",
                       field="market")
    address = {k: v for k, v in business_address.items() if v is not None}
    address["country"] = address["country"].upper()
    app = Application(
        id=new_id("app"), seller_id=seller.id, market=code, shop_type=shop_type, mode=mode,
        shop_name=shop_name or seller.legal_name, representative_name=representative["name"],
        representative_birth_date=representative["date_of_birth"], contact_email=normalize_email(contact["email"]),
        contact_phone=normalize_phone(contact["phone"]), business_address=address,
        business_country=address["country"], status="open", outcome="ineligible", failed_rules="", decision={},
        evaluated_at=now, created_at=now, updated_at=now)
    session.add(app)
    session.flush()  # the records refer to it
    for record in external_records:
        rating = record.get("rating")
        session.add(ExternalRecord(
            id=new_id("ext"), application_id=app.id, platform=record["platform"],
            gmv_amount=record["annual_gmv"]["amount"], gmv_currency=record["annual_gmv"]["currency"],
            rating_hundredths=int(round(rating * 100)) if rating is not None else None,
            months_trading=record.get("months_trading")))
    decision = judging.judge_one(session, app, at=now)
    _apply(app, decision, now)
    _record_decision(session, app, decision, kind="submitted", at=now, trigger="submitted", actor=actor)
    outbox.emit(session, "application.submitted", _event(app), market=code)
    return app


def _event(app: Application, **extra: Any) -> dict[str, Any]:
    return {"application_id": app.id, "seller_id": app.seller_id, "market": app.market, "shop_type": app.shop_type,
            "mode": app.mode, "status": app.status, "outcome": app.outcome,
            "failed_rules": [r for r in app.failed_rules.split(",") if r], **extra}


def _find_application(session: Session, application_id: str, *, lock: bool = False) -> Application:
    app = None
    if looks_like_id(application_id):
        stmt = select(Application).where(Application.id == application_id)
        app = session.scalar(stmt.with_for_update() if lock else stmt)
    if app is None:
        raise NotFound("application", application_id)
    return app


def get_application(session: Session, application_id: str, *, actor: Actor) -> Application:
    """The application, for the seller who made it or an operator of its market."""
    app = _find_application(session, application_id)
    if actor.is_operator:
        actor.require_market(app.market)
        return app
    _require_role(actor, "seller", "reading an application")
    seller = seller_of_user(session, actor.user_id)
    if seller is None or seller.id != app.seller_id:
        raise Forbidden(f"application {app.id} is not yours", code="not_owner")
    return app


def external_records(session: Session, *, application_id: str) -> list[ExternalRecord]:
    return list(session.scalars(select(ExternalRecord).where(ExternalRecord.application_id == application_id)
                                .order_by(ExternalRecord.id)))


def list_applications(session: Session, *, actor: Actor, market: str | None = None, shop_type: str | None = None,
                      outcome: str | None = None, status: str | None = None, page_size: int | None = None,
                      page_token: str | None = None) -> tuple[list[Application], str | None]:
    """The review queue for operators (only their markets); a seller sees their own applications."""
    stmt = select(Application)
    if actor.is_operator:
        if market is not None:
            actor.require_market(market.upper())
        elif actor.markets is not None:
            stmt = stmt.where(Application.market.in_(actor.markets))
    else:
        _require_role(actor, "seller", "listing applications")
        seller = seller_of_user(session, actor.user_id)
        stmt = stmt.where(Application.seller_id == (seller.id if seller else None))
    for column, value in ((Application.market, market.upper() if market else None),
                          (Application.shop_type, shop_type), (Application.outcome, outcome),
                          (Application.status, status)):
        if value is not None:
            stmt = stmt.where(column == value)
    return paginate(session, stmt, order_by=[Application.id], page_size=page_size, page_token=page_token)


def decisions(session: Session, *, application_id: str) -> list[ApplicationDecision]:
    return list(session.scalars(select(ApplicationDecision).where(ApplicationDecision.application_id
                                                                  == application_id)
                                .order_by(ApplicationDecision.id)))


def explain(app: Application) -> list[str]:
    return rules.explain(app.decision)


def approve(session: Session, *, application_id: str, reason: str, override_rules: list[str] | None = None,
            actor: Actor) -> Application:
    """Approve an open application and open its shop on probation. The rules are judged afresh; every rule
    that fails must be overridden by name, and the reason is recorded with the overrides."""
    app = _find_application(session, application_id, lock=True)
    _require_operator_of(actor, app.market)
    reason = _reason(reason)
    if app.status != "open":
        raise Conflict(f"application {app.id} is {app.status}", code="application_not_open")
    unknown = sorted(set(override_rules or ()) - set(rules.RULES))
    if unknown:
        raise Invalid(f"no such rule: {', '.join(unknown)}", field="override_rules")
    now = clock.now()
    decision = judging.judge_one(session, app, at=now)
    missing = [r for r in decision.failed if r not in (override_rules or ())]
    if missing:
        raise Conflict(f"application {app.id} fails {', '.join(missing)}; override each failed rule by name "
                       "to approve it anyway", code="rules_not_overridden", field="override_rules", failed=missing)
    seller = get_seller(session, app.seller_id)
    shop = Shop(id=new_id("shp"), seller_id=seller.id, owner_user_id=seller.owner_user_id, market=app.market,
                shop_type=app.shop_type, mode=app.mode, status="probation", name=app.shop_name,
                contact_email=app.contact_email, contact_phone=app.contact_phone, application_id=app.id,
                probation_started_at=now, paid_orders=0, created_at=now)
    try:
        with session.begin_nested():
            session.add(shop)
    except IntegrityError:
        raise Conflict(f"seller {seller.id} already has a shop in {app.market}", code="shop_exists") from None
    overridden = decision.failed
    _apply(app, decision, now)
    app.status, app.shop_id = "approved", shop.id
    _record_decision(session, app, decision, kind="review", outcome="approved", at=now, reason=reason,
                     overridden=overridden, actor=actor, trigger="approve")
    outbox.emit(session, "application.approved", _event(app, shop_id=shop.id, reason=reason,
                                                        overridden_rules=overridden), market=app.market)
    outbox.emit(session, "shop.created", {"shop_id": shop.id, "seller_id": seller.id, "market": shop.market,
                                          "shop_type": shop.shop_type, "mode": shop.mode, "status": shop.status,
                                          "application_id": app.id}, market=shop.market)
    return app


def reject(session: Session, *, application_id: str, reason: str, actor: Actor) -> Application:
    """Reject an open application. Rejecting an ineligible one confirms the rules' verdict (rejected_by
    "rules"), so it is judged again when policies change; rejecting an eligible one is the reviewer's call."""
    app = _find_application(session, application_id, lock=True)
    _require_operator_of(actor, app.market)
    reason = _reason(reason)
    if app.status != "open":
        raise Conflict(f"application {app.id} is {app.status}", code="application_not_open")
    now = clock.now()
    app.status, app.updated_at = "rejected", now
    app.rejected_by = "rules" if app.outcome == "ineligible" else "reviewer"
    stored = app.decision
    session.add(ApplicationDecision(
        id=new_id("dec"), application_id=app.id, kind="review", outcome="rejected", rules=stored.get("rules", []),
        policy_versions=stored.get("policy_versions", []), next_step=stored.get("next_step"), trigger="reject",
        reason=reason, overridden_rules=None, actor_email=actor.email, evaluated_at=now))
    outbox.emit(session, "application.rejected", _event(app, reason=reason, rejected_by=app.rejected_by),
                market=app.market)
    return app


def _reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text or "\x00" in text or len(text) > 500:
        raise Invalid("say why in 1 to 500 characters", code="reason_required", field="reason")
    return text


# --- re-evaluation --------------------------------------------------------------------------------------

def reevaluate(session: Session, *, market: str, at: datetime | None = None, trigger: str,
               actor: Actor | None = None) -> dict[str, int]:
    """Re-judge every open application of `market`, and every one rejected on the rules' verdict, in one
    set-based pass: a constant number of statements whatever their number (docs/adr/0007)."""
    if actor is not None:
        _require_operator_of(actor, market.upper())
    when = clock.as_utc(at) if at is not None else clock.now()
    ctx = judging.context(session, market=market, at=when)
    updates, history, events = [], [], []
    now_eligible = no_longer = 0
    judged = _judge_market(session, ctx)
    for row, decision in judged:
        failed = ",".join(decision.failed)
        if decision.outcome == row.outcome and failed == row.failed_rules:
            continue  # idempotent: the same verdict for the same reasons writes nothing
        status, rejected_by = row.status, "rules" if row.status == "rejected" else None
        if decision.outcome == "eligible" and row.status == "rejected":
            status, rejected_by = "open", None  # back in the queue: the rules no longer hold it back
        updates.append({"id": row.id, "outcome": decision.outcome, "failed_rules": failed, "status": status,
                        "rejected_by": rejected_by, "decision": judging.decision_json(decision, when),
                        "evaluated_at": when, "updated_at": when})
        history.append({"id": new_id("dec"), "application_id": row.id, "kind": "reevaluation",
                        "outcome": decision.outcome, "rules": decision.rules,
                        "policy_versions": decision.policy_versions, "next_step": decision.next_step,
                        "trigger": trigger[:200], "reason": None, "overridden_rules": None,
                        "actor_email": actor.email if actor else None, "evaluated_at": when})
        if decision.outcome != row.outcome:
            kind = "application.now_eligible" if decision.outcome == "eligible" else "application.no_longer_eligible"
            now_eligible += decision.outcome == "eligible"
            no_longer += decision.outcome != "eligible"
            events.append((kind, {"application_id": row.id, "seller_id": row.seller_id, "market": ctx.market,
                                  "shop_type": row.shop_type, "status": status, "from": row.outcome,
                                  "to": decision.outcome, "failed_rules": decision.failed,
                                  "policy_versions": decision.policy_versions, "trigger": trigger}, ctx.market))
    if updates:
        session.execute(update(Application), updates)  # ORM bulk UPDATE by primary key: one executemany
        session.execute(insert(ApplicationDecision), history)
        outbox.emit_many(session, events)
    return {"evaluated": len(judged), "now_eligible": now_eligible, "no_longer_eligible": no_longer}


def _judge_market(session: Session, ctx: rules.Context) -> list[tuple[Any, rules.Decision]]:
    """Every open or rule-rejected application of the market, judged under `ctx`: four queries in all."""
    where = [Application.market == ctx.market,
             (Application.status == "open") | ((Application.status == "rejected")
                                               & (Application.rejected_by == "rules"))]
    rows = session.execute(select(Application.id, Application.seller_id, Application.shop_type,
                                  Application.business_country, Application.representative_birth_date,
                                  Application.status, Application.outcome, Application.failed_rules,
                                  Application.shop_id, Application.shop_name).where(*where)
                           .order_by(Application.id)).all()
    gmv, clashes = judging.best_gmv(session, where), judging.contact_clashes(session, where)
    return [(row, rules.judge(ctx, rules.Candidate(
        id=row.id, shop_type=row.shop_type, business_country=row.business_country,
        representative_birth_date=row.representative_birth_date, best_gmv=gmv.get(row.id, {}),
        contact_clashes=clashes.get(row.id, [])))) for row in rows]


SIMULATED_KEYS = {rules.MIN_AGE_KEY: "min_age", rules.MIN_GMV_KEY: "min_external_gmv"}


def simulate(session: Session, *, market: str, key: str, value: Any, at: datetime | None = None,
             actor: Actor, examples: int = 20) -> dict[str, Any]:
    """What a policy value would do to the applications of a market, before anyone schedules it: each open or
    rule-rejected application judged under the rules in force at `at` and again with `value` for `key`.
    Nothing is written."""
    code = market.upper()
    _require_operator_of(actor, code)
    if key not in SIMULATED_KEYS:
        raise Invalid(f"applications depend on {', '.join(sorted(SIMULATED_KEYS))}; {key} does not change them",
                      code="policy_not_simulated", field="key")
    when = clock.as_utc_input(at, "at") if at is not None else clock.now()
    checked = policies.check_value(session, key=key, market=code, value=value)
    now = judging.context(session, market=code, at=when, field="market")
    then = replace(now, **{SIMULATED_KEYS[key]: rules.PolicyValue(key=key, value=checked, version_id=None,
                                                                  effective_from=when)})
    current = {row.id: decision.outcome for row, decision in _judge_market(session, now)}
    flips = [(row, current[row.id], decision.outcome) for row, decision in _judge_market(session, then)
             if decision.outcome != current[row.id]]
    return {
        "market": code, "key": key, "value": checked, "at": when, "evaluated": len(current),
        "would_become_eligible": sum(1 for _, _, to in flips if to == "eligible"),
        "would_become_ineligible": sum(1 for _, _, to in flips if to != "eligible"),
        "examples": [{"application_id": row.id, "shop_name": row.shop_name, "shop_type": row.shop_type,
                      "from": was, "to": to} for row, was, to in flips[:examples]],
    }


def reevaluate_after(session: Session, *, changes: list[tuple[str, str | None]]) -> int:
    """After policy versions took effect: re-judge each market a `seller.*` change names (a global change: every
    live market). Returns how many applications were judged."""
    codes: set[str] = set()
    for key, market in changes:
        if not key.startswith("seller."):
            continue
        if market is not None:
            codes.add(market)
        else:
            codes.update(m.code for m in _live_markets(session))
    trigger = "policy change: " + ", ".join(sorted({f"{k} ({m or 'global'})" for k, m in changes
                                                     if k.startswith("seller.")}))
    return sum(reevaluate(session, market=code, trigger=trigger)["evaluated"] for code in sorted(codes))


def _live_markets(session: Session) -> list:
    found, token = [], None
    while True:
        rows, token = markets.list_markets(session, status="live", page_size=200, page_token=token)
        found.extend(rows)
        if token is None:
            return found
