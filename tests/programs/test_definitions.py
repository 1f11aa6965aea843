"""Defining programs: what is stored, every bad definition refused with its code and field (nothing written),
overlaps, versions that apply from the next period, and the metrics a criterion may name."""

import copy

import pytest

from marketcast.core import clock

from .conftest import BASE


def test_a_program_is_defined_and_read_back(client, create, us_operator, at):
    with clock.frozen(at(2024, 3, 20)):
        made = create(ends_at="2024-12-31T00:00:00Z")
        assert made["version"] == 1 and made["cadence"] == "monthly" and made["market"] == "US"
        assert made["criteria"] == BASE["criteria"]
        assert made["benefits"][1]["amount"] == {"amount": 100_000, "currency": "USD"}
        assert made["eligibility"]["shop_statuses"] == ["active", "probation"]  # the default: every status
        assert made["versions"][0]["applies_from"].startswith("2024-04-01") and made["current_period"] is None
        listed = client.get("/api/v1/programs?market=US", headers=us_operator).json()["items"]
        assert [p["id"] for p in listed] == [made["id"]]
        assert client.get("/api/v1/programs?market=ES", headers=us_operator).json()["items"] == []
        assert client.get(f"/api/v1/programs/{made['id']}", headers=us_operator).json()["name"] == BASE["name"]
    with clock.frozen(at(2024, 5, 10)):
        period = client.get(f"/api/v1/programs/{made['id']}", headers=us_operator).json()["current_period"]
        assert period["start"].startswith("2024-05-01") and period["end"].startswith("2024-06-01")


def _criterion(i, **c):
    criteria = copy.deepcopy(BASE["criteria"])
    criteria[i] = c
    return criteria


def _benefit(i, **changes):
    benefits = copy.deepcopy(BASE["benefits"])
    benefits[i] = benefits[i] | changes
    return benefits


BAD = [
    ({"criteria": _criterion(0, metric="likes", min=3)}, "unknown_metric", "criteria.0.metric"),
    ({"criteria": _criterion(0, metric="orders", min=3, max=5)}, "criterion_bounds", "criteria.0"),
    ({"criteria": _criterion(1, metric="refund_rate")}, "criterion_bounds", "criteria.1"),
    ({"criteria": _criterion(1, metric="orders", max=9)}, "duplicate_criterion", "criteria.1.metric"),
    ({"criteria": []}, "criteria_required", "criteria"),
    ({"criteria": _criterion(0, metric="orders", min=-1)}, "validation_error", "criteria.0.min"),
    ({"benefits": []}, "benefits_required", "benefits"),
    ({"benefits": _benefit(1, amount={"amount": -5, "currency": "USD"})}, "invalid_pool_amount",
     "benefits.1.amount.amount"),
    ({"benefits": _benefit(1, amount={"amount": 0, "currency": "USD"})}, "invalid_pool_amount",
     "benefits.1.amount.amount"),
    ({"benefits": _benefit(1, amount={"amount": 500, "currency": "EUR"})}, "pool_currency_not_market",
     "benefits.1.amount.currency"),
    ({"benefits": _benefit(1, top_n=0)}, "invalid_top_n", "benefits.1.top_n"),
    ({"benefits": _benefit(1, rank_by="likes")}, "unknown_metric", "benefits.1.rank_by"),
    ({"benefits": _benefit(0, value=0)}, "discount_out_of_range", "benefits.0.value"),
    ({"benefits": _benefit(0, value=10_001)}, "discount_out_of_range", "benefits.0.value"),
    ({"benefits": [BASE["benefits"][0], BASE["benefits"][0]]}, "duplicate_benefit", "benefits.1.kind"),
    ({"benefits": _benefit(0, value=True)}, "validation_error", None),
    ({"ends_at": "2024-03-01T00:00:00Z"}, "program_ends_before_starts", "ends_at"),
    ({"ends_at": "2024-04-01T00:00:00Z"}, "program_ends_before_starts", "ends_at"),
    ({"cadence": "daily"}, "validation_error", "cadence"),
    ({"market": "ZZ"}, "unknown_market", "market"),
    ({"eligibility": {"shop_types": []}}, "validation_error", "eligibility.shop_types"),
    ({"eligibility": {"modes": ["franchise"]}}, "validation_error", "eligibility.modes.0"),
]


@pytest.mark.parametrize(("changes", "code", "field"), BAD, ids=[b[1] + ":" + str(b[2]) for b in BAD])
def test_a_bad_definition_is_refused_naming_the_field_and_nothing_is_written(client, us_operator, body, changes,
                                                                           code, field):
    r = client.post("/api/v1/programs", json=body(**changes), headers=us_operator)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert problem["code"] == code, problem
    if field is not None:
        assert problem["field"] == field, problem
    assert client.get("/api/v1/programs", headers=us_operator).json()["items"] == []


def test_live_metrics_are_listed_with_units_and_refused_while_unreported(client, us_operator, body):
    listed = {m["name"]: m for m in client.get("/api/v1/programs/metrics", headers=us_operator).json()}
    assert set(listed) == {"effective_live_hours", "live_sessions", "live_gmv", "unique_viewers", "orders", "gmv",
                           "refund_rate"}
    assert listed["effective_live_hours"]["unit"] == "hours" and listed["refund_rate"]["unit"] == "basis points"
    assert listed["refund_rate"]["higher_is_better"] is False and listed["orders"]["available"] is True
    if not listed["effective_live_hours"]["available"]:
        r = client.post("/api/v1/programs", json=body(criteria=[{"metric": "effective_live_hours", "min": 14}]),
                        headers=us_operator)
        assert r.status_code == 422 and r.json()["code"] == "metric_unavailable", r.text


def test_an_overlapping_program_for_the_same_shops_is_refused(client, create, us_operator, body, at):
    with clock.frozen(at(2024, 3, 1)):
        create(ends_at="2024-07-01T00:00:00Z")
        r = client.post("/api/v1/programs", json=body(starts_at="2024-06-01T00:00:00Z"), headers=us_operator)
        assert r.status_code == 422 and r.json()["code"] == "program_overlaps", r.text
        wider = body(starts_at="2024-01-01T00:00:00Z", ends_at="2024-04-02T00:00:00Z",
                     eligibility={"shop_types": ["local", "cross_border"]})
        assert client.post("/api/v1/programs", json=wider, headers=us_operator).json()["code"] == "program_overlaps"
        assert len(client.get("/api/v1/programs", headers=us_operator).json()["items"]) == 1
        # Other shops, or dates that only touch, do not overlap.
        create(eligibility={"shop_types": ["cross_border"]})
        create(starts_at="2024-07-01T00:00:00Z")
        create(market="ES", benefits=[{"kind": "referral_fee_discount_bps", "value": 100}])
        assert len(client.get("/api/v1/programs", headers=us_operator).json()["items"]) == 4


def test_only_operators_of_the_market_define_programs(client, make_user, body, live_markets):
    seller = make_user("seller")[1]
    assert client.post("/api/v1/programs", json=body(), headers=seller).json()["code"] == "wrong_role"
    es_only = make_user("operator", markets=["ES"])[1]
    assert client.post("/api/v1/programs", json=body(), headers=es_only).json()["code"] == "market_out_of_scope"


def test_a_change_is_a_new_version_from_the_next_period(client, create, us_operator, at):
    with clock.frozen(at(2024, 3, 20)):
        program = create()
        early = client.patch(f"/api/v1/programs/{program['id']}", json={"name": "Renamed"}, headers=us_operator)
        assert early.status_code == 200, early.text
        # Not started yet: the change applies from the first period.
        assert early.json()["versions"][1]["applies_from"].startswith("2024-04-01")
    with clock.frozen(at(2024, 4, 12)):
        r = client.patch(f"/api/v1/programs/{program['id']}", headers=us_operator,
                         json={"criteria": [{"metric": "orders", "min": 5}]})
        assert r.status_code == 200, r.text
        changed = r.json()
        assert changed["version"] == 3 and changed["criteria"] == [{"metric": "orders", "min": 5}]
        assert changed["name"] == "Renamed" and changed["benefits"] == program["benefits"]
        assert changed["versions"][2]["applies_from"].startswith("2024-05-01")
        bad = client.patch(f"/api/v1/programs/{program['id']}", headers=us_operator,
                           json={"benefits": [{"kind": "referral_fee_discount_bps", "value": 0}]})
        assert bad.status_code == 422 and bad.json()["field"] == "benefits.0.value"
        soon = client.patch(f"/api/v1/programs/{program['id']}", headers=us_operator,
                            json={"ends_at": "2024-04-20T00:00:00Z"})
        assert soon.status_code == 422 and soon.json()["code"] == "program_end_too_soon"
        assert client.get(f"/api/v1/programs/{program['id']}", headers=us_operator).json()["version"] == 3
    from marketcast.core.db import unit_of_work
    from marketcast.programs import service

    with unit_of_work() as s:
        assert service.version_for(s, program["id"], at(2024, 4, 1)).criteria == program["criteria"]
        assert service.version_for(s, program["id"], at(2024, 5, 1)).criteria == [{"metric": "orders", "min": 5}]


def test_an_unknown_program_is_404(client, us_operator):
    r = client.get("/api/v1/programs/prg_nothing", headers=us_operator)
    assert r.status_code == 404 and r.json()["code"] == "program_not_found"
    assert client.patch("/api/v1/programs/prg_nothing", json={}, headers=us_operator).status_code == 404
