import pytest

from marketcast.core.errors import Invalid
from marketcast.policies import registry, rules

GMV = registry.get("seller.cross_border.min_external_gmv")
FOLLOWERS = registry.get("creator.affiliate.min_followers")
CAP = registry.get("shop.probation.daily_order_cap")


@pytest.mark.parametrize("text, expected", [
    ("2000000 USD", {"amount": 200_000_000, "currency": "USD"}),
    ("$2,000,000", {"amount": 200_000_000, "currency": "USD"}),
    ("19.99 eur", {"amount": 1999, "currency": "EUR"}),
    ("500000 JPY", {"amount": 500000, "currency": "JPY"}),
    ("none", None),
])
def test_money_is_typed_in_major_units(text, expected):
    assert rules.parse_text(GMV, text) == expected


@pytest.mark.parametrize("text", ["19.999 USD", "2000000", "lots USD", "1 2 USD"])
def test_unreadable_money_is_refused(text):
    with pytest.raises(Invalid) as exc:
        rules.parse_text(GMV, text)
    assert exc.value.field == "value"


def test_ints_and_none():
    assert rules.parse_text(FOLLOWERS, "1,000") == 1000
    assert rules.parse_text(CAP, "None") is None
    with pytest.raises(Invalid):
        rules.parse_text(FOLLOWERS, "many")
    with pytest.raises(Invalid):
        rules.check_value(FOLLOWERS, rules.parse_text(FOLLOWERS, "none"))


def test_every_default_fits_its_own_key():
    for pk in registry.all_keys():
        assert rules.check_value(pk, pk.default) == pk.default


def test_format_value():
    assert rules.format_value(FOLLOWERS, 1000) == "1000 followers"
    assert rules.format_value(GMV, {"amount": 200_000_000, "currency": "USD"}) == "2,000,000.00 USD"
    assert rules.format_value(CAP, None) == "none (no requirement)"


def test_huge_and_infinite_values_are_422_not_500(client, operator, us_es):
    for value in (10**30, -(10**30)):
        r = client.post("/api/v1/policies/live.bag.max_products/versions", headers=operator,
                        json={"market": "US", "value": value, "effective_from": "2099-01-01T00:00:00Z", "reason": "x"})
        assert r.status_code == 422 and r.json()["field"] == "value"
    from marketcast.core.errors import Invalid
    from marketcast.policies import service

    for text in ("Infinity USD", "1e5000 USD", "NaN USD"):
        try:
            service.parse_value("seller.cross_border.min_external_gmv", text)
            raise AssertionError(text)
        except Invalid as exc:
            assert exc.field == "value"
