"""Shop applications: submit (judged at once), read, list, approve (opening the shop), reject, explain.

Keyword-only operations that take a Session, never commit, and raise domain errors; other areas call them
through sellers.service. Re-judging a whole market lives in reevaluation.py."""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketcast.core import clock, outbox, text
from marketcast.core.auth import scope
from marketcast.core.auth.actor import Actor, Role
from marketcast.core.errors import Conflict, Forbidden, Invalid, NotFound
from marketcast.core.ids import looks_like_id, new_id
from marketcast.core.pagination import Paged, paginate
from marketcast.sellers import judging, rules
from marketcast.sellers.events import ApplicationApproved, ApplicationRejected, ApplicationSubmitted, ShopCreated
from marketcast.sellers.models import Application, ApplicationDecision, ExternalRecord, Shop
from marketcast.sellers.profiles import (
    get_seller,
    normalize_email,
    normalize_phone,
    seller_of_user,
)


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
    actor.require_role(Role.SELLER, "applying for a shop")
    seller = seller_of_user(session, actor.user_id)
    if seller is None:
        raise Conflict("register your seller profile first (POST /api/v1/sellers)", code="seller_profile_required")
    code, now = market.upper(), clock.now()
    judging.context(session, market=code, at=now, field="market")  # an unknown market is bad input, not a 404
    if session.scalar(select(Shop.id).where(Shop.seller_id == seller.id, Shop.market == code)):
        raise Conflict(f"you already have a shop in {code}", code="shop_exists", field="market")
    address = {k: v for k, v in business_address.items() if v is not None}
    address["country"] = address["country"].upper()
    app = Application(
        id=new_id("app"), seller_id=seller.id, market=code, shop_type=shop_type, mode=mode,
        shop_name=shop_name or seller.legal_name, representative_name=representative["name"],
        representative_birth_date=representative["date_of_birth"], contact_email=normalize_email(contact["email"]),
        contact_phone=normalize_phone(contact["phone"]), business_address=address,
        business_country=address["country"], status="open", outcome="ineligible", failed_rules="", decision={},
        evaluated_at=now, created_at=now, updated_at=now)
    try:
        # The partial unique index is the one guard, for a second submission and for two that race alike;
        # the savepoint keeps the caller's transaction usable after the refusal.
        with session.begin_nested():
            session.add(app)  # flushed when the savepoint ends: the records refer to it
    except IntegrityError:
        raise Conflict(f"you already have an open application for {code}", code="application_exists",
                       field="market") from None
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
    outbox.emit(session, ApplicationSubmitted(**_event(app)), market=code)
    return app


def _event(app: Application) -> dict[str, Any]:
    return {"application_id": app.id, "seller_id": app.seller_id, "market": app.market, "shop_type": app.shop_type,
            "mode": app.mode, "status": app.status, "outcome": app.outcome,
            "failed_rules": [r for r in app.failed_rules.split(",") if r]}


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
    actor.require_role(Role.SELLER, "reading an application")
    seller = seller_of_user(session, actor.user_id)
    if seller is None or seller.id != app.seller_id:
        raise Forbidden(f"application {app.id} is not yours", code="not_owner")
    return app


def external_records(session: Session, *, application_id: str) -> list[ExternalRecord]:
    return list(session.scalars(select(ExternalRecord).where(ExternalRecord.application_id == application_id)
                                .order_by(ExternalRecord.id)))


def list_applications(session: Session, *, actor: Actor, market: str | None = None, shop_type: str | None = None,
                      outcome: str | None = None, status: str | None = None, seller_id: str | None = None,
                      page_size: int | None = None, page_token: str | None = None) -> Paged:
    """The review queue for operators (only their markets); a seller sees their own applications."""
    stmt = select(Application)
    if actor.is_operator:
        stmt = scope.in_markets(stmt, Application.market, actor, market)
    else:
        actor.require_role(Role.SELLER, "listing applications")
        seller = seller_of_user(session, actor.user_id)
        stmt = stmt.where(Application.seller_id == (seller.id if seller else None))
    for column, value in ((Application.market, market.upper() if market else None),
                          (Application.shop_type, shop_type), (Application.outcome, outcome),
                          (Application.status, status), (Application.seller_id, seller_id)):
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
    actor.require_operator_of(app.market, "reviewing applications")
    reason = text.reason(reason)
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
    outbox.emit(session, ApplicationApproved(**_event(app), shop_id=shop.id, reason=reason,
                                             overridden_rules=overridden), market=app.market)
    outbox.emit(session, ShopCreated(shop_id=shop.id, seller_id=seller.id, market=shop.market,
                                     shop_type=shop.shop_type, mode=shop.mode, status=shop.status,
                                     application_id=app.id), market=shop.market)
    return app


def reject(session: Session, *, application_id: str, reason: str, actor: Actor) -> Application:
    """Reject an open application. Rejecting an ineligible one confirms the rules' verdict (rejected_by
    "rules"), so it is judged again when policies change; rejecting an eligible one is the reviewer's call."""
    app = _find_application(session, application_id, lock=True)
    actor.require_operator_of(app.market, "reviewing applications")
    reason = text.reason(reason)
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
    outbox.emit(session, ApplicationRejected(**_event(app), reason=reason, rejected_by=app.rejected_by),
                market=app.market)
    return app


