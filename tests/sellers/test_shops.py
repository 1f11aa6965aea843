"""Shops after approval: ownership, selling, the probation cap, paid orders and graduation."""

import pytest

from marketcast.core import clock
from marketcast.core.auth import service as auth
from marketcast.core.auth.actor import SYSTEM, Actor
from marketcast.core.auth.models import User
from marketcast.core.db import unit_of_work
from marketcast.core.errors import Conflict, Forbidden, NotFound
from marketcast.markets import service as markets
from marketcast.policies import service as policies
from marketcast.sellers import service
from tests.sellers.conftest import APPS, events


@pytest.fixture
def shop(client, seller, apply, operator, at):
    """A US shop on probation since 2024-03-01 and its owner's headers."""
    headers, profile = seller()
    app = apply(headers)
    with clock.frozen(at(2024, 3, 1)):
        r = client.post(f"{APPS}/{app['id']}/approve", json={"reason": "ok"}, headers=operator)
    return r.json()["shop_id"], profile


def test_paid_orders_count_atomically_and_graduation_needs_days_and_orders(shop, at):
    shop_id, _ = shop
    with clock.frozen(at(2024, 3, 1)), unit_of_work() as session:
        for key, value in (("shop.probation.days", 30), ("shop.probation.orders", 3)):
            policies.schedule(session, key=key, market="US", value=value, effective_from=at(2024, 3, 1),
                              reason="test", actor=SYSTEM)
    with unit_of_work() as session:
        for _ in range(2):
            service.record_paid_order(session, shop_id=shop_id)
    with clock.frozen(at(2024, 4, 15)), unit_of_work() as session:
        assert service.graduate_shops(session) == 0  # days served, 2 of 3 orders
        service.record_paid_order(session, shop_id=shop_id)
    with clock.frozen(at(2024, 3, 30)), unit_of_work() as session:
        assert service.graduate_shops(session) == 0  # 3 orders, 29 days
    with clock.frozen(at(2024, 3, 31)), unit_of_work() as session:
        assert service.graduate_shops(session) == 1
    with unit_of_work(write=False) as session:
        found = service.get_shop(session, shop_id)
        assert (found.status, found.paid_orders, found.activated_at) == ("active", 3, at(2024, 3, 31))
    [graduated] = events("shop.graduated")
    assert (graduated.data["shop_id"], graduated.data["paid_orders"]) == (shop_id, 3)
    with unit_of_work() as session, pytest.raises(NotFound):
        service.record_paid_order(session, shop_id="shp_missing")


def test_can_sell_needs_an_open_shop_in_a_live_market(shop):
    shop_id, _ = shop
    with unit_of_work() as session:
        assert service.require_can_sell(session, shop_id=shop_id).id == shop_id
        service.get_shop(session, shop_id).status = "suspended"
    with unit_of_work() as session, pytest.raises(Conflict) as caught:
        service.require_can_sell(session, shop_id=shop_id)
    assert caught.value.code == "shop_cannot_sell"
    with unit_of_work() as session:
        service.get_shop(session, shop_id).status = "active"
        markets.transition(session, code="US", status="paused", reason="test", actor=SYSTEM)
    with unit_of_work() as session, pytest.raises(Conflict) as caught:
        service.require_can_sell(session, shop_id=shop_id)
    assert caught.value.code == "market_not_live"


def test_shop_owner_or_operator_of_its_market(shop, make_user):
    shop_id, profile = shop
    with unit_of_work() as session:
        owner = auth.actor_of(session.get(User, profile["owner_user_id"]))
        assert service.require_shop_owner(session, shop_id=shop_id, actor=owner).id == shop_id
        assert service.require_shop_owner(session, shop_id=shop_id, actor=SYSTEM).id == shop_id
        for actor, code in ((Actor("usr_x", "o@x", "seller"), "not_owner"),
                            (Actor("usr_y", "b@x", "buyer"), "not_owner"),
                            (Actor("usr_z", "es@x", "operator", ("ES",)), "market_out_of_scope")):
            with pytest.raises(Forbidden) as caught:
                service.require_shop_owner(session, shop_id=shop_id, actor=actor)
            assert caught.value.code == code
        with pytest.raises(NotFound):
            service.require_shop_owner(session, shop_id="shp_nope\x00", actor=SYSTEM)
