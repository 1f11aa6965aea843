"""The orders area's worker job."""

from marketcast.core.db import unit_of_work
from marketcast.orders import service


def expire_orders() -> int:
    with unit_of_work() as session:
        return service.expire_unpaid(session)


JOBS = {"orders_expire": expire_orders}
