"""Creator profiles over the API: bad input is a problem+json naming the field and changes nothing; suspension;
the operator's list with counts; who may see what."""

import pytest

from marketcast.core import clock
from tests.creators.conftest import CREATORS, problem
from tests.sellers.conftest import events, row_counts


def test_a_creator_profile_is_judged_at_once(client, creator, us):
    _, body = creator(handle="Maya.Makes")
    assert body["handle"] == "maya.makes" and body["affiliate_status"] == "ineligible" and body["followers"] == 0


@pytest.mark.parametrize("changes,status,code,field", [
    ({"handle": "a"}, 422, "invalid_handle", "handle"),
    ({"handle": "has space"}, 422, "invalid_handle", "handle"),
    ({"handle": "x" * 31}, 422, "invalid_handle", "handle"),
    ({"handle": "émile"}, 422, "invalid_handle", "handle"),
    ({"market": "ZZ"}, 422, "unknown_market", "market"),
    ({"date_of_birth": "2999-01-01"}, 422, "invalid_date_of_birth", "date_of_birth"),
    ({"date_of_birth": "not-a-date"}, 422, "validation_error", "date_of_birth"),
    ({"extra": 1}, 422, "validation_error", "extra"),
])
def test_bad_input_names_the_field_and_writes_nothing(client, make_user, us, changes, status, code, field):
    _, headers = make_user("creator")
    before = row_counts()
    body = {"market": "US", "handle": "fine_handle", "date_of_birth": "1990-01-01"} | changes
    with clock.frozen(clock.now()):
        problem(client.post(CREATORS, headers=headers, json=body), status, code, field)
    assert row_counts() == before


def test_a_taken_handle_and_a_second_profile_are_conflicts(client, creator, make_user, us):
    headers, body = creator(handle="taken.one")
    _, other = make_user("creator")
    before = row_counts()
    problem(client.post(CREATORS, headers=other, json={"market": "US", "handle": "TAKEN.one",
                                                       "date_of_birth": "1990-01-01"}), 409, "handle_taken", "handle")
    problem(client.post(CREATORS, headers=headers, json={"market": "US", "handle": "another",
                                                         "date_of_birth": "1990-01-01"}), 409, "creator_exists",
            "market")
    assert row_counts() == before
    # The same handle in another market is someone else's to take.
    r = client.post(CREATORS, headers=other,
                    json={"market": "ES", "handle": "taken.one", "date_of_birth": "1990-01-01"})
    assert r.status_code == 201, r.text


def test_only_creators_make_profiles_and_only_operators_set_followers(client, make_user, creator, us):
    _, seller = make_user("seller")
    problem(client.post(CREATORS, headers=seller,
                        json={"market": "US", "handle": "sel", "date_of_birth": "1990-01-01"}), 403, "wrong_role")
    headers, body = creator()
    problem(client.put(f"{CREATORS}/{body['id']}/followers", headers=headers,
                       json={"count": 10**6, "as_of": "2024-06-01T00:00:00Z"}), 403, "wrong_role")
    other, _ = creator()
    problem(client.get(f"{CREATORS}/{body['id']}", headers=other), 403, "not_owner")
    _, spain_only = make_user("operator", markets=["ES"])
    problem(client.get(f"{CREATORS}/{body['id']}", headers=spain_only), 403, "market_out_of_scope")
    problem(client.get(f"{CREATORS}/crt_nope", headers=headers), 404, "creator_not_found")


def test_followers_in_the_future_or_negative_are_refused(client, creator, operator, at):
    _, body = creator()
    before = row_counts()
    with clock.frozen(at(2024, 6, 2)):
        problem(client.put(f"{CREATORS}/{body['id']}/followers", headers=operator,
                           json={"count": 5, "as_of": "2024-06-03T00:00:00Z"}), 422, "as_of_in_future", "as_of")
        problem(client.put(f"{CREATORS}/{body['id']}/followers", headers=operator,
                           json={"count": -1, "as_of": "2024-06-01T00:00:00Z"}), 422, "validation_error", "count")
    assert row_counts() == before


def test_followers_move_the_status_with_a_record_and_an_event(client, creator, operator, at):
    headers, body = creator()
    with clock.frozen(at(2024, 6, 10)):
        r = client.put(f"{CREATORS}/{body['id']}/followers", headers=operator,
                       json={"count": 5200, "as_of": "2024-06-09T00:00:00Z"})
    assert r.status_code == 200 and r.json()["affiliate_status"] == "active" and r.json()["followers"] == 5200
    moved = [e.data for e in events("creator.affiliate_status_changed")]
    assert len(moved) == 1 and (moved[0]["old_status"], moved[0]["new_status"]) == ("ineligible", "active")
    assert moved[0]["rule"] == "min_followers" and moved[0]["policy_key"] == "creator.affiliate.min_followers"
    assert moved[0]["policy_version_id"]
    changes = client.get(f"{CREATORS}/{body['id']}/history", headers=headers).json()
    assert [(c["from_status"], c["to_status"]) for c in changes] == [(None, "ineligible"), ("ineligible", "active")]
    # An older report is history: it does not replace the latest count.
    with clock.frozen(at(2024, 6, 11)):
        r = client.put(f"{CREATORS}/{body['id']}/followers", headers=operator,
                       json={"count": 10, "as_of": "2024-06-01T00:00:00Z"})
    assert r.json()["followers"] == 5200 and r.json()["affiliate_status"] == "active"


def test_suspend_and_lift(client, creator, operator, at):
    headers, body = creator(followers=6000)
    url = f"{CREATORS}/{body['id']}"
    problem(client.post(f"{url}/suspend", headers=operator, json={"reason": " "}), 422, "validation_error", "reason")
    problem(client.post(f"{url}/unsuspend", headers=operator, json={"reason": "none"}), 409, "creator_not_suspended")
    with clock.frozen(at(2024, 6, 20)):
        r = client.post(f"{url}/suspend", headers=operator, json={"reason": "fake followers"})
    assert r.status_code == 200 and r.json()["affiliate_status"] == "suspended"
    assert r.json()["suspend_reason"] == "fake followers"
    problem(client.post(f"{url}/suspend", headers=operator, json={"reason": "again"}), 409, "creator_suspended")
    with clock.frozen(at(2024, 6, 21)):
        assert client.get(f"{url}/eligibility", headers=headers).json()["status"] == "suspended"
        r = client.post(f"{url}/unsuspend", headers=operator, json={"reason": "checked: real"})
    assert r.json()["affiliate_status"] == "active"
    kinds = [(c["kind"], c["to_status"], c["reason"]) for c in client.get(f"{url}/history", headers=headers).json()]
    assert kinds[-2:] == [("suspend", "suspended", "fake followers"), ("unsuspend", "active", "checked: real")]


def test_the_operator_list_filters_and_counts(client, creator, operator, make_user):
    ids = {n: creator(followers=n, handle=f"list_{n}")[1]["id"] for n in (10, 20, 6000, 7000, 8000)}
    r = client.get(CREATORS, headers=operator, params={"market": "US", "status": "active", "page_size": 2})
    body = r.json()
    assert r.status_code == 200 and body["counts"] == {"ineligible": 2, "pilot": 0, "active": 3, "suspended": 0}
    assert len(body["items"]) == 2 and body["next_page_token"]
    rest = client.get(CREATORS, headers=operator, params={"market": "US", "status": "active",
                                                         "page_token": body["next_page_token"]}).json()
    assert {c["id"] for c in body["items"] + rest["items"]} == {ids[6000], ids[7000], ids[8000]}
    found = client.get(CREATORS, headers=operator, params={"q": "LIST_2"}).json()
    assert [c["id"] for c in found["items"]] == [ids[20]] and found["counts"]["ineligible"] == 1
    assert client.get(CREATORS, headers=operator, params={"q": "%"}).json()["items"] == []
    _, spain_only = make_user("operator", markets=["ES"])
    assert client.get(CREATORS, headers=spain_only).json()["items"] == []
    problem(client.get(CREATORS, headers=spain_only, params={"market": "US"}), 403, "market_out_of_scope")
