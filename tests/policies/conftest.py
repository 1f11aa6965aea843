import pytest
from sqlalchemy import func, select

from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import unit_of_work
from marketcast.core.outbox import OutboxEvent
from marketcast.markets import service as markets
from marketcast.policies.models import PolicyVersion


@pytest.fixture
def us_es():
    """Markets US (USD) and ES (EUR)."""
    with unit_of_work() as session:
        markets.create(session, code="US", name="United States", currency="USD", timezone="America/New_York",
                       status="live", actor=SYSTEM)
        markets.create(session, code="ES", name="Spain", currency="EUR", timezone="Europe/Madrid", actor=SYSTEM)


def _snapshot() -> tuple[list[tuple], int]:
    with unit_of_work(write=False) as session:
        rows = [(v.id, v.key, v.market, v.value, v.effective_from, v.withdrawn_at, v.withdraw_reason, v.announced_at)
                for v in session.scalars(select(PolicyVersion).order_by(PolicyVersion.id))]
        events = session.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.type.like("policy.%")))
    return rows, events


@pytest.fixture
def snapshot():
    """snapshot() -> every policy version (the columns that may change) and the number of policy events."""
    return _snapshot
