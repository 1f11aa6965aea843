"""Recent books for the demo shop: its paid orders of the last 90 days shipped and delivered as a carrier would
(a day and two days after payment), then each week's statements closed as the worker closes them on Mondays, so
the finance pages show a balance, statements and payouts of recent weeks whenever the demo is loaded."""

from datetime import timedelta

from sqlalchemy.orm import Session

from marketcast.core import clock
from marketcast.core.auth import service as auth
from marketcast.finance import service as finance
from marketcast.orders import service as orders
from marketcast.sellers import service as sellers

DAYS = 90
CARRIER = "UPS"


def recent_statements(session: Session, *, email: str) -> int:
    """Deliver the shop of `email`'s older paid orders of the last 90 days and close the weeks since; returns how
    many statements were closed (none when the shop has a statement of those weeks already). Orders of the last two
    days stay paid, for the seller to ship."""
    owner = auth.actor_of(auth.get_user_by_email(session, email))
    shop = sellers.shops_of(session, actor=owner)[0]
    now = clock.now()
    since = now - timedelta(days=DAYS)
    mine, _ = finance.statements_of_shop(session, shop_id=shop.id, actor=owner, page_size=200)
    if any(statement.period_start >= since for statement in mine):
        return 0
    placed, _ = orders.list_orders(session, actor=owner, shop_id=shop.id, status="paid", placed_from=since,
                                   page_size=200)
    for n, order in enumerate(sorted(placed, key=lambda o: o.paid_at)):
        if order.paid_at is None or order.paid_at > now - timedelta(days=2):
            continue
        with clock.frozen(order.paid_at + timedelta(days=1)):
            orders.ship(session, order_id=order.id, actor=owner, carrier=CARRIER,
                        tracking_number=f"1Z{order.id[-10:].upper()}{n:02d}")
        with clock.frozen(order.paid_at + timedelta(days=2)):
            orders.deliver(session, order_id=order.id, actor=owner)
    closed, monday = 0, (since - timedelta(days=since.weekday())).replace(hour=6, minute=0, second=0, microsecond=0)
    while monday <= now:
        with clock.frozen(monday):
            closed += finance.close_due(session)
        monday += timedelta(days=7)
    return closed
