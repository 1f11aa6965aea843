from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketcast.core import clock
from marketcast.core.auth.actor import Actor
from marketcast.core.db import unit_of_work
from marketcast.core.errors import Conflict, Forbidden, Invalid, NotFound
from marketcast.core.ids import new_id
from marketcast.core.outbox import OutboxEvent
from marketcast.policies import service
from marketcast.policies.models import PolicyVersion

OPS = Actor(user_id=None, email="ops@example.com", role="operator")
FOLLOWERS = "creator.affiliate.min_followers"
GMV = "seller.cross_border.min_external_gmv"
JUNE_10 = datetime(2024, 6, 10, 9, 0, tzinfo=UTC)
JULY_1 = datetime(2024, 7, 1, tzinfo=UTC)


def d(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def schedule(key=FOLLOWERS, market="US", value=1000, effective_from=JULY_1, reason="Lowered threshold", actor=OPS):
    with unit_of_work() as session:
        version = service.schedule(session, key=key, market=market, value=value, effective_from=effective_from,
                                   reason=reason, actor=actor)
        return version.id


def resolve(key=FOLLOWERS, market="US", at=None):
    with unit_of_work(write=False) as session:
        return service.value_at(session, key=key, market=market, at=at)


def test_nothing_set_means_the_registry_default(us_es):
    r = resolve(at=d(2024, 1, 1))
    assert (r.value, r.source, r.version_id, r.next) == (5000, "default", None, None)
    assert resolve(key="shop.probation.daily_order_cap", market=None).value == 200


def test_us_threshold_is_5000_before_july_and_1000_from_july(us_es):
    with clock.frozen(JUNE_10):
        version_id = schedule()
        assert resolve().value == 5000  # "now" is still June
        upcoming = resolve().next
        assert upcoming is not None and upcoming.version_id == version_id
    assert resolve(at=JULY_1 - timedelta(microseconds=1)).value == 5000
    r = resolve(at=JULY_1)
    assert (r.value, r.source, r.version_id, r.actor, r.reason) == (1000, "market", version_id, OPS.email,
                                                                     "Lowered threshold")
    assert r.effective_from == JULY_1 and r.next is None
    # Another market is untouched.
    assert resolve(market="ES", at=d(2024, 8, 1)).value == 5000


def test_resolution_falls_back_from_market_to_global_to_default(us_es):
    with clock.frozen(d(2024, 1, 1)):
        global_id = schedule(market=None, value=3000, effective_from=d(2024, 3, 1), reason="Global rule")
        us_id = schedule(market="US", value=1000, effective_from=d(2024, 7, 1))
        later_global = schedule(market=None, value=2000, effective_from=d(2024, 9, 1), reason="Lower everywhere")
    feb = resolve(at=d(2024, 2, 1))
    assert (feb.value, feb.source) == (5000, "default")
    assert feb.next.version_id == global_id
    april = resolve(at=d(2024, 4, 1))
    assert (april.value, april.source, april.version_id) == (3000, "global", global_id)
    assert april.next.version_id == us_id  # the US version replaces the global one for US
    august = resolve(at=d(2024, 8, 1))
    assert (august.value, august.source) == (1000, "market")
    # A later global change does not reach US, which has its own version.
    assert august.next is None and resolve(at=d(2024, 10, 1)).value == 1000
    es = resolve(market="ES", at=d(2024, 8, 1))
    assert (es.value, es.source, es.next.version_id) == (3000, "global", later_global)
    assert resolve(market="ES", at=d(2024, 9, 1)).value == 2000
    assert resolve(market=None, at=d(2024, 8, 1)).value == 3000


def test_money_requirement_becomes_none_from_a_date(us_es):
    with clock.frozen(d(2024, 1, 1)):
        schedule(key=GMV, value={"amount": 200_000_000, "currency": "USD"}, effective_from=d(2024, 2, 1),
                 reason="Amazon $2M rule")
        none_id = schedule(key=GMV, value=None, effective_from=d(2025, 1, 1), reason="Rule relaxed")
    assert resolve(key=GMV, at=d(2024, 6, 1)).value == {"amount": 200_000_000, "currency": "USD"}
    r = resolve(key=GMV, at=d(2025, 1, 2))
    assert (r.value, r.source, r.version_id) == (None, "market", none_id)
    with unit_of_work(write=False) as session:
        text = service.explain(session, key=GMV, market="US", at=d(2025, 1, 2))
    assert "is none (no requirement)" in text and "before that 2,000,000.00 USD" in text


def test_money_currency_must_be_the_markets_but_global_takes_any(us_es):
    with clock.frozen(JUNE_10):
        with pytest.raises(Invalid) as exc:
            schedule(key=GMV, value={"amount": 100, "currency": "EUR"})
        assert (exc.value.code, exc.value.field) == ("invalid_policy_value", "value")
        schedule(key=GMV, market="ES", value={"amount": 100, "currency": "EUR"})
        schedule(key=GMV, market=None, value={"amount": 100, "currency": "EUR"})


@pytest.mark.parametrize("key, value", [
    (FOLLOWERS, -1), (FOLLOWERS, True), (FOLLOWERS, "1000"), (FOLLOWERS, None), (FOLLOWERS, 10.5),
    ("creator.affiliate.min_age", 12), ("creator.affiliate.min_age", 101), ("live.bag.max_products", 0),
    (GMV, 2_000_000), (GMV, {"amount": -5, "currency": "USD"}), (GMV, {"amount": 5}),
    (GMV, {"amount": 5, "currency": "USD", "extra": 1}), (GMV, {"amount": 1.5, "currency": "USD"}),
])
def test_bad_values_are_rejected_on_field_value(us_es, key, value, snapshot):
    with clock.frozen(JUNE_10), pytest.raises(Invalid) as exc:
        schedule(key=key, value=value)
    assert (exc.value.code, exc.value.field) == ("invalid_policy_value", "value")
    assert snapshot() == ([], 0)


def test_bounds_are_inclusive_and_none_allowed_where_nullable(us_es):
    with clock.frozen(JUNE_10):
        schedule(key="creator.affiliate.min_age", value=13)
        schedule(key="creator.affiliate.min_age", value=100, effective_from=d(2024, 8, 1))
        schedule(key="shop.probation.daily_order_cap", value=None)


def test_unknown_key_market_and_past_dates(us_es, snapshot):
    with clock.frozen(JUNE_10):
        with pytest.raises(NotFound) as exc:
            schedule(key="no.such.key")
        assert exc.value.code == "policy_not_found"
        with pytest.raises(NotFound) as exc:
            schedule(market="FR")
        assert exc.value.code == "market_not_found"
        with pytest.raises(Invalid) as exc:
            schedule(effective_from=JUNE_10 - timedelta(seconds=1))
        assert (exc.value.code, exc.value.field) == ("effective_from_in_past", "effective_from")
        with pytest.raises(Invalid) as exc:
            schedule(reason="  ")
        assert exc.value.field == "reason"
        schedule(effective_from=JUNE_10)  # "now" is not in the past
    assert snapshot()[1] == 1


def test_only_operators_of_the_market_may_schedule(us_es, snapshot):
    seller = Actor(user_id="u1", email="s@example.com", role="seller")
    es_ops = Actor(user_id="u2", email="es@example.com", role="operator", markets=("ES",))
    with clock.frozen(JUNE_10):
        with pytest.raises(Forbidden) as exc:
            schedule(actor=seller)
        assert exc.value.code == "wrong_role"
        for market in ("US", None):
            with pytest.raises(Forbidden) as exc:
                schedule(market=market, actor=es_ops)
            assert exc.value.code == "market_out_of_scope"
        assert snapshot() == ([], 0)
        schedule(market="ES", actor=es_ops)


def test_two_live_versions_at_the_same_instant_conflict_until_one_is_withdrawn(us_es):
    with clock.frozen(JUNE_10):
        first = schedule()
        with pytest.raises(Conflict) as exc:
            schedule(value=2000)
        assert exc.value.code == "policy_version_exists"
        schedule(market=None, value=2000)  # the global scope is another scope
        with unit_of_work() as session:
            service.withdraw(session, version_id=first, reason="wrong value", actor=OPS)
        second = schedule(value=2000)
    assert resolve(at=JULY_1).version_id == second


@pytest.mark.parametrize("market", ["US", None])
def test_the_database_itself_refuses_a_second_live_version(us_es, market):
    def row():
        return PolicyVersion(id=new_id("pol"), key=FOLLOWERS, market=market, value={"v": 1},
                             effective_from=JULY_1, reason="r", actor_email="x", created_at=JUNE_10)

    with unit_of_work() as session:
        session.add(row())
    with pytest.raises(IntegrityError), unit_of_work() as session:
        session.add(row())


def test_withdrawing_an_effective_version_is_refused_and_changes_nothing(us_es, snapshot):
    with clock.frozen(JUNE_10):
        version_id = schedule()
    before = snapshot()
    with clock.frozen(JULY_1), pytest.raises(Conflict) as exc, unit_of_work() as session:
        service.withdraw(session, version_id=version_id, reason="oops", actor=OPS)
    assert exc.value.code == "policy_version_in_effect"
    assert snapshot() == before
    assert resolve(at=JULY_1).value == 1000


def test_withdrawing_a_future_version_keeps_it_as_history(us_es):
    with clock.frozen(JUNE_10):
        version_id = schedule()
        with unit_of_work() as session:
            v = service.withdraw(session, version_id=version_id, reason="postponed", actor=OPS)
            assert (v.withdrawn_by, v.withdraw_reason) == (OPS.email, "postponed")
        with pytest.raises(Conflict) as exc, unit_of_work() as session:
            service.withdraw(session, version_id=version_id, reason="again", actor=OPS)
        assert exc.value.code == "policy_version_withdrawn"
        with pytest.raises(NotFound), unit_of_work() as session:
            service.withdraw(session, version_id="pol_nope", reason="x", actor=OPS)
    assert resolve(at=JULY_1).value == 5000
    with unit_of_work(write=False) as session:
        assert [v.id for v in service.versions(session, key=FOLLOWERS, market="US")] == [version_id]
        events = session.scalars(select(OutboxEvent.type).where(OutboxEvent.type.like("policy.%"))).all()
    assert sorted(events) == ["policy.scheduled", "policy.withdrawn"]


def test_timeline_lists_versions_oldest_first_with_status(us_es):
    with clock.frozen(d(2024, 1, 1)):
        g = schedule(market=None, value=3000, effective_from=d(2024, 2, 1))
        a = schedule(value=2000, effective_from=d(2024, 3, 1))
        b = schedule(value=1000, effective_from=d(2024, 7, 1))
        c = schedule(value=900, effective_from=d(2024, 12, 1))
        w = schedule(value=800, effective_from=d(2025, 1, 1))
        with unit_of_work() as session:
            service.withdraw(session, version_id=w, reason="no", actor=OPS)
    with unit_of_work(write=False) as session:
        mine = service.timeline(session, key=FOLLOWERS, market="US", at=d(2024, 8, 1))
        both = service.timeline(session, key=FOLLOWERS, market="US", at=d(2024, 8, 1), include_global=True)
    assert [(e.version_id, e.status) for e in mine] == [
        (a, "superseded"), (b, "in_force"), (c, "scheduled"), (w, "withdrawn")]
    assert [e.version_id for e in both] == [g, a, b, c, w]


def test_explain_says_what_why_who_before_and_next(us_es):
    with clock.frozen(JUNE_10):
        version_id = schedule()
    with unit_of_work(write=False) as session:
        text = service.explain(session, key=FOLLOWERS, market="US", at=d(2024, 8, 1))
        default = service.explain(session, key=FOLLOWERS, market="ES", at=d(2024, 8, 1))
        upcoming = service.explain(session, key=FOLLOWERS, market="US", at=d(2024, 6, 20))
    assert text == (f"creator.affiliate.min_followers for US on 2024-08-01 is 1000 followers: version {version_id} "
                    "set by ops@example.com on 2024-06-10 09:00:00 UTC 'Lowered threshold' effective since 2024-07-01; "
                    "before that 5000 (default); next: none scheduled.")
    assert default.endswith("is 5000 followers: the default (no version set); next: none scheduled.")
    assert upcoming.endswith(f"next: 1000 followers from 2024-07-01 ({version_id}).")


def test_in_force_resolves_every_key(us_es):
    with clock.frozen(JUNE_10):
        schedule()
        schedule(key="live.bag.max_products", market=None, value=50)
    with unit_of_work(write=False) as session:
        items = {r.key: r for r in service.in_force(session, market="US", at=d(2024, 8, 1))}
    assert set(items) == {k.key for k in service.keys()}
    assert items[FOLLOWERS].value == 1000 and items["live.bag.max_products"].source == "global"
    assert items["affiliate.settlement.hold_days"].value == 15


def test_announce_effective_emits_once_per_version(us_es):
    with clock.frozen(JUNE_10):
        first = schedule()
        schedule(value=700, effective_from=d(2024, 9, 1))
        dropped = schedule(value=10, effective_from=d(2024, 8, 1))
        with unit_of_work() as session:
            service.withdraw(session, version_id=dropped, reason="typo", actor=OPS)
    with unit_of_work() as session:
        assert service.announce_effective(session, now=JUNE_10) == 0
    with unit_of_work() as session:
        assert service.announce_effective(session, now=d(2024, 8, 15)) == 1
    with unit_of_work() as session:
        assert service.announce_effective(session, now=d(2024, 8, 15)) == 0
    with unit_of_work() as session:
        assert service.announce_effective(session, now=d(2024, 9, 1)) == 1
    with unit_of_work(write=False) as session:
        events = sorted(session.scalars(select(OutboxEvent).where(OutboxEvent.type == "policy.effective")),
                        key=lambda e: e.data["effective_from"])
        v = session.get(PolicyVersion, first)
    assert [(e.data["value"], e.data["previous_value"], e.market) for e in events] == [(1000, 5000, "US"),
                                                                                       (700, 1000, "US")]
    assert events[0].data["version_id"] == first and v.announced_at == d(2024, 8, 15)


def test_value_is_the_plain_value():
    assert service.key_info(FOLLOWERS).unit == "followers"
    with unit_of_work(write=False) as session:
        assert service.value(session, key="affiliate.commission.rate_lock_days", market=None) == 30
        with pytest.raises(Invalid) as exc:
            service.value(session, key=FOLLOWERS, market="USA")
        assert exc.value.field == "market"
