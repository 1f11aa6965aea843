"""LIVE sessions: scheduling, going live and ending, the product bag and the pinned product, and a session's
snapshot (what a viewer joining the room is shown).

Every host operation locks the session row first (FOR UPDATE; SQLite's writers queue anyway) and then checks:
two requests on one bag cannot both pass the bag's limit or both pin a product. Only a pilot's weekly LIVE count
spans sessions; it is a guarded counter (HostWeek)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, true, update
from sqlalchemy.orm import Session

from marketcast.affiliate import service as affiliate
from marketcast.catalog import service as catalog
from marketcast.core import clock, outbox
from marketcast.core.auth.actor import Actor
from marketcast.core.db import upsert_insert
from marketcast.core.errors import Conflict, Forbidden, Invalid, NotFound
from marketcast.core.ids import looks_like_id, new_id
from marketcast.core.pagination import Paged, paginate
from marketcast.creators import service as creators
from marketcast.live import events, metrics, rooms, rules
from marketcast.live.models import BagItem, FlashDeal, HostWeek, LiveSession
from marketcast.markets import service as markets
from marketcast.policies import service as policies
from marketcast.sellers import service as sellers

PUBLIC = ("live", "ended")
AFFILIATE_STATUSES = ("pilot", "active")


@dataclass(frozen=True)
class Host:
    kind: str  # shop | creator
    shop_id: str | None
    creator_id: str | None
    user_id: str
    market: str
    pilot: bool = False


def _session_event(s: LiveSession) -> dict[str, Any]:
    return {"session_id": s.id, "market": s.market, "host_kind": s.host_kind, "shop_id": s.shop_id,
            "creator_id": s.creator_id}


def _check_url(url: str) -> str:
    url = url.strip()
    if not url.startswith(("https://", "http://")) or len(url) > 2000:
        raise Invalid("playback_url must be an http(s) URL of at most 2000 characters", code="invalid_url",
                      field="playback_url")
    return url


def resolve_host(session: Session, *, shop_id: str | None, creator_id: str | None, actor: Actor) -> Host:
    """The host the request names, if `actor` may run it: the shop's owner (or an operator of its market) for a
    shop that can sell; the creator themself, pilot or active, for a creator."""
    if shop_id:
        shop = sellers.require_shop_owner(session, shop_id=shop_id, actor=actor)
        sellers.require_can_sell(session, shop_id=shop.id)
        return Host("shop", shop.id, None, shop.owner_user_id, shop.market)
    try:
        creator = creators.find(session, creator_id or "")
    except NotFound:
        raise Invalid(f"creator {creator_id} does not exist", code="unknown_creator",
                      field="host.creator_id") from None
    if actor.role != "creator" or creator.user_id != actor.user_id:
        raise Forbidden(f"creator {creator.id} is not you ({actor.email})", code="not_your_creator")
    if creator.affiliate_status not in AFFILIATE_STATUSES:
        raise Conflict(f"creator {creator.id} is {creator.affiliate_status}; hosting a LIVE needs pilot or active",
                       code="creator_not_affiliate", affiliate_status=creator.affiliate_status)
    return Host("creator", None, creator.id, creator.user_id, creator.market,
                pilot=creator.affiliate_status == "pilot")


def create(session: Session, *, market: str, title: str, shop_id: str | None, creator_id: str | None,
           scheduled_start: datetime, playback_url: str, actor: Actor) -> LiveSession:
    host = resolve_host(session, shop_id=shop_id, creator_id=creator_id, actor=actor)
    market = market.strip().upper()
    if host.market != market:
        raise Invalid(f"the host sells in {host.market}, not in {market}", field="market")
    markets.require_live(session, code=market, action="host a LIVE")
    title = title.strip()
    if not title:
        raise Invalid("title must not be empty", field="title")
    now = clock.now()
    live = LiveSession(id=new_id("lvs"), market=market, title=title, host_kind=host.kind, shop_id=host.shop_id,
                       creator_id=host.creator_id, host_user_id=host.user_id, status="scheduled",
                       playback_url=_check_url(playback_url), scheduled_start=scheduled_start, created_at=now,
                       updated_at=now)
    session.add(live)
    outbox.emit(session, events.SessionScheduled(**_session_event(live), title=title,
                                                 scheduled_start=scheduled_start), market=market)
    session.flush()
    return live


def _get(session: Session, session_id: str, *, lock: bool = False) -> LiveSession:
    stmt = select(LiveSession).where(LiveSession.id == session_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    found = session.scalar(stmt) if looks_like_id(session_id) else None
    if found is None:
        raise NotFound("live_session", session_id)
    return found


def is_host(live: LiveSession, actor: Actor | None) -> bool:
    if actor is None:
        return False
    if actor.user_id is not None and actor.user_id == live.host_user_id:
        return True
    return actor.is_operator and actor.can_act_in(live.market)


def get(session: Session, *, session_id: str, actor: Actor | None) -> LiveSession:
    """A live or ended session for anyone; a scheduled or cancelled one for its host and operators only."""
    live = _get(session, session_id)
    if live.status not in PUBLIC and not is_host(live, actor):
        raise NotFound("live_session", session_id)
    return live


def hosted(session: Session, *, session_id: str, actor: Actor) -> LiveSession:
    """The session, row-locked, if `actor` runs it (its host, or an operator of its market)."""
    live = _get(session, session_id)
    if not is_host(live, actor):
        if live.status not in PUBLIC and not actor.is_operator:
            raise NotFound("live_session", session_id)
        if actor.is_operator:
            actor.require_market(live.market)
        raise Forbidden(f"session {live.id} is not yours ({actor.email})", code="not_your_session")
    return _get(session, session_id, lock=True)


def list_sessions(session: Session, *, actor: Actor | None, market: str | None = None, status: str | None = None,
                  hosted_by_me: bool = False, page_size: int | None = None, page_token: str | None = None) -> Paged:
    """Live and ended sessions for anyone; the caller's own (and, for operators, their markets') in any status.
    With `hosted_by_me`, only the sessions the caller hosts (a host's own list)."""
    stmt = select(LiveSession)
    seen: list[ColumnElement[bool]] = [LiveSession.status.in_(PUBLIC)]
    if actor is not None and actor.user_id is not None:
        seen.append(LiveSession.host_user_id == actor.user_id)
        if actor.is_operator:
            seen.append(LiveSession.market.in_(actor.markets) if actor.markets is not None else true())
    stmt = stmt.where(or_(*seen))
    if hosted_by_me:
        stmt = stmt.where(LiveSession.host_user_id == (actor.user_id if actor is not None else None))
    if market:
        stmt = stmt.where(LiveSession.market == market.strip().upper())
    if status:
        stmt = stmt.where(LiveSession.status == status)
    return paginate(session, stmt, order_by=[LiveSession.id], page_size=page_size, page_token=page_token)


def bag(session: Session, session_id: str) -> list[BagItem]:
    return list(session.scalars(select(BagItem).where(BagItem.session_id == session_id)
                                .order_by(BagItem.position, BagItem.product_id)))


def _touch(live: LiveSession) -> None:
    live.updated_at = clock.now()


# --- going live, ending -------------------------------------------------------------------------------------------

def _count_pilot_live(session: Session, live: LiveSession) -> None:
    """A pilot creator hosts at most creator.pilot.weekly_shoppable_lives LIVEs a week: one guarded upsert."""
    creator = creators.find(session, live.creator_id or "")
    if creator.affiliate_status != "pilot":
        return
    key = rules.PILOT_WEEKLY
    limit = int(policies.value(session, key=key, market=live.market))
    week = rules.week_of(clock.now(), markets.get(session, live.market).timezone)
    taken = None
    if limit >= 1:
        stmt = (upsert_insert(session, HostWeek).values(creator_id=creator.id, week=week, started=1)
                .on_conflict_do_update(index_elements=[HostWeek.creator_id, HostWeek.week],
                                       set_={"started": HostWeek.started + 1}, where=HostWeek.started < limit)
                .returning(HostWeek.started))
        taken = session.execute(stmt).scalar_one_or_none()
    if taken is None:
        raise Conflict(f"pilot creators host at most {limit} shoppable LIVEs a week ({key})",
                       code="pilot_weekly_limit", policy_key=key, limit=limit, week_start=week.isoformat())


def start(session: Session, *, session_id: str, actor: Actor) -> LiveSession:
    live = hosted(session, session_id=session_id, actor=actor)
    target = rules.check_move(live.id, live.status, "start")
    size = session.scalar(select(func.count()).select_from(BagItem).where(BagItem.session_id == live.id)) or 0
    if size == 0:
        raise Conflict("add at least one product to the bag before going live", code="empty_bag")
    if live.shop_id:
        sellers.require_can_sell(session, shop_id=live.shop_id)
    else:
        _count_pilot_live(session, live)
    now = clock.now()
    live.status, live.started_at = target, now
    _touch(live)
    metrics.open_figures(session, live)
    outbox.emit(session, events.SessionStarted(**_session_event(live), started_at=now, bag_size=size),
                market=live.market)
    return live


def finish(session: Session, *, session_id: str, actor: Actor, action: str) -> LiveSession:
    """End a live session or cancel a scheduled one; its deals that have not ended end with it (deals.py gives
    their units back), called through service.end / service.cancel."""
    live = hosted(session, session_id=session_id, actor=actor)
    live.status = rules.check_move(live.id, live.status, action)
    now = clock.now()
    _touch(live)
    if action == "end":
        live.ended_at = now
        outbox.emit(session, events.SessionEnded(**_session_event(live), ended_at=now), market=live.market)
    else:
        outbox.emit(session, events.SessionCancelled(**_session_event(live)), market=live.market)
    return live


# --- the bag and the pin ------------------------------------------------------------------------------------------

def _bag_product(session: Session, live: LiveSession, product_id: str):
    """A live product this host may sell: the shop's own, or one a collaboration the creator joined offers."""
    try:
        product = catalog.get_product(session, product_id)
    except NotFound:
        raise Invalid(f"product {product_id} is not a live product", code="unknown_product",
                      field="product_id") from None
    if product.market != live.market:
        raise Invalid(f"product {product_id} is sold in {product.market}, not in {live.market}",
                      code="product_not_in_market", field="product_id")
    if live.shop_id and product.shop_id != live.shop_id:
        raise Invalid(f"product {product_id} is not a product of shop {live.shop_id}", code="unknown_product",
                      field="product_id")
    if live.creator_id and affiliate.offer_for(session, creator_id=live.creator_id, shop_id=product.shop_id,
                                               product_id=product.id, at=clock.now()) is None:
        raise Conflict(f"no collaboration you joined offers product {product_id}", code="product_not_offered",
                       field="product_id")
    return product


def add_to_bag(session: Session, *, session_id: str, product_id: str, actor: Actor) -> LiveSession:
    """Add a product at the end of the bag (already there: nothing changes), within live.bag.max_products."""
    live = hosted(session, session_id=session_id, actor=actor)
    rules.check_editable(live.id, live.status)
    product = _bag_product(session, live, product_id)
    items = bag(session, live.id)
    if any(item.product_id == product.id for item in items):
        return live
    limit = int(policies.value(session, key=rules.BAG_MAX, market=live.market))
    if len(items) >= limit:
        raise Conflict(f"the bag holds at most {limit} products ({rules.BAG_MAX})", code="bag_full",
                       field="product_id", policy_key=rules.BAG_MAX, limit=limit)
    position = max((item.position for item in items), default=-1) + 1
    session.add(BagItem(session_id=live.id, product_id=product.id, shop_id=product.shop_id, position=position,
                        added_at=clock.now()))
    _touch(live)
    session.flush()
    metrics.tick(session, live.id)
    _bag_to_room(session, live)
    return live


def remove_from_bag(session: Session, *, session_id: str, product_id: str, actor: Actor) -> LiveSession:
    live = hosted(session, session_id=session_id, actor=actor)
    rules.check_editable(live.id, live.status)
    if product_id not in {item.product_id for item in bag(session, live.id)}:
        raise Invalid(f"product {product_id} is not in the bag", code="product_not_in_bag", field="product_id")
    running = session.scalar(select(FlashDeal.id).where(FlashDeal.session_id == live.id,
                                                        FlashDeal.product_id == product_id,
                                                        FlashDeal.status.in_(rules.NOT_ENDED)).limit(1))
    if running:
        raise Conflict(f"deal {running} on product {product_id} has not ended", code="product_has_deal",
                       field="product_id", deal_id=running)
    session.execute(delete(BagItem).where(BagItem.session_id == live.id, BagItem.product_id == product_id))
    if live.pinned_product_id == product_id:
        live.pinned_product_id = None
    _touch(live)
    metrics.tick(session, live.id)
    _bag_to_room(session, live)
    rooms.pinned(session, session_id=live.id, product_id=live.pinned_product_id)
    return live


def reorder_bag(session: Session, *, session_id: str, product_ids: list[str], actor: Actor) -> LiveSession:
    live = hosted(session, session_id=session_id, actor=actor)
    rules.check_editable(live.id, live.status)
    current = {item.product_id for item in bag(session, live.id)}
    if len(product_ids) != len(current) or set(product_ids) != current:
        raise Invalid("product_ids must list every product of the bag exactly once", code="invalid_bag_order",
                      field="product_ids")
    for position, pid in enumerate(product_ids):
        session.execute(update(BagItem).where(BagItem.session_id == live.id, BagItem.product_id == pid)
                        .values(position=position).execution_options(synchronize_session=False))
    _touch(live)
    _bag_to_room(session, live)
    return live


def pin(session: Session, *, session_id: str, product_id: str | None, actor: Actor) -> LiveSession:
    """Pin a product of the bag (one at a time: 409 another_product_pinned), or unpin with None."""
    live = hosted(session, session_id=session_id, actor=actor)
    rules.check_editable(live.id, live.status)
    if product_id is None:
        live.pinned_product_id = None
    elif live.pinned_product_id != product_id:
        if product_id not in {item.product_id for item in bag(session, live.id)}:
            raise Invalid(f"product {product_id} is not in the bag", code="product_not_in_bag", field="product_id")
        if live.pinned_product_id is not None:
            raise Conflict(f"product {live.pinned_product_id} is pinned: unpin it first", code="another_product_pinned",
                           field="product_id")
        live.pinned_product_id = product_id
        metrics.record_pin(session, live.id)
    _touch(live)
    rooms.pinned(session, session_id=live.id, product_id=live.pinned_product_id)
    return live


def _bag_to_room(session: Session, live: LiveSession) -> None:
    rooms.bag_changed(session, session_id=live.id, product_ids=[i.product_id for i in bag(session, live.id)])
