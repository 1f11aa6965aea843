"""A creator's affiliate status from the policies in force at a time: the done-when cases of the issue."""

from marketcast.core import clock
from tests.creators.conftest import CREATORS


def eligibility(client, headers, creator_id, when):
    r = client.get(f"{CREATORS}/{creator_id}/eligibility", params={"at": when}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_1200_followers_are_ineligible_before_july_and_pilot_after_naming_the_version(client, creator, us, operator):
    headers, body = creator(followers=1200)
    before = eligibility(client, headers, body["id"], "2024-06-30T23:59:59Z")
    after = eligibility(client, operator, body["id"], "2024-07-01T00:00:00Z")
    assert before["status"] == "ineligible" and after["status"] == "pilot"
    rule = {r["rule"]: r for r in after["rules"]}
    assert rule["min_followers"]["passed"] and rule["min_followers"]["compared"] == {"actual": 1200, "required": 1000}
    assert rule["min_followers"]["policy_version_id"] == us["creator.affiliate.min_followers"]
    assert not rule["pilot_threshold"]["passed"]
    assert rule["pilot_threshold"]["policy_version_id"] == us["creator.affiliate.pilot_below_followers"]
    words = " ".join(after["explanation"])
    assert us["creator.affiliate.pilot_below_followers"] in words and "pilot" in after["explanation"][0]
    failed = {r["rule"]: r for r in before["rules"]}["min_followers"]
    assert not failed["passed"] and failed["compared"] == {"actual": 1200, "required": 5000}
    assert sorted(after["policy_versions"]) == sorted(us.values())


def test_6000_followers_are_active_throughout(client, creator):
    headers, body = creator(followers=6000)
    for when in ("2024-06-01T12:00:00Z", "2024-06-30T23:59:59Z", "2024-07-01T00:00:00Z", "2025-01-01T00:00:00Z"):
        assert eligibility(client, headers, body["id"], when)["status"] == "active"


def test_aged_17_is_ineligible_whatever_the_followers(client, creator):
    headers, body = creator(followers=2_000_000, born="2007-03-01")
    for when in ("2024-06-15T00:00:00Z", "2024-07-15T00:00:00Z"):
        result = eligibility(client, headers, body["id"], when)
        assert result["status"] == "ineligible"
        age = {r["rule"]: r for r in result["rules"]}["min_age"]
        assert not age["passed"] and age["compared"] == {"actual": 17, "required": 18}
    assert eligibility(client, headers, body["id"], "2025-03-01T00:00:00Z")["status"] == "active"  # turned 18


def test_eligibility_reads_the_snapshot_in_force_at_the_time(client, creator, operator, at):
    headers, body = creator(followers=800)
    with clock.frozen(at(2024, 8, 1)):
        r = client.put(f"{CREATORS}/{body['id']}/followers", headers=operator,
                       json={"count": 7000, "as_of": "2024-07-20T00:00:00Z"})
        assert r.status_code == 200 and r.json()["affiliate_status"] == "active"
        assert eligibility(client, headers, body["id"], "2024-07-10T00:00:00Z")["status"] == "ineligible"
        assert eligibility(client, headers, body["id"], "2024-07-20T00:00:00Z")["status"] == "active"
