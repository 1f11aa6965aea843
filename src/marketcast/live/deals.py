"""Flash deals: made on a SKU of the bag, started by the host or at their time, open for their duration, ended
once. Every move of a deal's units is one guarded statement (docs/adr/0016):

    create     SKU available -> reserved (catalog.reserve), the deal's units_left = allotment
    take       units_left -= q, sold += q       WHERE selling AND in its time AND units_left >= q
    give back  units_left += q, sold -= q       WHERE not ended            (an unpaid order cancelled or expired)
               sold -= q, returned += q         WHERE ended, then SKU reserved -> available
    end        returned += units_left, units_left = 0  WHERE not ended,   then SKU reserved -> available

so the SKU's counters and the deal's add up whatever runs at once or is killed halfway (a killed transaction
did nothing). Paying for a deal order is the catalog's reserved -> sold, as for any order."""

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, NoReturn

from sqlalchemy import and_, bindparam, case, select, update
from sqlalchemy.orm import Session

from marketcast.catalog import service as catalog
from marketcast.core import clock, outbox
from marketcast.core.auth.actor import Actor
from marketcast.core.db import rowcount
from marketcast.core.errors import Conflict, Invalid, NotFound
from marketcast.core.ids import looks_like_id, new_id
from marketcast.core.realtime import call_after_commit
from marketcast.live import buckets as stock
from marketcast.live import events, gate, rooms, rules, sessions
from marketcast.live.models import BagItem, FlashDeal, LiveSession
from marketcast.policies import service as policies

if TYPE_CHECKING:
    from marketcast.orders.hooks import HeldStockMany

_BOUNDS = (rules.COUNTDOWN_MIN, rules.COUNTDOWN_MAX, rules.MAX_DURATION)


def _deal_event(deal: FlashDeal) -> dict[str, Any]:
    return {"deal_id": deal.id, "session_id": deal.session_id, "shop_id": deal.shop_id, "market": deal.market,
            "sku_id": deal.sku_id, "status": deal.status}


def _for_each(action: Callable[[str], None], deal_ids: list[str]) -> Callable[[], None]:
    """One after-commit action that does `action` to each deal."""
    def run() -> None:
        for deal_id in deal_ids:
            action(deal_id)
    return run


def create(session: Session, *, session_id: str, sku_id: str, deal_price: int, currency: str, allotment: int,
           per_buyer_limit: int, countdown_seconds: int, duration_minutes: int, starts_at: datetime | None,
           actor: Actor, buckets: int = rules.DEFAULT_BUCKETS) -> FlashDeal:
    live = sessions.hosted(session, session_id=session_id, actor=actor)
    rules.check_editable(live.id, live.status)
    try:
        sku = catalog.get_sku(session, sku_id)
    except NotFound:
        raise Invalid(f"SKU {sku_id} does not exist", code="unknown_sku", field="sku_id") from None
    in_bag = session.scalar(select(BagItem.product_id).where(BagItem.session_id == live.id,
                                                             BagItem.product_id == sku.product_id))
    if in_bag is None:
        raise Invalid(f"SKU {sku_id} is of product {sku.product_id}, which is not in the bag",
                      code="product_not_in_bag", field="sku_id")
    if currency != sku.currency:
        raise Invalid(f"the SKU is priced in {sku.currency}, not {currency}", code="wrong_currency",
                      field="deal_price.currency")
    bounds = {key: int(policies.value(session, key=key, market=live.market)) for key in _BOUNDS}
    rules.check_terms(deal_price=deal_price, regular_price=sku.price, allotment=allotment,
                      per_buyer_limit=per_buyer_limit, countdown=countdown_seconds, duration=duration_minutes,
                      bounds=bounds)
    now = clock.now()
    if starts_at is not None and starts_at <= now:
        raise Invalid("starts_at must be in the future (or left out, to start the deal by hand)",
                      code="starts_in_past", field="starts_at")
    try:
        catalog.reserve(session, quantities={sku.id: allotment})
    except Conflict as exc:
        raise Conflict(f"SKU {sku.id} does not have {allotment} units available", code="out_of_stock",
                       field="allotment", sku_id=sku.id, missing=[sku.id]) from exc
    opens_at, ends_at = rules.timeline(starts_at, countdown_seconds, duration_minutes) if starts_at else (None, None)
    deal = FlashDeal(id=new_id("dea"), session_id=live.id, shop_id=sku.shop_id, market=live.market,
                     product_id=sku.product_id, sku_id=sku.id, currency=sku.currency, deal_price=deal_price,
                     regular_price=sku.price, allotment=allotment, units_left=allotment, sold=0, returned=0,
                     per_buyer_limit=per_buyer_limit, countdown_seconds=countdown_seconds,
                     duration_minutes=duration_minutes, buckets=min(buckets, allotment),
                     unpaid_expiry_minutes=int(policies.value(session, key=rules.UNPAID_EXPIRY, market=live.market)),
                     status="scheduled", starts_at=starts_at, opens_at=opens_at, ends_at=ends_at, created_at=now,
                     updated_at=now)
    if deal.buckets > 1:
        deal.units_left = 0
    session.add(deal)
    if deal.buckets > 1:
        session.flush()
        stock.split(session, deal_id=deal.id, allotment=allotment, buckets=deal.buckets)
    outbox.emit(session, events.DealCreated(**_deal_event(deal), deal_price=deal_price, currency=deal.currency,
                                            allotment=allotment, per_buyer_limit=per_buyer_limit,
                                            starts_at=starts_at), market=deal.market)
    session.flush()
    return deal


def get(session: Session, deal_id: str) -> FlashDeal:
    deal = session.get(FlashDeal, deal_id, populate_existing=True) if looks_like_id(deal_id) else None
    if deal is None:
        raise NotFound("deal", deal_id)
    return deal


def read(session: Session, *, deal_id: str, actor: Actor | None) -> FlashDeal:
    """Anyone who may see the deal's session."""
    deal = get(session, deal_id)
    sessions.get(session, session_id=deal.session_id, actor=actor)
    return deal


def of_session(session: Session, *, session_id: str, actor: Actor | None) -> list[FlashDeal]:
    sessions.get(session, session_id=session_id, actor=actor)
    return list(session.scalars(select(FlashDeal).where(FlashDeal.session_id == session_id).order_by(FlashDeal.id)))


def _hosted_deal(session: Session, deal_id: str, actor: Actor) -> FlashDeal:
    deal = get(session, deal_id)
    live = sessions.hosted(session, session_id=deal.session_id, actor=actor)
    rules.check_editable(live.id, live.status)
    return deal


def start(session: Session, *, deal_id: str, actor: Actor) -> FlashDeal:
    """The host starts a scheduled deal's countdown now (a guarded move: started twice, the second is a 409)."""
    deal = _hosted_deal(session, deal_id, actor)
    now = clock.now()
    opens_at, ends_at = rules.timeline(now, deal.countdown_seconds, deal.duration_minutes)
    moved = rowcount(session.execute(update(FlashDeal).where(FlashDeal.id == deal.id, FlashDeal.status == "scheduled")
                            .values(status="counting_down", starts_at=now, opens_at=opens_at, ends_at=ends_at,
                                    updated_at=now).execution_options(synchronize_session=False)))
    deal = get(session, deal.id)
    if moved != 1:
        raise Conflict(f"deal {deal.id} is {deal.status}; only a scheduled deal is started", code="deal_not_startable",
                       status_now=deal.status, deal_id=deal.id)
    outbox.emit(session, events.DealCountingDown(**_deal_event(deal), opens_at=opens_at, ends_at=ends_at),
                market=deal.market)
    _tell_room(session, deal)
    return deal


def _tell_room(session: Session, deal: FlashDeal) -> None:
    rooms.deal_changed(session, session_id=deal.session_id, deal=snapshot(session, deal))


def end(session: Session, *, deal_id: str, actor: Actor) -> FlashDeal:
    """The host ends a deal early; ending an ended deal changes nothing (its units went back once)."""
    deal = _hosted_deal(session, deal_id, actor)
    _end_where(session, FlashDeal.id == deal.id)
    return get(session, deal.id)


def _end_where(session: Session, *conditions) -> int:
    """End every deal matching `conditions` that has not ended: one guarded UPDATE … RETURNING, then the SKU
    stock of what was left, in the same transaction. A deal already ended matches nothing, so its units can
    never go back twice, whoever ends it at once (the host, its session's end, the worker)."""
    now = clock.now()
    done = session.execute(
        update(FlashDeal).where(*conditions, FlashDeal.status.in_(rules.NOT_ENDED))
        .values(status="ended", returned=FlashDeal.returned + FlashDeal.units_left, units_left=0, ended_at=now,
                updated_at=now)
        .returning(FlashDeal.id, FlashDeal.session_id, FlashDeal.shop_id, FlashDeal.market, FlashDeal.sku_id,
                   FlashDeal.sold, FlashDeal.returned),
        execution_options={"synchronize_session": False}).all()
    if not done:
        return 0
    bucketed = list(session.scalars(select(FlashDeal.id).where(FlashDeal.id.in_([r.id for r in done]),
                                                               FlashDeal.buckets > 1)))
    drained = stock.drain(session, deal_ids=bucketed) if bucketed else {}
    for deal_id in bucketed:
        session.execute(update(FlashDeal).where(FlashDeal.id == deal_id)
                        .values(returned=FlashDeal.returned + drained.get(deal_id, 0),
                                sold=FlashDeal.allotment - FlashDeal.returned - drained.get(deal_id, 0))
                        .execution_options(synchronize_session=False))
    if bucketed:
        done = session.execute(select(FlashDeal.id, FlashDeal.session_id, FlashDeal.shop_id, FlashDeal.market,
                                      FlashDeal.sku_id, FlashDeal.sold, FlashDeal.returned)
                               .where(FlashDeal.id.in_([r.id for r in done]))).all()
    back: dict[str, int] = defaultdict(int)
    for row in done:
        if row.returned:
            back[row.sku_id] += row.returned
    if back:
        catalog.release(session, quantities=dict(back))
    outbox.emit_many(session, [(events.DealEnded(deal_id=row.id, session_id=row.session_id, shop_id=row.shop_id,
                                                 market=row.market, sku_id=row.sku_id, status="ended", sold=row.sold,
                                                 returned=row.returned), row.market) for row in done])
    ids = [row.id for row in done]
    call_after_commit(session, _for_each(partial(gate.mark, code="deal_not_open"), ids))
    for deal_id in ids:
        _tell_room(session, get(session, deal_id))
    return len(done)


def end_for_session(session: Session, *, session_id: str) -> int:
    return _end_where(session, FlashDeal.session_id == session_id)


# --- the worker: deals move on time --------------------------------------------------------------------------------

def advance(session: Session, *, limit: int = 500) -> int:
    """scheduled -> counting_down at starts_at, counting_down -> open at opens_at, and any deal past ends_at ->
    ended (its units back). Each a guarded UPDATE … RETURNING: run twice at once, or again after a kill, nothing
    moves twice. Each move is told to the deal's room (through Redis when it joins the processes; without it,
    each server process finds the moves of the rooms it serves itself: live/watch.py)."""
    now = clock.now()
    moved = 0
    due = list(session.scalars(select(FlashDeal.id).where(FlashDeal.status == "scheduled",
                                                          FlashDeal.starts_at <= now).limit(limit)))
    if due:
        rows = session.execute(update(FlashDeal).where(FlashDeal.id.in_(due), FlashDeal.status == "scheduled")
                               .values(status="counting_down", updated_at=now)
                               .returning(FlashDeal), execution_options={"synchronize_session": False}).scalars().all()
        for deal in rows:
            moved += 1
            outbox.emit(session, events.DealCountingDown(**_deal_event(deal), opens_at=deal.opens_at,
                                                         ends_at=deal.ends_at), market=deal.market)
            _tell_room(session, deal)
    due = list(session.scalars(select(FlashDeal.id).where(FlashDeal.status == "counting_down",
                                                          FlashDeal.opens_at <= now,
                                                          FlashDeal.ends_at > now).limit(limit)))
    if due:
        rows = session.execute(update(FlashDeal).where(FlashDeal.id.in_(due), FlashDeal.status == "counting_down")
                               .values(status="open", updated_at=now)
                               .returning(FlashDeal), execution_options={"synchronize_session": False}).scalars().all()
        for deal in rows:
            moved += 1
            outbox.emit(session, events.DealOpened(**_deal_event(deal), units_left=deal.units_left,
                                                   ends_at=deal.ends_at), market=deal.market)
            _tell_room(session, deal)
    due = list(session.scalars(select(FlashDeal.id).where(FlashDeal.status.in_(rules.SELLING),
                                                          FlashDeal.ends_at <= now).limit(limit)))
    if due:
        moved += _end_where(session, FlashDeal.id.in_(due), FlashDeal.ends_at <= now)
    return moved


# --- checkout: pricing, taking and giving back units -----------------------------------------------------------------

# session.info, from pricing to taking in one transaction: deal id -> per-buyer limit, deal id -> buckets.
_CAPS, _BUCKETS = "live.deal_caps", "live.deal_buckets"


def price_lines(session: Session, *, order, lines: list) -> None:
    """Check and price the deal lines of a checkout (checkout_lines hook): the deal exists and is on the line's
    SKU, it is selling now in a live session, the quantity is within the per-buyer limit. The line gets the deal
    price, the session, and the hosting creator at their rate now; the order the deal's short unpaid expiry."""
    from marketcast.affiliate import service as affiliate

    wanted = sorted({line.deal_id for line in lines if line.deal_id})
    if not wanted:
        return
    rows = _pricing(session, wanted)
    now = clock.now()
    caps = session.info.setdefault(_CAPS, {})
    for index, line in enumerate(lines):
        if not line.deal_id:
            continue
        found = rows.get(line.deal_id)
        if found is None or found[0].sku_id != line.sku_id:
            raise Invalid(f"deal {line.deal_id} is not a deal on SKU {line.sku_id}", code="unknown_deal",
                          field=f"lines.{index}.deal_id")
        deal, session_status, creator_id = found
        status = rules.status_at(deal.status, deal.opens_at, deal.ends_at, max(deal.units_left, deal.buckets > 1),
                                 now)
        if status == "ended":
            gate.mark(deal.id, "deal_not_open")
        if session_status != "live" or status not in ("open", "sold_out"):
            raise Conflict(f"deal {deal.id} is not open ({status}; its session is {session_status})",
                           code="deal_not_open", field=f"lines.{index}.deal_id", deal_id=deal.id,
                           status_now=status)
        if line.quantity > deal.per_buyer_limit:
            raise Conflict(f"deal {deal.id} sells at most {deal.per_buyer_limit} per buyer", code="per_buyer_limit",
                           field=f"lines.{index}.quantity", deal_id=deal.id, limit=deal.per_buyer_limit)
        caps[deal.id] = deal.per_buyer_limit
        session.info.setdefault(_BUCKETS, {})[deal.id] = deal.buckets
        line.unit_price, line.amount = deal.deal_price, deal.deal_price * line.quantity
        line.live_session_id = deal.session_id
        if creator_id is not None:
            offer = affiliate.offer_for(session, creator_id=creator_id, shop_id=deal.shop_id,
                                        product_id=deal.product_id, at=now)
            if offer is not None:
                line.creator_id, line.attribution_source = creator_id, "live"
                line.collaboration_id, line.commission_rate_bps = offer.collaboration_id, offer.rate_bps
        order.expires_at = min(order.expires_at, now + timedelta(minutes=deal.unpaid_expiry_minutes))


def take(session: Session, *, buyer_id: str, lines: list) -> None:
    """Take the deal lines' units (held_stock hook, the checkout's last step): the buyer's count first (its own
    row), then the deal's units (the hot row, held from here to the commit only). Deals in id order."""
    from marketcast.live import buyers

    caps = session.info.get(_CAPS, {})
    now = clock.now()
    for line in sorted(lines, key=lambda x: x.deal_id):
        buyers.count(session, deal_id=line.deal_id, buyer_id=buyer_id, quantity=line.quantity,
                     cap=caps.get(line.deal_id, line.quantity))
    for line in sorted(lines, key=lambda x: x.deal_id):
        _take_units(session, line.deal_id, line.quantity, line.live_session_id, line.order_id, now)


def take_many(session: Session, held: "HeldStockMany") -> None:
    """Take the units of many single-line orders of one deal at once (held_stock_many, a batched checkout): every
    buyer's count in one upsert (a buyer over the limit is refused alone, in `held.refused`), then the units of
    all the others in one guarded statement. Raises when they cannot all be served (the deal's last units, or
    orders of several deals or lines): each order is then taken alone."""
    from marketcast.live import buyers
    from marketcast.orders import hooks as order_hooks

    lines = [order.lines[0] for order in held.orders if len(order.lines) == 1]
    deal_ids = {line.deal_id for line in lines}
    if len(lines) != len(held.orders) or len(deal_ids) != 1:
        raise order_hooks.ServeEach(f"{len(held.orders)} orders of {len(deal_ids)} deals")
    [deal_id] = deal_ids
    assert deal_id is not None  # held lines are deal lines
    cap = session.info.get(_CAPS, {}).get(deal_id, 1)
    buyer_of = {order.order.id: order.order.buyer_id for order in held.orders}
    counted = buyers.count_many(session, deal_id=deal_id, cap=cap,
                                units={buyer_of[line.order_id]: line.quantity for line in lines})
    for line in lines:
        if buyer_of[line.order_id] not in counted:
            held.refused[line.order_id] = buyers.over_limit(deal_id, cap)
    taking = [line for line in lines if buyer_of[line.order_id] in counted]
    if taking:
        live_session_id = taking[0].live_session_id
        assert live_session_id is not None  # priced so (price_lines)
        _take_units(session, deal_id, sum(line.quantity for line in taking), live_session_id, taking[0].order_id,
                    clock.now())


def _take_units(session: Session, deal_id: str, q: int, live_session_id: str, salt: str,
                now: datetime) -> None:
    """Take `q` units of a deal (its bucket rows, or its one row), or refuse (409); tell the room what is left."""
    buckets = session.info.get(_BUCKETS, {}).get(deal_id, 1)
    if buckets > 1:
        left = stock.take(session, deal_id=deal_id, quantity=q, buckets=buckets, salt=salt)
        if left is None:
            _refuse(session, deal_id, q, now)
        units = stock.units_left(session, deal_id)
        if left == 0 and units == 0:
            _sold_out(session, deal_id)
        else:
            rooms.units_left(session, session_id=live_session_id, deal_id=deal_id, units_left=units)
        return
    left = session.execute(_TAKE, {"b_id": deal_id, "b_now": now, "b_q": q}).scalar_one_or_none()
    if left is None:
        _refuse(session, deal_id, q, now)
    if left == 0:
        _sold_out(session, deal_id)
        return
    rooms.units_left(session, session_id=live_session_id, deal_id=deal_id, units_left=left)
    if gate.is_marked(deal_id):  # a probe found units back: this process stops turning buyers away
        call_after_commit(session, partial(gate.clear, deal_id, everywhere=False))


# The deal's one guarded statement, built once (every deal order runs it; building it anew costs more than running
# it): units_left -= q WHERE still selling and units_left >= q, sold_out when it took the last.
# On the table (Core), not the entity: the ORM's bulk-update path cost more CPU than the statement.
_DEALS = FlashDeal.__table__
_TAKE = (update(_DEALS)
         .where(_DEALS.c.id == bindparam("b_id"), _DEALS.c.status.in_(rules.SELLING),
                _DEALS.c.opens_at <= bindparam("b_now"), _DEALS.c.ends_at > bindparam("b_now"),
                _DEALS.c.units_left >= bindparam("b_q"))
         .values(units_left=_DEALS.c.units_left - bindparam("b_q"), sold=_DEALS.c.sold + bindparam("b_q"),
                 status=case((_DEALS.c.units_left == bindparam("b_q"), "sold_out"), else_=_DEALS.c.status))
         .returning(_DEALS.c.units_left))


_PRICING = (select(FlashDeal, LiveSession.status, LiveSession.creator_id)
            .join(LiveSession, LiveSession.id == FlashDeal.session_id)
            .where(FlashDeal.id.in_(bindparam("b_ids", expanding=True))))


def _pricing(session: Session, wanted: list[str]) -> dict[str, tuple[FlashDeal, str, str | None]]:
    """The deals and their sessions, read once per transaction: a batched checkout prices many orders of one deal
    (the guarded take decides anyway whether a unit is still there)."""
    transaction = session.get_transaction()
    cached = session.info.get(_PRICED)
    if cached is not None and cached[0] is transaction and cached[1] == wanted:
        return cached[2]
    rows = {deal.id: (deal, status, creator_id) for deal, status, creator_id in session.execute(
        _PRICING, {"b_ids": wanted})}
    session.info[_PRICED] = (transaction, wanted, rows)
    return rows


_PRICED = "live.deal_pricing"


def _sold_out(session: Session, deal_id: str) -> None:
    deal = get(session, deal_id)
    if deal.buckets > 1:  # the row's status is not moved by each take of a bucketed deal: once, here
        session.execute(update(FlashDeal).where(FlashDeal.id == deal_id, FlashDeal.status.in_(rules.SELLING))
                        .values(status="sold_out").execution_options(synchronize_session=False))
        deal = get(session, deal_id)
    _, sold = counts(session, deal)
    outbox.emit(session, events.DealSoldOut(**_deal_event(deal), sold=sold), market=deal.market)
    call_after_commit(session, lambda: gate.mark(deal_id, "deal_sold_out"))
    _tell_room(session, deal)


def _refuse(session: Session, deal_id: str, quantity: int, now: datetime) -> NoReturn:
    deal = get(session, deal_id)
    left, _ = counts(session, deal)
    status = rules.status_at(deal.status, deal.opens_at, deal.ends_at, left, now)
    if status in ("open", "sold_out"):
        if left == 0:
            gate.mark(deal.id, "deal_sold_out")  # committed by whoever took the last unit
        raise Conflict(f"deal {deal.id} has {left} units left, not {quantity}", code="deal_sold_out",
                       deal_id=deal.id)
    if status == "ended":
        gate.mark(deal.id, "deal_not_open")
    raise Conflict(f"deal {deal.id} is not open ({status})", code="deal_not_open", deal_id=deal.id,
                   status_now=status)


def give_back(session: Session, *, held: list, buyers_of: dict[str, str]) -> None:
    """Units of cancelled or expired orders (orders_cancelled hook): the buyers' counts, then each deal's units
    back to the deal while it has not ended, else to the SKU's stock."""
    from marketcast.live import buyers

    per_buyer: dict[tuple[str, str], int] = defaultdict(int)
    per_deal: dict[str, int] = defaultdict(int)
    for units in held:
        per_buyer[(buyers_of[units.order_id], units.deal_id)] += units.quantity
        per_deal[units.deal_id] += units.quantity
    buyers.uncount(session, counts={(deal, buyer): n for (buyer, deal), n in sorted(per_buyer.items())})
    reopened: list[str] = []
    to_stock: dict[str, int] = defaultdict(int)
    bucketed_ids = dict(session.execute(select(FlashDeal.id, FlashDeal.buckets).where(
        FlashDeal.id.in_(list(per_deal)), FlashDeal.buckets > 1)).all())
    for deal_id in sorted(per_deal):
        q = per_deal[deal_id]
        if bucketed_ids.get(deal_id, 1) > 1:
            still = session.execute(update(FlashDeal).where(FlashDeal.id == deal_id,
                                                            FlashDeal.status.in_(rules.NOT_ENDED))
                                    .values(status=case((FlashDeal.status == "sold_out", "open"),
                                                        else_=FlashDeal.status))
                                    .returning(FlashDeal.id), execution_options={"synchronize_session": False})
            if still.scalar_one_or_none() is not None:
                stock.give_back(session, deal_id=deal_id, quantity=q)
                reopened.append(deal_id)
                continue
        back = session.execute(
            update(FlashDeal).where(FlashDeal.id == deal_id, FlashDeal.status.in_(rules.NOT_ENDED),
                                    FlashDeal.sold >= q)
            .values(units_left=FlashDeal.units_left + q, sold=FlashDeal.sold - q,
                    status=case((FlashDeal.status == "sold_out", "open"), else_=FlashDeal.status))
            .returning(FlashDeal.id), execution_options={"synchronize_session": False}).scalar_one_or_none()
        if back is not None:
            reopened.append(deal_id)
            continue
        sku = session.execute(
            update(FlashDeal).where(FlashDeal.id == deal_id, FlashDeal.status == "ended", FlashDeal.sold >= q)
            .values(sold=FlashDeal.sold - q, returned=FlashDeal.returned + q)
            .returning(FlashDeal.sku_id), execution_options={"synchronize_session": False}).scalar_one_or_none()
        if sku is not None:
            to_stock[sku] += q
    if to_stock:
        catalog.release(session, quantities=dict(to_stock))
    if reopened:
        call_after_commit(session, _for_each(gate.clear, reopened))


def seconds_between(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else max(0, int((end - start).total_seconds()))


def counts(session: Session, deal: FlashDeal) -> tuple[int, int]:
    """(units left, sold) of a deal now: its row's, or its buckets' while a bucketed deal runs."""
    if deal.buckets <= 1 or deal.status == "ended":
        return deal.units_left, deal.sold
    left = stock.units_left(session, deal.id)
    return left, deal.allotment - deal.returned - left


def snapshot(session: Session, deal: FlashDeal, now: datetime | None = None) -> dict[str, Any]:
    return snapshot_of(deal, now or clock.now(), counts(session, deal))


def snapshot_of(deal: FlashDeal, now: datetime, counted: tuple[int, int] | None = None) -> dict[str, Any]:
    units_left, sold = counted or (deal.units_left, deal.sold)
    status = rules.status_at(deal.status, deal.opens_at, deal.ends_at, units_left, now)
    return {"id": deal.id, "status": status, "sku_id": deal.sku_id, "product_id": deal.product_id,
            "deal_price": {"amount": deal.deal_price, "currency": deal.currency},
            "regular_price": {"amount": deal.regular_price, "currency": deal.currency},
            "units_left": units_left, "sold": sold, "per_buyer_limit": deal.per_buyer_limit,
            "opens_at": deal.opens_at.isoformat() if deal.opens_at else None,
            "ends_at": deal.ends_at.isoformat() if deal.ends_at else None,
            "seconds_to_open": seconds_between(now, deal.opens_at) if status == "counting_down" else None,
            "seconds_remaining": seconds_between(now, deal.ends_at) if status in ("open", "sold_out") else None}


def current(session: Session, session_id: str) -> list[FlashDeal]:
    """The session's deals that have not ended, soonest first."""
    return list(session.scalars(select(FlashDeal).where(and_(FlashDeal.session_id == session_id,
                                                             FlashDeal.status.in_(rules.NOT_ENDED)))
                                .order_by(FlashDeal.opens_at, FlashDeal.id)))
