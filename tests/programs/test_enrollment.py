"""Enrollment: a shop the program is open to enrolls; every other one is refused naming why, and nothing is
written; operators exclude with a reason; the worker enrolls eligible shops when the program says so."""

import pytest

from marketcast.core import clock
from marketcast.programs import jobs

from .conftest import set_shop


@pytest.fixture
def program(create, at):
    with clock.frozen(at(2024, 3, 20)):
        return create(ends_at="2024-12-01T00:00:00Z")


def _enrolled(client, program, headers):
    return client.get(f"/api/v1/programs/{program['id']}/enrollments", headers=headers).json()


def test_a_seller_enrolls_an_eligible_shop_once(client, program, make_shop, us_operator, at):
    shop = make_shop()
    with clock.frozen(at(2024, 4, 2)):
        r = client.post(f"/api/v1/programs/{program['id']}/enrollments", json={"shop_id": shop["id"]},
                        headers=shop["headers"])
        assert r.status_code == 201, r.text
        assert r.json()["status"] == "enrolled" and r.json()["source"] == "shop"
        again = client.post(f"/api/v1/programs/{program['id']}/enrollments", json={"shop_id": shop["id"]},
                            headers=us_operator)
        assert again.status_code == 409 and again.json()["code"] == "already_enrolled"
        assert [e["shop_id"] for e in _enrolled(client, program, shop["headers"])] == [shop["id"]]


@pytest.mark.parametrize(("change", "market", "status", "code"), [
    ({}, "ES", 422, "shop_not_in_market"),
    ({"shop_type": "cross_border"}, "US", 422, "shop_type_not_eligible"),
    ({"mode": "managed"}, "US", 422, "shop_mode_not_eligible"),
    ({"status": "suspended"}, "US", 409, "shop_status_not_eligible"),
    ({"status": "applying"}, "US", 409, "shop_status_not_eligible"),
])
def test_an_ineligible_shop_is_refused_naming_why(client, db, program, make_shop, us_operator, at, change, market,
                                                  status, code):
    shop = make_shop(market=market)
    set_shop(db, shop["id"], **change)
    with clock.frozen(at(2024, 4, 2)):
        r = client.post(f"/api/v1/programs/{program['id']}/enrollments", json={"shop_id": shop["id"]},
                        headers=shop["headers"])
        assert r.status_code == status and r.json()["code"] == code and r.json()["field"] == "shop_id", r.text
        assert _enrolled(client, program, us_operator) == []


def test_someone_elses_shop_an_unknown_shop_and_an_ended_program(client, program, make_shop, us_operator, at):
    shop, other = make_shop(), make_shop()
    url = f"/api/v1/programs/{program['id']}/enrollments"
    with clock.frozen(at(2024, 4, 2)):
        assert client.post(url, json={"shop_id": shop["id"]}, headers=other["headers"]).json()["code"] == "not_owner"
        assert client.post(url, json={"shop_id": "shp_nothing"}, headers=us_operator).status_code == 404
    with clock.frozen(at(2024, 12, 2)):
        r = client.post(url, json={"shop_id": shop["id"]}, headers=shop["headers"])
        assert r.status_code == 409 and r.json()["code"] == "program_ended"
    assert _enrolled(client, program, us_operator) == []


def test_an_operator_excludes_with_a_reason(client, program, make_shop, us_operator, at):
    shop, never = make_shop(), make_shop()
    base = f"/api/v1/programs/{program['id']}"
    with clock.frozen(at(2024, 4, 2)):
        client.post(f"{base}/enrollments", json={"shop_id": shop["id"]}, headers=shop["headers"])
        r = client.post(f"{base}/exclusions", json={"shop_id": shop["id"], "reason": " "}, headers=us_operator)
        assert r.status_code == 422 and r.json()["code"] == "reason_required" and r.json()["field"] == "reason"
        assert _enrolled(client, program, us_operator)[0]["status"] == "enrolled"
        assert client.post(f"{base}/exclusions", json={"shop_id": shop["id"], "reason": "fake orders"},
                           headers=shop["headers"]).json()["code"] == "wrong_role"
        r = client.post(f"{base}/exclusions", json={"shop_id": shop["id"], "reason": "fake orders"},
                        headers=us_operator)
        assert r.status_code == 200 and r.json()["status"] == "excluded" and r.json()["reason"] == "fake orders"
        again = client.post(f"{base}/exclusions", json={"shop_id": shop["id"], "reason": "x"}, headers=us_operator)
        assert again.status_code == 409 and again.json()["code"] == "shop_excluded"
        back = client.post(f"{base}/enrollments", json={"shop_id": shop["id"]}, headers=shop["headers"])
        assert back.status_code == 409 and back.json()["code"] == "shop_excluded"
        # A shop never enrolled can be excluded ahead (auto-enrollment then leaves it out).
        r = client.post(f"{base}/exclusions", json={"shop_id": never["id"], "reason": "known abuser"},
                        headers=us_operator)
        assert r.status_code == 200 and r.json()["status"] == "excluded"


def test_the_worker_enrolls_every_eligible_shop_of_an_auto_enrolling_program(client, db, create, make_shop,
                                                                             us_operator, at):
    with clock.frozen(at(2024, 3, 20)):
        program = create(auto_enroll=True)
    active, probation, suspended, cross, excluded, spain = (make_shop(), make_shop(), make_shop(), make_shop(),
                                                            make_shop(), make_shop(market="ES"))
    set_shop(db, probation["id"], status="probation")
    set_shop(db, suspended["id"], status="suspended")
    set_shop(db, cross["id"], shop_type="cross_border")
    with clock.frozen(at(2024, 4, 2)):
        client.post(f"/api/v1/programs/{program['id']}/exclusions", json={"shop_id": excluded["id"], "reason": "r"},
                    headers=us_operator)
        assert jobs.auto_enroll() == 2
        assert jobs.auto_enroll() == 0
    rows = {e["shop_id"]: e for e in _enrolled(client, program, us_operator)}
    assert set(rows) == {active["id"], probation["id"], excluded["id"]}
    assert rows[active["id"]]["source"] == "auto" and rows[excluded["id"]]["status"] == "excluded"
    assert spain["id"] not in rows
