"""The orders area's worker jobs."""

from marketcast.core.db import unit_of_work
from marketcast.orders import reconcile, service


def expire_orders() -> int:
    with unit_of_work() as session:
        return service.expire_unpaid(session)


# Lost payments are settled with the provider first, so an order they paid is not expired.
JOBS = {"payments_reconcile": reconcile.settle_lost_payments, "orders_expire": expire_orders}
