"""Standings: figures from the rollups against the version in force, explained; an open period "so far"; the
worker closes each period once (two workers at once too), with the version it used; events."""

import threading

import pytest
from sqlalchemy import func, select

from marketcast.core import clock
from marketcast.core.db import unit_of_work
from marketcast.core.outbox import OutboxEvent
from marketcast.programs import jobs
from marketcast.programs.models import ProgramPeriod, Standing
from marketcast.reports import service as reports


def sell(shop_id: str, when, *, orders: int, gmv: int, refunds: int = 0) -> None:
    """Figures as the orders area writes them into the GMV rollups."""
    with unit_of_work() as s:
        reports.record_sale(s, market="US", shop_id=shop_id, currency="USD", amount=gmv, units=orders, orders=orders,
                            at=when)
        if refunds:
            reports.record_refund(s, market="US", shop_id=shop_id, currency="USD", amount=refunds, units=1, at=when)


@pytest.fixture
def plan(client, create, make_shop, us_operator, at):
    """A monthly program from April 2024 (orders >= 3, refund rate <= 30%; 2 points off and a $1,000 pool for the
    top 2 by GMV) with four enrolled shops and their April figures."""
    with clock.frozen(at(2024, 3, 20)):
        program = create()
    shops = {name: make_shop() for name in ("steady", "refunds", "small", "few")}
    with clock.frozen(at(2024, 3, 25)):
        for shop in shops.values():
            r = client.post(f"/api/v1/programs/{program['id']}/enrollments", json={"shop_id": shop["id"]},
                            headers=us_operator)
            assert r.status_code == 201, r.text
    sell(shops["steady"]["id"], at(2024, 4, 3), orders=4, gmv=50_000)
    sell(shops["refunds"]["id"], at(2024, 4, 5), orders=3, gmv=90_000, refunds=30_000)
    sell(shops["small"]["id"], at(2024, 4, 30, 23), orders=5, gmv=20_000)
    sell(shops["few"]["id"], at(2024, 4, 10), orders=1, gmv=99_000)
    sell(shops["few"]["id"], at(2024, 5, 1), orders=9, gmv=1_000)  # May: not April's
    return program, {k: v["id"] for k, v in shops.items()}


def _standings(client, program, headers, period=None):
    url = f"/api/v1/programs/{program['id']}/standings" + (f"?period={period}" if period else "")
    r = client.get(url, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_an_open_period_is_judged_so_far_and_explained(client, plan, us_operator, at):
    program, shops = plan
    with clock.frozen(at(2024, 4, 20)):
        got = _standings(client, program, us_operator)
    assert got["status"] == "open" and got["period"]["start"].startswith("2024-04-01") and got["version"] == 1
    by = {i["shop_id"]: i for i in got["items"]}
    assert by[shops["steady"]]["explanation"].startswith("So far: 4 orders of 3; refund rate 0% under 30%")
    assert by[shops["refunds"]]["explanation"].startswith("So far: 3 orders of 3; refund rate 33.33% over 30%")
    assert by[shops["few"]]["needed"] == {"orders": 2, "refund_rate": 0}
    assert "1 orders of 3 (2 short)" in by[shops["few"]]["explanation"]


def test_the_worker_closes_a_period_once_with_benefits_and_events(client, plan, us_operator, at):
    program, shops = plan
    with clock.frozen(at(2024, 4, 30)):
        assert jobs.close_periods() == 0  # not over yet
    with clock.frozen(at(2024, 5, 2)):
        assert jobs.close_periods() == 1
        assert jobs.close_periods() == 0
        got = _standings(client, program, us_operator, "2024-04-15")
    assert got["status"] == "closed" and got["version"] == 1
    by = {i["shop_id"]: i for i in got["items"]}
    assert [s for s, i in by.items() if i["qualifies"]] == sorted([shops["steady"], shops["small"]])
    steady, small = by[shops["steady"]], by[shops["small"]]
    assert steady["benefit"] == {"referral_fee_discount_bps": 200, "rank": 1,
                                 "reward": {"amount": 50_000, "currency": "USD"}}
    assert small["benefit"]["rank"] == 2 and small["benefit"]["reward"]["amount"] == 50_000
    assert steady["metrics"] == {"orders": 4, "refund_rate": 0, "gmv": 50_000}
    assert steady["explanation"] == "4 orders of 3; refund rate 0% under 30%; qualifies, rank 1 by gmv"
    assert by[shops["few"]]["benefit"] is None and by[shops["few"]]["explanation"].endswith("does not qualify")
    with unit_of_work() as s:
        types = list(s.scalars(select(OutboxEvent.type).where(OutboxEvent.type.like("program.%"))))
    assert sorted(types) == ["program.period_closed", "program.shop_qualified", "program.shop_qualified"]
    # The seller sees their own shop only.
    with clock.frozen(at(2024, 5, 2)):
        r = client.post(f"/api/v1/programs/{program['id']}/enrollments", json={"shop_id": shops["few"]},
                        headers=us_operator)
        assert r.json()["code"] == "already_enrolled"


def test_a_change_applies_from_the_next_period_and_a_closed_one_keeps_its_version(client, plan, us_operator, at):
    program, shops = plan
    with clock.frozen(at(2024, 4, 15)):
        r = client.patch(f"/api/v1/programs/{program['id']}", headers=us_operator,
                         json={"criteria": [{"metric": "orders", "min": 5}]})
        assert r.status_code == 200, r.text
        assert _standings(client, program, us_operator)["version"] == 1  # April runs on as defined
    with clock.frozen(at(2024, 5, 3)):
        jobs.close_periods()
        april = _standings(client, program, us_operator, "2024-04-01")
        may = _standings(client, program, us_operator)
    assert april["version"] == 1 and sum(i["qualifies"] for i in april["items"]) == 2
    assert may["version"] == 2 and may["status"] == "open"
    assert {i["shop_id"]: i["metrics"] for i in may["items"]}[shops["few"]]["orders"] == 9
    assert [i["qualifies"] for i in may["items"] if i["shop_id"] == shops["few"]] == [True]


def test_a_bad_period_is_refused(client, plan, us_operator):
    program, _ = plan
    for bad in ("2024-13-01", "2023-01-01", "soon"):
        r = client.get(f"/api/v1/programs/{program['id']}/standings?period={bad}", headers=us_operator)
        assert r.status_code == 422 and r.json()["code"] == "invalid_period" and r.json()["field"] == "period"


def test_two_workers_at_once_close_a_period_once(plan, at):
    program, _ = plan
    results, barrier = [], threading.Barrier(2)

    def worker():
        barrier.wait()
        results.append(jobs.close_periods())

    threads = [threading.Thread(target=worker) for _ in range(2)]
    with clock.frozen(at(2024, 5, 2)):  # the clock is the process's: frozen once for both workers
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(results) == [0, 1]
    with unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(ProgramPeriod)) == 1
        assert s.scalar(select(func.count()).select_from(Standing)) == 4
