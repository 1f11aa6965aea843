"""Stock movements between a SKU's three counters, each ONE guarded UPDATE for all SKUs of the call.

    reserve       available -> reserved   (checkout)
    confirm_sale  reserved  -> sold       (payment)
    release       reserved  -> available  (cancel, unpaid expiry)
    restock       sold      -> available  (refund with restock)

Never read-then-write in Python: the database checks `counter >= n` on the row it is updating, so two
buyers racing for the last unit cannot both get it. The rows are locked in id order by the sub-select
(PostgreSQL; SQLite has one writer at a time anyway), so two multi-SKU checkouts never deadlock.
Callers use these through catalog.service."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

from sqlalchemy import BigInteger, bindparam, case, literal, select, update
from sqlalchemy.orm import Session, aliased

from marketcast.catalog.models import Product, Sku
from marketcast.core.errors import Conflict, Invalid
from marketcast.core.ids import looks_like_id

Quantities = Mapping[str, int] | Iterable[tuple[str, int]]


@dataclass(frozen=True)
class SkuView:
    """What checkout needs to know about one SKU."""

    sku_id: str
    product_id: str
    shop_id: str
    market: str
    currency: str
    price: int
    product_status: str
    title: str
    code: str


def lines_for_checkout(session: Session, *, sku_ids: list[str]) -> dict[str, SkuView]:
    """The SKUs that exist among `sku_ids`, with their product, in ONE query. Unknown ids are simply absent."""
    wanted = sorted({sku_id for sku_id in sku_ids if looks_like_id(sku_id)})
    if not wanted:
        return {}
    rows = session.execute(_FOR_CHECKOUT, {"b_ids": wanted})
    return {row[0]: SkuView(*row) for row in rows}


# Built once (every checkout runs it): a statement built anew costs more to build than to run.
_FOR_CHECKOUT = (select(Sku.id, Sku.product_id, Sku.shop_id, Product.market, Sku.currency, Sku.price, Product.status,
                        Product.title, Sku.code)
                 .join(Product, Product.id == Sku.product_id).where(Sku.id.in_(bindparam("b_ids", expanding=True))))


def _summed(quantities: Quantities) -> dict[str, int]:
    """Quantities per SKU, duplicates added up; every quantity must be a positive whole number."""
    pairs = quantities.items() if isinstance(quantities, Mapping) else quantities
    total: dict[str, int] = {}
    for sku_id, n in pairs:
        if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
            raise Invalid(f"quantity for SKU {sku_id} must be a positive whole number, not {n!r}",
                          field="quantities")
        total[sku_id] = total.get(sku_id, 0) + n
    return total


def _forget_cached(session: Session, ids: Iterable[str]) -> None:
    # The UPDATEs below bypass the ORM; a Sku already loaded in this session must be re-read, not trusted.
    ids = set(ids)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Sku) and obj.id in ids:
            session.expire(obj)


def _shift(session: Session, amounts: dict[str, int], *, source, target) -> set[str]:
    """Move amounts[id] from `source` to `target` on every row whose `source` has enough; the ids moved."""
    if len(amounts) == 1:  # the common checkout: one row, nothing to lock in order, a statement built once
        [(sku_id, quantity)] = amounts.items()
        result = session.execute(_one_row_shift(source.key, target.key), {"b_id": sku_id, "b_n": quantity})
        moved = set(result.scalars())
        _forget_cached(session, moved)
        return moved
    n = case({sku_id: literal(q, BigInteger) for sku_id, q in amounts.items()}, value=Sku.id)
    locked = aliased(Sku, name="locked")
    in_order = select(locked.id).where(locked.id.in_(sorted(amounts))).order_by(locked.id).with_for_update()
    stmt = (update(Sku).where(Sku.id.in_(in_order), source >= n)
            .values({source: source - n, target: target + n}).returning(Sku.id))
    moved = set(session.scalars(stmt, execution_options={"synchronize_session": False}))
    _forget_cached(session, moved)
    return moved


@cache
def _one_row_shift(source: str, target: str):
    """`UPDATE skus SET source = source - :n, target = target + :n WHERE id = :id AND source >= :n RETURNING id`,
    on the table (no ORM bookkeeping) and built once per pair of counters: a hot SKU's every order runs it."""
    table = Sku.__table__
    n = bindparam("b_n", type_=BigInteger)
    return (update(table).where(table.c.id == bindparam("b_id"), table.c[source] >= n)
            .values({source: table.c[source] - n, target: table.c[target] + n}).returning(table.c.id))


def _move(session: Session, quantities: Quantities, *, source, target, code: str, what: str) -> None:
    amounts = _summed(quantities)
    if not amounts:
        return
    known = {sku_id: n for sku_id, n in amounts.items() if looks_like_id(sku_id)}
    moved = _shift(session, known, source=source, target=target) if known else set()
    missing = [sku_id for sku_id in sorted(amounts) if sku_id not in moved]
    if not missing:
        return
    if moved:
        # All or nothing even for a caller that catches the error and carries on: put back what did move
        # (our transaction holds those rows locked, so nobody saw or changed them meanwhile).
        _shift(session, {sku_id: amounts[sku_id] for sku_id in moved}, source=target, target=source)
    first = missing[0]
    raise Conflict(f"SKU {first} does not have {amounts[first]} {what}", code=code, field="lines",
                   sku_id=first, missing=missing)


def reserve(session: Session, *, quantities: Quantities) -> None:
    """available -= q, reserved += q for every SKU, or for none: Conflict `out_of_stock` names the first short SKU."""
    _move(session, quantities, source=Sku.available, target=Sku.reserved, code="out_of_stock",
          what="units available")


def confirm_sale(session: Session, *, quantities: Quantities) -> None:
    """reserved -= q, sold += q: the reservation was paid for."""
    _move(session, quantities, source=Sku.reserved, target=Sku.sold, code="not_reserved", what="units reserved")


def release(session: Session, *, quantities: Quantities) -> None:
    """reserved -= q, available += q: a cancelled or expired reservation goes back on sale."""
    _move(session, quantities, source=Sku.reserved, target=Sku.available, code="not_reserved",
          what="units reserved")


def restock(session: Session, *, quantities: Quantities) -> None:
    """sold -= q, available += q: refunded units that go back on sale."""
    _move(session, quantities, source=Sku.sold, target=Sku.available, code="not_sold", what="units sold")
