"""Simulating a seller policy before scheduling it: counts and examples of applications that would change,
and nothing written."""

from marketcast.core import clock
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import unit_of_work
from marketcast.policies import service as policies
from tests.sellers.conftest import GMV_KEY, row_counts, usd


def test_dropping_the_gmv_rule_would_make_the_under_2m_applicants_eligible(client, seller, apply, operator, at):
    with clock.frozen(at(2023, 9, 1)), unit_of_work() as session:
        policies.schedule(session, key=GMV_KEY, market="US", value=usd(2_000_000), effective_from=at(2023, 9, 12),
                          reason="the $2M rule", actor=SYSTEM)
    small = [apply(seller()[0], external_records=[{"platform": "amazon", "annual_gmv": usd(900_000)}])
             for _ in range(2)]
    apply(seller()[0])  # $2.5M: eligible either way
    assert all(a["decision"]["outcome"] == "ineligible" for a in small)
    before = row_counts()
    r = client.post("/api/v1/applications/simulate", headers=operator,
                    json={"market": "US", "key": GMV_KEY, "value": None})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["evaluated"], body["would_become_eligible"], body["would_become_ineligible"]) == (3, 2, 0)
    assert sorted(e["application_id"] for e in body["examples"]) == sorted(a["id"] for a in small)
    assert all((e["from"], e["to"]) == ("ineligible", "eligible") for e in body["examples"])
    assert row_counts() == before  # a simulation writes nothing, not even an event

    r = client.post("/api/v1/applications/simulate", headers=operator,
                    json={"market": "US", "key": GMV_KEY, "value": usd(3_000_000)})
    assert r.json()["would_become_ineligible"] == 1 and r.json()["would_become_eligible"] == 0


def test_bad_simulations_name_the_field(client, operator, make_user, us_es):
    r = client.post("/api/v1/applications/simulate", headers=operator,
                    json={"market": "US", "key": "live.bag.max_products", "value": 10})
    assert r.status_code == 422 and r.json()["code"] == "policy_not_simulated" and r.json()["field"] == "key"
    r = client.post("/api/v1/applications/simulate", headers=operator,
                    json={"market": "US", "key": "seller.min_age", "value": 3})
    assert r.status_code == 422 and r.json()["field"] == "value"
    _, seller = make_user("seller")
    r = client.post("/api/v1/applications/simulate", headers=seller,
                    json={"market": "US", "key": "seller.min_age", "value": 21})
    assert r.status_code == 403
    _, spain_only = make_user("operator", markets=["ES"])
    r = client.post("/api/v1/applications/simulate", headers=spain_only,
                    json={"market": "US", "key": "seller.min_age", "value": 21})
    assert r.status_code == 403 and r.json()["code"] == "market_out_of_scope"


def test_the_policy_simulation_predicts_what_the_change_does_application_by_application(client, seller, apply,
                                                                                         operator, at):
    from marketcast.policies import jobs as policy_jobs
    from tests.sellers.conftest import events

    with clock.frozen(at(2023, 9, 1)), unit_of_work() as session:
        policies.schedule(session, key=GMV_KEY, market="US", value=usd(2_000_000), effective_from=at(2023, 9, 12),
                          reason="the $2M rule", actor=SYSTEM)
    with clock.frozen(at(2024, 5, 1)):
        apps = [apply(seller()[0], external_records=[{"platform": "amazon", "annual_gmv": usd(n)}])
                for n in (900_000, 1_500_000, 2_500_000)]
        before = row_counts()
        r = client.post(f"/api/v1/policies/{GMV_KEY}/simulations", headers=operator,
                        json={"market": "US", "value": usd(1_000_000), "effective_from": "2024-06-01T00:00:00Z"})
        assert r.status_code == 200, r.text
        assert row_counts() == before
        with unit_of_work() as session:
            policies.schedule(session, key=GMV_KEY, market="US", value=usd(1_000_000), effective_from=at(2024, 6, 1),
                              reason="$1M", actor=SYSTEM)
    body = r.json()
    assert body["subject_type"] == "application" and body["counts"] == {"ineligible->eligible": 1}
    assert body["sample"][0]["figures"]["external_gmv"] == "150000000 USD"
    with clock.frozen(at(2024, 6, 1, 0, 1)):
        policy_jobs.announce_policies()
    real = {e.data["application_id"]: (e.data["from"], e.data["to"]) for e in events("application.now_eligible")}
    assert {m["subject_id"]: (m["from"], m["to"]) for m in body["sample"]} == real == {
        apps[1]["id"]: ("ineligible", "eligible")}
