"""Each eligibility rule, passing and failing, with the values compared and the policy version used."""

from datetime import date

import pytest

from marketcast.core import clock
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import unit_of_work
from marketcast.policies import service as policies
from marketcast.sellers import rules
from tests.sellers.conftest import APPS, GMV_KEY, usd


def schedule(key, value, when, market="US"):
    with unit_of_work() as session:
        return policies.schedule(session, key=key, market=market, value=value, effective_from=when,
                                 reason="test", actor=SYSTEM).id


def rule(app, name):
    return next(r for r in app["decision"]["rules"] if r["rule"] == name)


def test_age_counts_whole_years_up_to_the_birthday():
    assert rules.age_on(date(2006, 3, 10), date(2024, 3, 9)) == 17
    assert rules.age_on(date(2006, 3, 10), date(2024, 3, 10)) == 18


def test_gmv_below_the_threshold_fails_and_says_why_in_words(client, seller, apply, at):
    with clock.frozen(at(2023, 9, 1)):
        version = schedule(GMV_KEY, usd(2_000_000), at(2023, 9, 12))
    headers, _ = seller()
    with clock.frozen(at(2024, 1, 10)):
        app = apply(headers, external_records=[
            {"platform": "amazon", "annual_gmv": usd(1_500_000)},
            {"platform": "ebay", "annual_gmv": usd(900_000)},
            {"platform": "own_site", "annual_gmv": {"amount": 900_000_000, "currency": "EUR"}}])
    assert app["outcome"] == "ineligible" and app["status"] == "open"
    result = rule(app, "cross_border_external_gmv")
    assert result["passed"] is False
    assert result["compared"] == {"actual": {"amount": 150_000_000, "currency": "USD", "platform": "amazon"},
                                  "required": usd(2_000_000)}
    assert result["policy_version_id"] == version
    assert app["decision"]["policy_versions"] == [version]
    words = client.get(f"{APPS}/{app['id']}/decision", headers=headers).json()
    assert words["outcome"] == "ineligible"
    assert words["explanation"][0] == "ineligible: failed cross-border external GMV"
    assert (f"cross-border external GMV: failed: best record 1,500,000.00 USD on amazon is below the 2,000,000.00 "
            f"USD required by {GMV_KEY} ({version}, in force since 2023-09-12)") in words["explanation"]


def test_gmv_reaching_the_threshold_passes(seller, apply, at):
    with clock.frozen(at(2023, 9, 1)):
        version = schedule(GMV_KEY, usd(2_000_000), at(2023, 9, 12))
    headers, _ = seller()
    with clock.frozen(at(2024, 1, 10)):
        app = apply(headers, external_records=[{"platform": "walmart", "annual_gmv": usd(2_000_000)}])
    result = rule(app, "cross_border_external_gmv")
    assert result["passed"] and result["policy_version_id"] == version
    assert result["compared"]["actual"] == {"amount": 200_000_000, "currency": "USD", "platform": "walmart"}
    assert app["outcome"] == "eligible"


def test_no_record_in_the_required_currency_fails(seller, apply, at):
    with clock.frozen(at(2023, 9, 1)):
        schedule(GMV_KEY, usd(2_000_000), at(2023, 9, 12))
    headers, _ = seller()
    with clock.frozen(at(2024, 1, 10)):
        app = apply(headers, external_records=[{"platform": "other", "annual_gmv": {"amount": 9 * 10**9,
                                                                                   "currency": "EUR"}}])
    result = rule(app, "cross_border_external_gmv")
    assert not result["passed"] and result["compared"]["actual"] is None
    assert "no external record in USD" in result["detail"]


def test_no_requirement_passes_and_still_records_the_version(seller, apply, at):
    with clock.frozen(at(2023, 9, 1)):
        schedule(GMV_KEY, usd(2_000_000), at(2023, 9, 12))
        relaxed = schedule(GMV_KEY, None, at(2024, 6, 1))
    headers, _ = seller()
    with clock.frozen(at(2024, 6, 2)):
        app = apply(headers, external_records=[])
    result = rule(app, "cross_border_external_gmv")
    assert result["passed"] and result["detail"] == "no requirement"
    assert result["policy_version_id"] == relaxed and relaxed in app["decision"]["policy_versions"]


@pytest.mark.parametrize(("birth", "passed", "age"), [("2006-01-11", False, 17), ("2006-01-10", True, 18)])
def test_representative_age_against_the_default(seller, apply, at, birth, passed, age):
    headers, _ = seller()
    with clock.frozen(at(2024, 1, 10)):
        app = apply(headers, representative={"name": "Young", "date_of_birth": birth})
    result = rule(app, "representative_age")
    assert (result["passed"], result["compared"]) == (passed, {"actual": age, "required": 18})
    assert result["policy_version_id"] is None and result["policy_key"] == "seller.min_age"


def test_representative_age_against_a_market_version(client, seller, apply, at):
    with clock.frozen(at(2023, 9, 1)):
        version = schedule("seller.min_age", 21, at(2023, 10, 1))
    headers, _ = seller()
    with clock.frozen(at(2024, 1, 10)):
        app = apply(headers, representative={"name": "Twenty", "date_of_birth": "2003-06-01"})
    result = rule(app, "representative_age")
    assert not result["passed"] and result["compared"] == {"actual": 20, "required": 21}
    assert result["policy_version_id"] == version
    words = client.get(f"{APPS}/{app['id']}/decision", headers=headers).json()["explanation"]
    assert any(f"seller.min_age ({version}, in force since 2023-10-01)" in line for line in words)


def test_contact_used_by_another_shop_or_seller_fails(client, seller, apply, operator):
    first_headers, first = seller()
    first_app = apply(first_headers, contact={"email": "shop@acme.example", "phone": "+1 555 000 1111"})
    r = client.post(f"{APPS}/{first_app['id']}/approve", json={"reason": "ok"}, headers=operator)
    assert r.status_code == 200, r.text
    shop_id = r.json()["shop_id"]
    other_headers, _ = seller()
    clash = apply(other_headers, contact={"email": "SHOP@acme.example ", "phone": "+1 (555) 000-1111"})
    result = rule(clash, "contact_unique")
    assert not result["passed"]
    assert result["compared"]["actual"] == [f"email used by shop {shop_id}", f"phone used by shop {shop_id}"]
    third_headers, _ = seller()
    seller_contact = first["contact"]
    clash2 = apply(third_headers, contact={"email": "fresh@acme.example", "phone": seller_contact["phone"]})
    assert rule(clash2, "contact_unique")["compared"]["actual"] == [f"phone used by seller {first['id']}"]
    # The seller's own profile contact is not "another seller's".
    own = apply(first_headers, market="ES", contact=seller_contact | {"email": "x@acme.example"})
    assert rule(own, "contact_unique")["passed"]
    assert rule(apply(third_headers, market="ES"), "contact_unique")["passed"]


@pytest.mark.parametrize(("country", "passed"), [("US", True), ("CN", False)])
def test_local_shops_need_a_business_address_in_the_market(seller, apply, country, passed):
    headers, _ = seller()
    app = apply(headers, shop_type="local", external_records=[],
                business_address={"country": country.lower(), "line1": "1 Main St", "city": "Austin",
                                  "postal_code": "73301"})
    result = rule(app, "local_business_address")
    assert (result["passed"], result["compared"]) == (passed, {"actual": country, "required": "US"})
    assert app["outcome"] == ("eligible" if passed else "ineligible")


def test_market_not_live_is_ineligible_with_a_waitlist_next_step(client, seller, apply):
    headers, _ = seller()
    app = apply(headers, market="ES")
    result = rule(app, "market_live")
    assert not result["passed"] and result["compared"] == {"actual": "planned", "required": "live"}
    assert app["outcome"] == "ineligible"
    assert app["decision"]["next_step"] == {"action": "join the waitlist", "market": "ES",
                                            "launch_window": "2025-Q1"}
    words = client.get(f"{APPS}/{app['id']}/decision", headers=headers).json()["explanation"]
    assert words[-1] == "next step: join the waitlist for ES (launch window 2025-Q1)"
