"""Orders: checkout, reading, the fulfilment moves, cancellation, expiry and refunds.

Stock is never read and then written here: catalog.reserve/confirm_sale/release/restock are single guarded
statements. Order rows are locked (FOR UPDATE; SQLite's writers queue anyway) before their status is
checked, so two moves of one order cannot both pass. Paying is in payments.py: two transactions with the
provider call between them."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import false, func, or_, select, update
from sqlalchemy.orm import Session

from marketcast.catalog import service as catalog
from marketcast.core import clock, outbox
from marketcast.core.auth import scope
from marketcast.core.auth import service as auth
from marketcast.core.auth.actor import Actor, Role
from marketcast.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from marketcast.core.fields import market_code
from marketcast.core.ids import new_id
from marketcast.core.inserts import insert_new
from marketcast.core.pagination import Paged, paginate
from marketcast.orders import daily_cap, events, hooks, rules
from marketcast.orders.events import OrderCreated, OrderExpired, OrderRefunded
from marketcast.orders.models import Order, OrderLine, PaymentAttempt, Refund
from marketcast.orders.schemas import AttributionSource  # noqa: F401  (re-exported for the areas above)
from marketcast.orders.timeline import TimelineEntry, timeline  # noqa: F401  (re-exported for the console)
from marketcast.policies import service as policies
from marketcast.reports import service as reports
from marketcast.sellers import service as sellers

# A charge in flight longer than this is taken for lost (a killed process): expiry and a new attempt may proceed.
PAYMENT_STALE_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class OrderDetail:
    order: Order
    lines: list[OrderLine]
    refunds: list[Refund]
    payments: list[PaymentAttempt]


@dataclass(frozen=True)
class Draft:
    """A checkout written but for its contended rows: see `draft_checkout` and `take_stock`."""

    order: Order
    lines: list[OrderLine]
    shop_id: str
    market: str
    probation: bool
    quantities: dict[str, int]  # SKU stock to reserve: the lines no higher area holds (deal_id is None)


# A checkout line: (sku_id, quantity) or (sku_id, quantity, deal_id).
CheckoutLine = tuple[str, int] | tuple[str, int, str | None]


def checkout(session: Session, *, buyer: Actor, lines: Sequence[CheckoutLine],
             extras: dict | None = None) -> tuple[Order, list[OrderLine]]:
    """Reserve stock and create a pending_payment order. Statements are batched, so the count does not grow with
    the number of lines: one SELECT for the SKUs, one guarded UPDATE for stock, one INSERT for all lines."""
    draft = draft_checkout(session, buyer=buyer, lines=lines, extras=extras)
    take_stock(session, draft)
    return draft.order, draft.lines


def draft_checkout(session: Session, *, buyer: Actor, lines: Sequence[CheckoutLine],
                   extras: dict | None = None) -> Draft:
    """Checkout's first half: every check and the order, its lines and its event written, but no stock taken and no
    probation slot counted yet. The caller MUST call `take_stock` in the same transaction (checkout does); the
    API stores its Idempotency-Key answer in between, so that the hot SKU's row lock, taken by `take_stock`, is held
    from that UPDATE to the commit only. A short SKU then still rolls everything back. See docs/adr/0013.

    A line with a `deal_id` is left to the area that knows deals (live): the checkout_lines hook prices and
    validates it, the held_stock hook takes its units (docs/adr/0016)."""
    buyer.require_role(Role.BUYER, "placing and paying orders")
    [draft] = _drafts(session, _basket(session, lines), [buyer], extras)
    insert_new(session, draft_rows(draft))  # what a flush would write, for less CPU (ADR 0013)
    return draft


@dataclass(frozen=True)
class _Basket:
    """What every buyer of the same lines shares: the lines folded, their SKUs, the shop, the unpaid expiry."""

    folded: dict[tuple[str, str | None], int]
    views: dict[str, Any]
    first: Any
    shop: Any
    minutes: int


def _basket(session: Session, lines: Sequence[CheckoutLine]) -> _Basket:
    folded = rules.fold_lines(lines)
    per_sku: dict[str, int] = {}
    for (sku_id, _), quantity in folded.items():
        per_sku[sku_id] = per_sku.get(sku_id, 0) + quantity
    views = catalog.lines_for_checkout(session, sku_ids=list(per_sku))
    first = rules.check_skus(per_sku, views)
    shop = sellers.require_can_sell(session, shop_id=first.shop_id)
    minutes = policies.value(session, key="order.unpaid_expiry_minutes", market=first.market)
    return _Basket(folded, views, first, shop, int(minutes))


def _drafts(session: Session, basket: _Basket, buyers: Sequence[Actor], extras: dict | None) -> list[Draft]:
    """Each buyer's order of `basket`, its lines priced and attributed (checkout_lines, once for all), not yet
    written."""
    now, first, shop = clock.now(), basket.first, basket.shop
    made = []
    for buyer in buyers:
        order = Order(id=new_id("ord"), shop_id=shop.id, market=first.market, buyer_id=buyer.user_id,
                      status="pending_payment", currency=first.currency, total_amount=0, refunded_amount=0,
                      expires_at=now + timedelta(minutes=basket.minutes), created_at=now, updated_at=now)
        order_lines = []
        for (sku_id, deal_id), quantity in basket.folded.items():
            view = basket.views[sku_id]
            order_lines.append(OrderLine(id=new_id("oln"), order_id=order.id, sku_id=sku_id,
                                         product_id=view.product_id, title=view.title[:300], quantity=quantity,
                                         unit_price=view.price, amount=view.price * quantity,
                                         currency=view.currency, refunded_quantity=0, deal_id=deal_id))
        made.append(hooks.CheckoutDraft(order, order_lines, buyer, dict(extras or {})))
    hooks.checkout_lines.fire(session, made)
    return [_drafted(made_one, shop) for made_one in made]


def _drafted(made: hooks.CheckoutDraft, shop: Any) -> Draft:
    # A handler may have repriced lines (a deal's price): the total follows the lines as they are now.
    made.order.total_amount = sum(line.amount for line in made.lines)
    quantities: dict[str, int] = {}
    for line in made.lines:
        if line.deal_id is None:
            quantities[line.sku_id] = quantities.get(line.sku_id, 0) + line.quantity
    return Draft(made.order, made.lines, shop.id, shop.market, shop.status == "probation", quantities)


def draft_rows(draft: Draft) -> list[Any]:
    """The rows a draft writes: its order, its lines and its order.created event."""
    units = sum(line.quantity for line in draft.lines)
    created = outbox.new_event(OrderCreated(**_event(draft.order), units=units), market=draft.order.market)
    return [draft.order, *draft.lines, created]


def draft_many(session: Session, *, buyers: Sequence[Actor], lines: Sequence[CheckoutLine]) -> list[Draft]:
    """The same basket for many buyers (the batched checkout, orders.batch): its shared checks once, each buyer's
    order drafted as `draft_checkout` does, nothing written yet. Every buyer must have the role buyer."""
    return _drafts(session, _basket(session, lines), buyers, None)


def insert_drafts(session: Session, drafts: Sequence[Draft]) -> None:
    """Write the rows of many drafts, one INSERT per table (a batched checkout's winners)."""
    if drafts:
        insert_new(session, [row for draft in drafts for row in draft_rows(draft)])


def take_stock_many(session: Session, drafts: Sequence[Draft]) -> dict[str, DomainError]:
    """`take_stock` for many drafts in one transaction: order id -> why its stock was refused, for those that got
    none (the others got all of theirs). Drafts of one kind (all of SKU stock, or all of a higher area's units)
    are first taken together, in a savepoint; if they cannot all be served (the last units), or for a probation
    shop (its daily cap counts each order), each is taken alone, in a savepoint of its own, so that a refusal
    undoes only its own counts."""
    if drafts and not any(d.probation for d in drafts):
        try:
            with session.begin_nested():
                return _take_together(session, drafts)
        except (DomainError, hooks.ServeEach):
            pass
    refused: dict[str, DomainError] = {}
    for draft in drafts:
        try:
            with session.begin_nested():
                take_stock(session, draft)
        except DomainError as exc:
            refused[draft.order.id] = exc
    return refused


def _take_together(session: Session, drafts: Sequence[Draft]) -> dict[str, DomainError]:
    """Every draft's SKU units in one guarded UPDATE per SKU (their sums), or every draft's held lines through
    `held_stock_many`; raises when they cannot all be served, or are of both kinds."""
    held = [hooks.HeldStock(d.order, [line for line in d.lines if line.deal_id is not None]) for d in drafts]
    if all(d.quantities and not h.lines for d, h in zip(drafts, held, strict=True)):
        total: dict[str, int] = {}
        for draft in drafts:
            for sku_id, quantity in draft.quantities.items():
                total[sku_id] = total.get(sku_id, 0) + quantity
        catalog.reserve(session, quantities=total)
        return {}
    mixed = any(d.quantities or not h.lines for d, h in zip(drafts, held, strict=True))
    if mixed or not hooks.held_stock_many.handlers:
        raise hooks.ServeEach("drafts of both kinds, or nobody to take held units")
    many = hooks.HeldStockMany(held)
    hooks.held_stock_many.fire(session, many)
    return many.refused


def take_stock(session: Session, draft: Draft) -> None:
    """Checkout's second half, on the contended rows: the probation shop's daily counter, then the guarded stock
    UPDATE (409 daily_order_cap_reached / out_of_stock; the caller's transaction then rolls back the draft too),
    then the units of lines a higher area holds (held_stock: a deal's allotment)."""
    if draft.probation:  # only probation shops have a cap: the others skip its statements
        daily_cap.take_slot(session, shop_id=draft.shop_id, market=draft.market)
    if draft.quantities:
        catalog.reserve(session, quantities=draft.quantities)
    held = [line for line in draft.lines if line.deal_id is not None]
    if held:
        if not hooks.held_stock.handlers:  # nobody can take these units: refuse rather than sell from nowhere
            raise Invalid("this server sells no flash deals", code="unknown_deal", field="lines")
        hooks.held_stock.fire(session, hooks.HeldStock(draft.order, held))


def held_units(lines: list[OrderLine]) -> list[hooks.HeldUnits]:
    return [hooks.HeldUnits(line.order_id, line.deal_id, line.sku_id, line.quantity)
            for line in lines if line.deal_id is not None]


def _event(order: Order) -> dict[str, Any]:
    """The fields every order event shares (events.OrderEvent), from the order as it is now."""
    return {"order_id": order.id, "shop_id": order.shop_id, "buyer_id": order.buyer_id, "market": order.market,
            "status": order.status, "amount": order.total_amount, "currency": order.currency}


def get_order(session: Session, order_id: str, *, lock: bool = False) -> Order:
    stmt = select(Order).where(Order.id == order_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    order = session.scalar(stmt)
    if order is None:
        raise NotFound("order", order_id)
    return order


def lines_of(session: Session, order_id: str) -> list[OrderLine]:
    return list(session.scalars(select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.id)))


def is_buyer(order: Order, actor: Actor) -> bool:
    return actor.role == "buyer" and actor.user_id == order.buyer_id


def _not_yours(order: Order, actor: Actor) -> Forbidden:
    return Forbidden(f"order {order.id} is not yours ({actor.email})", code="not_your_order")


def require_buyer(order: Order, actor: Actor) -> None:
    """Only the order's buyer cancels or pays it."""
    if not is_buyer(order, actor):
        raise _not_yours(order, actor)


def require_viewer(session: Session, *, order: Order, actor: Actor) -> None:
    """The buyer, the shop's owner, or an operator of the order's market."""
    if is_buyer(order, actor):
        return
    if actor.is_operator:
        actor.require_market(order.market)
    elif actor.role == "seller":
        sellers.require_shop_owner(session, shop_id=order.shop_id, actor=actor)
    else:
        raise _not_yours(order, actor)


def detail(session: Session, *, order_id: str, actor: Actor) -> OrderDetail:
    order = get_order(session, order_id)
    require_viewer(session, order=order, actor=actor)
    return load_detail(session, order)


def load_detail(session: Session, order: Order) -> OrderDetail:
    refunds = session.scalars(select(Refund).where(Refund.order_id == order.id).order_by(Refund.id))
    payments = session.scalars(select(PaymentAttempt).where(PaymentAttempt.order_id == order.id)
                               .order_by(PaymentAttempt.id))
    return OrderDetail(order, lines_of(session, order.id), list(refunds), list(payments))


def list_orders(session: Session, *, actor: Actor, shop_id: str | None = None, market: str | None = None,
                status: str | None = None, order_id: str | None = None, buyer_email: str | None = None,
                placed_from: datetime | None = None, placed_before: datetime | None = None,
                page_size: int | None = None, page_token: str | None = None) -> Paged:
    """Buyers see their own orders; sellers one shop of theirs (shop_id); operators their markets. Searchable by
    order id, buyer email and the time it was placed (`placed_from` ≤ created_at < `placed_before`)."""
    stmt = select(Order)
    market = market_code(market) if market else None
    if actor.role == "buyer":
        stmt = stmt.where(Order.buyer_id == actor.user_id)
    elif actor.role == "seller":
        if not shop_id:
            raise Invalid("sellers list the orders of one of their shops: pass shop_id", code="shop_id_required",
                          field="shop_id")
        sellers.require_shop_owner(session, shop_id=shop_id, actor=actor)
    elif actor.is_operator:
        stmt = scope.in_markets(stmt, Order.market, actor, market)
        if shop_id:
            sellers.require_shop_owner(session, shop_id=shop_id, actor=actor)
    else:
        raise Forbidden(f"{actor.role}s have no orders to list", code="wrong_role")
    if placed_from and placed_before and placed_from >= placed_before:
        raise Invalid("the end of the range must come after its start", field="placed_before")
    if buyer_email and buyer_email.strip():
        buyer = auth.find_user_id(session, email=buyer_email)
        stmt = stmt.where(Order.buyer_id == buyer) if buyer else stmt.where(false())
    if shop_id:
        stmt = stmt.where(Order.shop_id == shop_id)
    if market and not actor.is_operator:
        stmt = stmt.where(Order.market == market)
    if status:
        stmt = stmt.where(Order.status == status)
    if order_id:
        stmt = stmt.where(Order.id == order_id.strip())
    if placed_from:
        stmt = stmt.where(Order.created_at >= placed_from)
    if placed_before:
        stmt = stmt.where(Order.created_at < placed_before)
    return paginate(session, stmt, order_by=[Order.id], page_size=page_size, page_token=page_token)


def _move(session: Session, order: Order, action: str, event: type[events.OrderEvent], **extra: Any) -> Order:
    order.status = rules.check_move(order.id, order.status, action)
    order.updated_at = clock.now()
    outbox.emit(session, event(**_event(order), **extra), market=order.market)
    if action != "cancel":
        hooks.order_moved.fire(session, hooks.OrderMoved(order, action))
    return order


def ship(session: Session, *, order_id: str, actor: Actor, carrier: str, tracking_number: str) -> Order:
    """The shop's owner ships (operators do not: they do not hold the goods), naming the carrier and the
    parcel's tracking number, which the buyer and the order's events carry from then on."""
    carrier, tracking_number = rules.check_shipment(carrier, tracking_number)
    order = get_order(session, order_id, lock=True)
    actor.require_role(Role.SELLER, "shipping an order")
    sellers.require_shop_owner(session, shop_id=order.shop_id, actor=actor)
    order.carrier, order.tracking_number = carrier, tracking_number
    _move(session, order, "ship", events.OrderShipped, carrier=carrier, tracking_number=tracking_number)
    order.shipped_at = order.updated_at
    return order


def deliver(session: Session, *, order_id: str, actor: Actor) -> Order:
    order = get_order(session, order_id, lock=True)
    if actor.role not in ("seller", "operator"):
        raise Forbidden("the shop's owner or an operator marks an order delivered", code="wrong_role")
    sellers.require_shop_owner(session, shop_id=order.shop_id, actor=actor)
    _move(session, order, "deliver", events.OrderDelivered)
    order.delivered_at = order.updated_at
    return order


def complete(session: Session, *, order_id: str, actor: Actor) -> Order:
    order = get_order(session, order_id, lock=True)
    if actor.is_operator:
        actor.require_market(order.market)
    elif not is_buyer(order, actor):
        raise _not_yours(order, actor)
    return _move(session, order, "complete", events.OrderCompleted)


def payment_in_flight(order: Order, now) -> bool:
    """A charge started less than PAYMENT_STALE_AFTER ago and not finished: cancel, expiry and a new charge wait."""
    return order.payment_started_at is not None and order.payment_started_at > now - PAYMENT_STALE_AFTER


def cancel(session: Session, *, order_id: str, actor: Actor) -> Order:
    """The buyer cancels an unpaid order; its stock goes back on sale."""
    order = get_order(session, order_id, lock=True)
    require_buyer(order, actor)
    if order.status == "pending_payment" and payment_in_flight(order, clock.now()):
        raise Conflict("a payment for this order is being processed", code="payment_in_progress")
    _move(session, order, "cancel", events.OrderCancelled)
    order.cancel_reason = "buyer"
    daily_cap.give_back(session, orders=[(order.shop_id, order.market, order.created_at)])
    order_lines = lines_of(session, order.id)
    plain = [line for line in order_lines if line.deal_id is None]
    if plain:
        catalog.release(session, quantities={line.sku_id: line.quantity for line in plain})
    hooks.orders_cancelled.fire(session, hooks.OrdersCancelled([order.id], "buyer", held_units(order_lines),
                                                               {order.id: order.buyer_id}))
    return order


def expire_unpaid(session: Session, *, limit: int = 500) -> int:
    """Cancel pending_payment orders past expires_at and put their stock back: one guarded UPDATE … RETURNING
    (a concurrent cancel or payment cannot be overtaken), one summed release, one bulk INSERT of
    the order.expired events."""
    now = clock.now()
    due = (Order.status == "pending_payment", Order.expires_at <= now,
           or_(Order.payment_started_at.is_(None), Order.payment_started_at <= now - PAYMENT_STALE_AFTER))
    ids = list(session.scalars(select(Order.id).where(*due).order_by(Order.expires_at, Order.id).limit(limit)))
    if not ids:
        return 0
    expired = session.execute(
        update(Order).where(Order.id.in_(ids), *due)
        .values(status="cancelled", cancel_reason="expired", payment_started_at=None, updated_at=now)
        .returning(Order.id, Order.shop_id, Order.buyer_id, Order.market, Order.total_amount, Order.currency,
                   Order.created_at),
        execution_options={"synchronize_session": False}).all()
    if not expired:
        return 0
    done = [row.id for row in expired]
    session.execute(update(PaymentAttempt)
                    .where(PaymentAttempt.order_id.in_(done), PaymentAttempt.status == "processing")
                    .values(status="error", decline_code="abandoned", message="no result before expiry",
                            finished_at=now), execution_options={"synchronize_session": False})
    units = session.execute(select(OrderLine.sku_id, func.sum(OrderLine.quantity))
                            .where(OrderLine.order_id.in_(done), OrderLine.deal_id.is_(None))
                            .group_by(OrderLine.sku_id)).all()
    catalog.release(session, quantities={sku_id: int(total) for sku_id, total in units})
    held = []
    for order_id, deal_id, sku_id, quantity in session.execute(
            select(OrderLine.order_id, OrderLine.deal_id, OrderLine.sku_id, OrderLine.quantity)
            .where(OrderLine.order_id.in_(done), OrderLine.deal_id.is_not(None))):
        assert deal_id is not None  # selected so
        held.append(hooks.HeldUnits(order_id, deal_id, sku_id, quantity))
    daily_cap.give_back(session, orders=[(row.shop_id, row.market, row.created_at) for row in expired])
    outbox.emit_many(session, [(OrderExpired(order_id=row.id, shop_id=row.shop_id, buyer_id=row.buyer_id,
                                             market=row.market, status="cancelled", amount=row.total_amount,
                                             currency=row.currency), row.market) for row in expired])
    hooks.orders_cancelled.fire(session, hooks.OrdersCancelled(done, "expired", held,
                                                               {row.id: row.buyer_id for row in expired}))
    return len(expired)


@dataclass(frozen=True)
class RefundPreview:
    order: Order
    lines: list[tuple[OrderLine, int]]  # (line, units to refund)
    amount: int


def _check_refundable(order: Order) -> None:
    if order.status not in rules.REFUNDABLE:
        raise Conflict(f"order {order.id} is {order.status}; only paid orders are refunded",
                       code="order_not_refundable", status_now=order.status)


def preview_refund(session: Session, *, order_id: str, lines: list[tuple[str, int]], actor: Actor) -> RefundPreview:
    """What `refund` would give back for these lines, checked by the same rules; nothing is written."""
    order = get_order(session, order_id)
    sellers.require_shop_owner(session, shop_id=order.shop_id, actor=actor)
    _check_refundable(order)
    by_id = {line.id: line for line in lines_of(session, order.id)}
    taken = rules.refund_quantities(by_id, lines)
    return RefundPreview(order=order, lines=[(by_id[line_id], units) for line_id, units in taken.items()],
                         amount=sum(by_id[line_id].unit_price * units for line_id, units in taken.items()))


def refund(session: Session, *, order_id: str, lines: list[tuple[str, int]], restock: bool, actor: Actor,
           expected_refunded: int | None = None) -> Refund:
    """Give back money for some units of a paid order (shop owner or operator). The GMV rollup and, with
    `restock`, the stock move in the same transaction. `expected_refunded` (what the caller saw refunded so far)
    turns a form sent twice into a 409 instead of a second refund."""
    order = get_order(session, order_id, lock=True)
    sellers.require_shop_owner(session, shop_id=order.shop_id, actor=actor)
    if expected_refunded is not None and order.refunded_amount != expected_refunded:
        raise Conflict(f"order {order.id} was refunded meanwhile; reload it and look again", code="order_changed")
    _check_refundable(order)
    order_lines = lines_of(session, order.id)
    by_id = {line.id: line for line in order_lines}
    taken = rules.refund_quantities(by_id, lines)
    now = clock.now()
    refund_lines: list[dict[str, Any]] = []  # stored as the refund's JSON
    for line_id, quantity in taken.items():
        line = by_id[line_id]
        line.refunded_quantity += quantity
        refund_lines.append({"line_id": line_id, "quantity": quantity, "amount": line.unit_price * quantity})
    amount = sum(item["amount"] for item in refund_lines)
    units = sum(taken.values())
    order.refunded_amount += amount
    order.updated_at = now
    record = Refund(id=new_id("rfd"), order_id=order.id, amount=amount, currency=order.currency, restock=restock,
                    lines=refund_lines, actor=actor.email, created_at=now)
    session.add(record)
    if restock:
        per_sku: dict[str, int] = {}
        for line_id, quantity in taken.items():
            per_sku[by_id[line_id].sku_id] = per_sku.get(by_id[line_id].sku_id, 0) + quantity
        catalog.restock(session, quantities=per_sku)
    reports.record_refund(session, market=order.market, shop_id=order.shop_id, currency=order.currency,
                          amount=amount, units=units, at=now)
    reports.record_attributed_refund(session, market=order.market, shop_id=order.shop_id, currency=order.currency,
                                     parts=attributed_parts([by_id[i] for i in taken], quantities=taken), at=now)
    full = all(line.refunded_quantity == line.quantity for line in order_lines)
    hooks.order_refunded.fire(session, hooks.OrderRefunded(order, record, order_lines, full))
    outbox.emit(session, OrderRefunded(order_id=order.id, refund_id=record.id, amount=amount,
                                       currency=order.currency, restock=restock, full=full, shop_id=order.shop_id,
                                       market=order.market), market=order.market)
    return record


def attributed_parts(lines: list[OrderLine], *, quantities: dict[str, int] | None = None,
                     ) -> list[reports.AttributedAmount]:
    """The attributed lines' amounts (whole lines, or `quantities` of them) for the creator GMV rollups."""
    parts = []
    for line in lines:
        if line.creator_id is not None:
            assert line.collaboration_id is not None, "a line is attributed to both at once"
            units = line.quantity if quantities is None else quantities[line.id]
            parts.append(reports.AttributedAmount(line.creator_id, line.collaboration_id, line.unit_price * units,
                                                  units))
    return parts

