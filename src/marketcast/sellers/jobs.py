"""The sellers area's worker job."""

from marketcast.core.db import unit_of_work
from marketcast.sellers import service


def graduate_shops() -> int:
    with unit_of_work() as session:
        return service.graduate_shops(session)


JOBS = {"shops_graduate": graduate_shops}
