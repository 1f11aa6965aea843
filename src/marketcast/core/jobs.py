"""The worker jobs of `core` itself, run before every area's (see marketcast/areas.py)."""

from marketcast.core import idempotency
from marketcast.core.db import unit_of_work


def purge_idempotency_keys() -> int:
    with unit_of_work() as session:
        return idempotency.purge_expired(session)


JOBS = {"idempotency_purge": purge_idempotency_keys}
