"""A launch window that has passed while the market is still planned is overdue (API and service)."""

from marketcast.core import clock
from marketcast.core.auth.actor import SYSTEM
from marketcast.markets import service


def _market(db, code: str, window: str, at) -> None:
    with clock.frozen(at(2024, 1, 1)), db() as s:
        service.create(s, code=code, name=code, currency="EUR", timezone="Europe/Madrid", launch_window=window,
                       actor=SYSTEM)


def test_overdue_after_the_last_day_of_the_window(db, client, at):
    _market(db, "ES", "2025-Q1", at)
    _market(db, "FR", "2025-03-15", at)
    _market(db, "IT", "2025-02", at)
    for day, expected in ((at(2025, 3, 15, 23), {"ES": False, "FR": False, "IT": True}),
                          (at(2025, 3, 31, 23), {"ES": False, "FR": True, "IT": True}),
                          (at(2025, 4, 1), {"ES": True, "FR": True, "IT": True})):
        with clock.frozen(day):
            items = client.get("/api/v1/markets").json()["items"]
        assert {m["code"]: m["overdue"] for m in items} == expected, day


def test_only_a_planned_market_is_overdue(db, client, at):
    _market(db, "ES", "2025-Q1", at)
    with db() as s:
        service.transition(s, code="ES", status="postponed", reason="later", actor=SYSTEM)
    with clock.frozen(at(2026, 1, 1)):
        assert client.get("/api/v1/markets/ES").json()["overdue"] is False
