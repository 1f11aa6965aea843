"""Programs fixtures: a US program body judged on the orders figures (the LIVE ones come from the live area),
shops of each type and mode, and a few helpers."""

import copy

import pytest

from marketcast.sellers.models import Shop

BASE = {
    "market": "US", "name": "Self-broadcast support plan", "description": "Shops that host their own LIVE",
    "starts_at": "2024-04-01T00:00:00Z", "cadence": "monthly",
    "eligibility": {"host_types": ["self_broadcast"], "shop_types": ["local"], "modes": ["pop"]},
    "criteria": [{"metric": "orders", "min": 3}, {"metric": "refund_rate", "max": 3000}],
    "benefits": [{"kind": "referral_fee_discount_bps", "value": 200},
                 {"kind": "reward_pool", "amount": {"amount": 100_000, "currency": "USD"}, "rank_by": "gmv",
                  "top_n": 2}],
    "auto_enroll": False,
}


@pytest.fixture
def body():
    """body(**changes) -> a fresh program definition."""
    return lambda **changes: copy.deepcopy(BASE) | changes


@pytest.fixture
def us_operator(make_user, live_markets):
    return make_user("operator")[1]


@pytest.fixture
def create(client, us_operator, body):
    """create(**changes) -> the created program (asserts 201)."""

    def _create(**changes) -> dict:
        r = client.post("/api/v1/programs", json=body(**changes), headers=us_operator)
        assert r.status_code == 201, r.text
        return r.json()

    return _create


def set_shop(db, shop_id: str, **values) -> None:
    with db() as s:
        shop = s.get(Shop, shop_id)
        for key, value in values.items():
            setattr(shop, key, value)
