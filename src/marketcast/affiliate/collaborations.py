"""Collaborations: a shop offers commission on products, openly (creators join) or to invited creators.

Rates are checked against the market's policies in force; a targeted collaboration makes every invite it can
and lists the others with their reason (partial success, as TikTok Shop's API answers)."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketcast.affiliate import events, people, rules
from marketcast.affiliate.models import Collaboration, CollaborationMember, CollaborationProduct
from marketcast.catalog import service as catalog
from marketcast.core import clock, outbox
from marketcast.core.auth.actor import Actor
from marketcast.core.errors import Conflict, Invalid, NotFound
from marketcast.core.fields import market_code
from marketcast.core.ids import looks_like_id, new_id
from marketcast.core.pagination import paginate
from marketcast.markets import service as markets
from marketcast.policies import service as policies
from marketcast.sellers import service as sellers

KINDS = ("open", "targeted")


@dataclass
class Invites:
    """What a new collaboration offers, after the checks: products, creators, and every invite it could not make."""

    product_ids: list[str] = field(default_factory=list)
    creators: list = field(default_factory=list)
    conflicts: list[dict] = field(default_factory=list)


def _policy(session: Session, key: str, market: str):
    return policies.value(session, key=key, market=market)


def rate_bounds(session: Session, *, market: str, kind: str) -> tuple[int, int]:
    low = _policy(session, "affiliate.commission.min_rate_bps", market)
    high = _policy(session, "affiliate.commission.max_rate_bps", market)
    if kind == "targeted":
        low = max(low, _policy(session, "affiliate.target.min_rate_bps", market))
    return low, high


def get(session: Session, collaboration_id: str, *, lock: bool = False) -> Collaboration:
    stmt = select(Collaboration).where(Collaboration.id == collaboration_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    found = session.scalar(stmt) if looks_like_id(collaboration_id) else None
    if found is None:
        raise NotFound("collaboration", collaboration_id)
    return found


def product_ids_of(session: Session, collaboration_id: str) -> list[str]:
    return list(session.scalars(select(CollaborationProduct.product_id)
                                .where(CollaborationProduct.collaboration_id == collaboration_id)
                                .order_by(CollaborationProduct.product_id)))


def _check_limit(values: list, limit: int, what: str, field_name: str) -> None:
    if len(values) > limit:
        raise Invalid(f"a targeted collaboration takes at most {limit} {what}, not {len(values)}",
                      code=f"too_many_{what}", field=field_name, limit=limit)


# The same findings as a 422 of the body when they refuse the request (their own codes are 404 and 409).
_AS_INPUT_ERROR = {"product_not_found": "unknown_product", "product_not_live": "product_not_on_sale"}


def _products(session: Session, shop, product_ids: list[str], *, strict: bool) -> tuple[list[str], list[dict]]:
    """Live products of the shop among `product_ids`. `strict` (open): any other is a 422 at product_ids.N;
    otherwise (targeted) it becomes a conflict."""
    found = catalog.products_by_id(session, product_ids)
    good, conflicts = [], []
    for index, pid in enumerate(dict.fromkeys(product_ids)):
        product = found.get(pid)
        code = ("product_not_found" if product is None or product.shop_id != shop.id
                else "product_not_live" if product.status != "live" else None)
        if code is None:
            good.append(pid)
        elif strict:
            raise Invalid(f"product {pid} is not a live product of shop {shop.id}", code=_AS_INPUT_ERROR[code],
                          field=f"product_ids.{index}")
        else:
            conflicts.append({"creator_id": None, "product_id": pid, "code": code})
    return good, conflicts


def _invitees(session: Session, market: str, creator_ids: list[str]) -> tuple[list, list[dict]]:
    good, conflicts = [], []
    for cid in dict.fromkeys(creator_ids):
        try:
            found = people.creator(session, cid)
        except NotFound:
            conflicts.append({"creator_id": cid, "product_id": None, "code": "creator_not_found"})
            continue
        if found.market != market:
            conflicts.append({"creator_id": cid, "product_id": None, "code": "creator_not_in_market"})
        elif found.affiliate_status not in people.AFFILIATE_STATUSES:
            conflicts.append({"creator_id": cid, "product_id": None, "code": "creator_ineligible"})
        else:
            good.append(found)
    return good, conflicts


def _targeted(session: Session, shop, *, product_ids: list[str], creator_ids: list[str]) -> Invites:
    _check_limit(creator_ids, _policy(session, "affiliate.target.max_creators", shop.market), "creators",
                 "creator_ids")
    _check_limit(product_ids, _policy(session, "affiliate.target.max_products", shop.market), "products",
                 "product_ids")
    if not creator_ids:
        raise Invalid("a targeted collaboration invites at least one creator", code="creators_required",
                      field="creator_ids")
    products, product_conflicts = _products(session, shop, product_ids, strict=False)
    invitees, creator_conflicts = _invitees(session, shop.market, creator_ids)
    # A creator invited to the same product by another collaboration of the shop gets one rate anyway
    # (rules.best_offer), so an overlap is no conflict.
    invites = Invites(products, invitees, creator_conflicts + product_conflicts)
    if not invites.product_ids or not invites.creators:
        raise Invalid("no invite could be made: every creator or every product was refused",
                      code="no_invites_made", field="creator_ids" if not invitees else "product_ids",
                      conflicts=invites.conflicts)
    return invites


def create(session: Session, *, shop_id: str, kind: str, commission_rate_bps: int, actor: Actor,
           product_ids: list[str] | None = None, all_products: bool = False, requires_approval: bool = False,
           creator_ids: list[str] | None = None, ends_at: datetime | None = None, message: str = "",
           name: str = "") -> tuple[Collaboration, list[dict]]:
    """A collaboration of the shop (its owner or an operator of its market); returns it and the conflicts."""
    if kind not in KINDS:
        raise Invalid(f"kind is one of {', '.join(KINDS)}", field="kind")
    shop = sellers.require_shop_owner(session, shop_id=shop_id, actor=actor)
    sellers.require_can_sell(session, shop_id=shop.id)
    now = clock.now()
    low, high = rate_bounds(session, market=shop.market, kind=kind)
    rules.check_rate(commission_rate_bps, low=low, high=high)
    product_ids = list(product_ids or [])
    if all_products and (product_ids or kind == "targeted"):
        raise Invalid("all_products is for open collaborations without product_ids", field="all_products")
    if not all_products and not product_ids:
        raise Invalid("name the products (product_ids) or offer all of them (all_products: true)",
                      code="products_required", field="product_ids")
    if ends_at is not None and clock.as_utc_input(ends_at, "ends_at") <= now:
        raise Invalid("ends_at must be in the future", code="ends_in_past", field="ends_at")
    if kind == "targeted":
        invites = _targeted(session, shop, product_ids=product_ids, creator_ids=list(creator_ids or []))
    else:
        if creator_ids:
            raise Invalid("an open collaboration invites nobody: creators join it", field="creator_ids")
        invites = Invites(_products(session, shop, product_ids, strict=True)[0])
    collab = Collaboration(id=new_id("col"), shop_id=shop.id, market=shop.market,
                           currency=markets.get(session, shop.market).currency, kind=kind, status="active",
                           name=name.strip()[:120], message=message[:2000], commission_rate_bps=commission_rate_bps,
                           all_products=all_products, requires_approval=requires_approval and kind == "open",
                           ends_at=clock.as_utc(ends_at) if ends_at else None, created_at=now, updated_at=now)
    session.add(collab)
    session.flush()
    session.add_all(CollaborationProduct(collaboration_id=collab.id, product_id=pid) for pid in invites.product_ids)
    session.add_all(CollaborationMember(id=new_id("cmb"), collaboration_id=collab.id, creator_id=c.id,
                                        status="invited", commission_rate_bps=commission_rate_bps, created_at=now)
                    for c in invites.creators)
    outbox.emit(session, events.CollaborationCreated(
        collaboration_id=collab.id, shop_id=shop.id, market=shop.market, kind=kind,
        commission_rate_bps=commission_rate_bps, product_ids=invites.product_ids, all_products=all_products,
        invited_creator_ids=[c.id for c in invites.creators]), market=shop.market)
    return collab, invites.conflicts


def browse(session: Session, *, market: str | None = None, q: str | None = None, min_rate_bps: int | None = None,
           kind: str = "open", shop_id: str | None = None, page_size: int | None = None,
           page_token: str | None = None) -> tuple[list[Collaboration], str | None]:
    """Active collaborations (open ones by default, what creators browse) by market, text and least rate."""
    stmt = select(Collaboration).where(Collaboration.status == "active", Collaboration.kind == kind)
    if market:
        stmt = stmt.where(Collaboration.market == market_code(market))
    if shop_id:
        stmt = stmt.where(Collaboration.shop_id == shop_id)
    if min_rate_bps is not None:
        stmt = stmt.where(Collaboration.commission_rate_bps >= min_rate_bps)
    if q and q.strip():
        pattern = "%" + q.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(func.lower(Collaboration.name + " " + Collaboration.message).like(pattern, escape="\\"))
    return paginate(session, stmt, order_by=[Collaboration.id], page_size=page_size, page_token=page_token)


def of_shop(session: Session, *, shop_id: str, actor: Actor) -> list[Collaboration]:
    sellers.require_shop_owner(session, shop_id=shop_id, actor=actor)
    return list(session.scalars(select(Collaboration).where(Collaboration.shop_id == shop_id)
                                .order_by(Collaboration.id.desc())))


def _owned(session: Session, collaboration_id: str, actor: Actor) -> Collaboration:
    collab = get(session, collaboration_id, lock=True)
    sellers.require_shop_owner(session, shop_id=collab.shop_id, actor=actor)
    if collab.status != "active":
        raise Conflict(f"collaboration {collab.id} has ended", code="collaboration_ended")
    return collab


def members(session: Session, *, collaboration_id: str, actor: Actor) -> list[CollaborationMember]:
    collab = get(session, collaboration_id)
    sellers.require_shop_owner(session, shop_id=collab.shop_id, actor=actor)
    return list(session.scalars(select(CollaborationMember)
                                .where(CollaborationMember.collaboration_id == collab.id)
                                .order_by(CollaborationMember.id)))


def change_rate(session: Session, *, collaboration_id: str, commission_rate_bps: int,
                actor: Actor) -> Collaboration:
    """A new rate: members get an increase at once; a decrease waits for the end of each joined member's lock
    (`collaboration.rate_decrease_scheduled` for each one who waits)."""
    collab = _owned(session, collaboration_id, actor)
    low, high = rate_bounds(session, market=collab.market, kind=collab.kind)
    rules.check_rate(commission_rate_bps, low=low, high=high)
    now = clock.now()
    old, collab.commission_rate_bps, collab.updated_at = collab.commission_rate_bps, commission_rate_bps, now
    scheduled = []
    for member in session.scalars(select(CollaborationMember).where(
            CollaborationMember.collaboration_id == collab.id).with_for_update()):
        current = rules.member_rate(member.commission_rate_bps, member.pending_rate_bps, member.pending_from, now)
        change = rules.rate_change(new_rate=commission_rate_bps, current_rate=current,
                                   locked_until=member.locked_until if member.status == "joined" else None, now=now)
        if change.apply_now:
            member.commission_rate_bps, member.pending_rate_bps, member.pending_from = change.rate_bps, None, None
        else:
            member.commission_rate_bps = current
            member.pending_rate_bps, member.pending_from, member.reminded = change.rate_bps, change.pending_from, False
            scheduled.append(member)
    outbox.emit(session, events.CollaborationRateChanged(
        collaboration_id=collab.id, shop_id=collab.shop_id, market=collab.market, old_rate_bps=old,
        new_rate_bps=commission_rate_bps), market=collab.market)
    outbox.emit_many(session, [(member_event(events.RateDecreaseScheduled, collab, m), collab.market)
                               for m in scheduled])
    return collab


def member_event(kind: type[events.MemberRateEvent], collab: Collaboration,
                 member: CollaborationMember) -> events.MemberRateEvent:
    return kind(collaboration_id=collab.id, shop_id=collab.shop_id, market=collab.market,
                creator_id=member.creator_id, commission_rate_bps=member.commission_rate_bps,
                new_rate_bps=member.pending_rate_bps, applies_at=member.pending_from)


def end(session: Session, *, collaboration_id: str, actor: Actor) -> Collaboration:
    """End it: new sales stop being attributed from the next day in the market's timezone."""
    collab = _owned(session, collaboration_id, actor)
    now = clock.now()
    stop = rules.next_local_midnight(now, markets.get(session, collab.market).timezone)
    collab.status, collab.ended_at, collab.updated_at = "ended", now, now
    if collab.ends_at is None or collab.ends_at > stop:
        collab.ends_at = stop
    outbox.emit(session, events.CollaborationEnded(collaboration_id=collab.id, shop_id=collab.shop_id,
                                                   market=collab.market, attribution_ends_at=stop),
                market=collab.market)
    return collab
