"""Re-judging a market's applications when policies change: one set-based pass, idempotent, announced."""

from datetime import date

from sqlalchemy import event, func, insert, select

from marketcast.core import clock
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.auth.models import User
from marketcast.core.db import get_engine, unit_of_work
from marketcast.core.ids import new_id
from marketcast.markets import service as markets
from marketcast.policies import jobs as policy_jobs
from marketcast.policies import service as policies
from marketcast.sellers import service
from marketcast.sellers.models import Application, ApplicationDecision, ExternalRecord, Seller
from tests.sellers.conftest import APPS, GMV_KEY, events, row_counts, usd


def schedule(key, value, when, market="US"):
    with unit_of_work() as session:
        return policies.schedule(session, key=key, market=market, value=value, effective_from=when,
                                 reason="test", actor=SYSTEM).id


def outcomes(ids):
    with unit_of_work(write=False) as session:
        rows = session.execute(select(Application.id, Application.status, Application.outcome,
                                      Application.rejected_by).where(Application.id.in_(ids)))
        return {r.id: (r.status, r.outcome, r.rejected_by) for r in rows}


def test_relaxing_the_gmv_rule_makes_under_2m_applicants_eligible(client, seller, apply, operator, at):
    with clock.frozen(at(2023, 9, 1)):
        threshold = schedule(GMV_KEY, usd(2_000_000), at(2023, 9, 12))
    under = {}
    with clock.frozen(at(2024, 1, 10)):
        for gmv in (1_500_000, 900_000, 1_999_999):
            headers, _ = seller()
            under[gmv] = apply(headers, external_records=[{"platform": "amazon", "annual_gmv": usd(gmv)}])["id"]
        headers, _ = seller()
        over = apply(headers, external_records=[{"platform": "ebay", "annual_gmv": usd(3_000_000)}])["id"]
        headers, _ = seller()
        young = apply(headers, representative={"name": "Kid", "date_of_birth": "2010-01-01"},
                      external_records=[{"platform": "amazon", "annual_gmv": usd(100)}])["id"]
        # The reviewer confirms the rules' verdict on one; it comes back when the rules change.
        r = client.post(f"{APPS}/{under[900_000]}/reject", json={"reason": "below $2M"}, headers=operator)
        assert r.json()["rejected_by"] == "rules"
        relaxed = schedule(GMV_KEY, None, at(2024, 6, 1))
    assert set(outcomes(under.values()).values()) == {("open", "ineligible", None), ("rejected", "ineligible", "rules")}

    with clock.frozen(at(2024, 5, 31)):
        assert policy_jobs.announce_policies() == 1  # the $2M version only; nothing to re-judge yet
    assert events("application.now_eligible") == []
    with clock.frozen(at(2024, 6, 1, 0, 5)):
        assert policy_jobs.announce_policies() == 1
    states = outcomes([*under.values(), over, young])
    assert {states[i] for i in under.values()} == {("open", "eligible", None)}
    assert states[over] == ("open", "eligible", None)
    assert states[young] == ("open", "ineligible", None)  # still too young
    now_eligible = events("application.now_eligible")
    assert sorted(e.data["application_id"] for e in now_eligible) == sorted(under.values())
    assert all(e.market == "US" and e.data["policy_versions"] == [relaxed] for e in now_eligible)
    assert "seller.cross_border.min_external_gmv (US)" in now_eligible[0].data["trigger"]
    # The young applicant's reasons changed (GMV no longer fails), so the decision is rewritten, without an event.
    r = client.get(f"{APPS}/{young}/decision", headers=operator).json()
    assert r["policy_versions"] == [relaxed] and r["explanation"][0] == "ineligible: failed representative age"
    with unit_of_work(write=False) as session:
        kinds = [d.kind for d in service.decisions(session, application_id=under[900_000])]
    assert kinds == ["submitted", "review", "reevaluation"]
    assert threshold != relaxed
    # Idempotent: judging again changes nothing and writes nothing.
    before = row_counts()
    with unit_of_work() as session, clock.frozen(at(2024, 6, 2)):
        counts = service.reevaluate(session, market="US", trigger="again")
    assert counts == {"evaluated": 5, "now_eligible": 0, "no_longer_eligible": 0}
    assert row_counts() == before


def test_tightening_makes_applicants_no_longer_eligible(client, seller, apply, operator, at):
    with clock.frozen(at(2024, 1, 10)):
        headers, _ = seller()
        app = apply(headers, external_records=[{"platform": "amazon", "annual_gmv": usd(1_000_000)}])
        assert app["outcome"] == "eligible"
        schedule(GMV_KEY, usd(2_000_000), at(2024, 2, 1))
    with clock.frozen(at(2024, 2, 1)):
        r = client.post(f"{APPS}/reevaluate", json={"market": "us"}, headers=operator)
    assert r.status_code == 200 and r.json() == {"evaluated": 1, "now_eligible": 0, "no_longer_eligible": 1}
    [gone] = events("application.no_longer_eligible")
    assert (gone.data["application_id"], gone.data["from"], gone.data["to"]) == (app["id"], "eligible", "ineligible")
    assert outcomes([app["id"]])[app["id"]] == ("open", "ineligible", None)


def test_reviewer_rejections_and_approvals_are_not_rejudged(client, seller, apply, operator, at):
    with clock.frozen(at(2024, 1, 10)):
        schedule(GMV_KEY, usd(2_000_000), at(2024, 1, 11))
    with clock.frozen(at(2024, 1, 12)):
        apps = []
        for _ in range(2):
            headers, _ = seller()
            apps.append(apply(headers, external_records=[{"platform": "amazon", "annual_gmv": usd(10)}])["id"])
        client.post(f"{APPS}/{apps[0]}/approve", headers=operator,
                    json={"reason": "known brand", "override_rules": ["cross_border_external_gmv"]})
        schedule(GMV_KEY, None, at(2024, 2, 1))
    with unit_of_work() as session, clock.frozen(at(2024, 2, 2)):
        counts = service.reevaluate(session, market="US", trigger="test")
    assert counts == {"evaluated": 1, "now_eligible": 1, "no_longer_eligible": 0}
    assert outcomes([apps[0]])[apps[0]] == ("approved", "ineligible", None)


def test_reevaluate_after_picks_the_markets_of_seller_keys(seller, apply, at):
    headers, _ = seller()
    apply(headers)
    apply(headers, market="ES")
    with unit_of_work() as session:
        assert service.reevaluate_after(session, changes=[("creator.affiliate.min_followers", "US")]) == 0
        assert service.reevaluate_after(session, changes=[("seller.min_age", "ES")]) == 1
        assert service.reevaluate_after(session, changes=[("seller.min_age", None)]) == 1  # live markets: US


def _seed(n: int, market: str) -> None:
    """n applications judged ineligible under $2M, one seller each (one open application per seller and
    market); half of them in fact have $3M (they will flip)."""
    now = clock.now()
    with unit_of_work() as session:
        users, sellers, apps, records = [], [], [], []
        for i in range(n):
            user_id, seller_id, app_id = new_id("usr"), new_id("sel"), new_id("app")
            users.append({"id": user_id, "email": f"bulk-{market}{i}@example.com", "role": "seller",
                          "created_at": now})
            sellers.append({"id": seller_id, "owner_user_id": user_id, "legal_name": f"Bulk {i}",
                            "entity_type": "company", "country": "CN", "tax_id": "T", "beneficial_owners": [],
                            "contact_email": f"seller-{market}{i}@example.com",
                            "contact_phone": f"+{len(market)}666{i:07d}", "created_at": now})
            apps.append({"id": app_id, "seller_id": seller_id, "market": market, "shop_type": "cross_border",
                         "mode": "pop", "shop_name": f"s{i}", "representative_name": "R",
                         "representative_birth_date": date(1980, 1, 1), "contact_email": f"{market}{i}@example.com",
                         "contact_phone": f"+{len(market)}555{i:07d}", "business_address": {"country": "CN"},
                         "business_country": "CN", "status": "open", "outcome": "ineligible",
                         "failed_rules": "cross_border_external_gmv", "decision": {}, "evaluated_at": now,
                         "created_at": now, "updated_at": now})
            records.append({"id": new_id("ext"), "application_id": app_id, "platform": "amazon",
                            "gmv_amount": (3_000_000 if i % 2 else 1_000_000) * 100, "gmv_currency": "USD"})
        session.execute(insert(User), users)
        session.execute(insert(Seller), sellers)
        session.execute(insert(Application), apps)
        session.execute(insert(ExternalRecord), records)


def _statements_for_one_pass(market: str) -> tuple[int, dict]:
    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", count)
    try:
        with unit_of_work() as session:
            session.connection()  # BEGIN and the session's setup are not the pass's statements
            seen.clear()
            result = service.reevaluate(session, market=market, trigger="count")
            statements = len(seen)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return statements, result


def test_one_pass_takes_the_same_number_of_statements_for_10_or_200(us_es, at):
    with unit_of_work() as session:
        markets.create(session, code="MX", name="Mexico", currency="USD", timezone="America/Mexico_City",
                       status="live", actor=SYSTEM)
    with clock.frozen(at(2024, 1, 1)):
        schedule(GMV_KEY, usd(2_000_000), at(2024, 1, 2), market=None)
    counted = {}
    with clock.frozen(at(2024, 1, 3)):
        for market, n in (("US", 10), ("MX", 200)):
            _seed(n, market)
            statements, result = _statements_for_one_pass(market)
            assert result == {"evaluated": n, "now_eligible": n // 2, "no_longer_eligible": 0}
            counted[n] = statements
    # market, two policies, candidates, best GMV, contacts; one UPDATE, one INSERT of decisions, one of events
    assert counted[10] == counted[200] <= 9, counted
    with unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(ApplicationDecision)) == 105
    assert len(events("application.now_eligible")) == 105
