"""The LIVE metrics read the live area's per-host figures (live.service.host_period_figures); here a stand-in
gives them, so the explanation of hours, sessions and viewers and the ranking by unique viewers are checked
whether or not the live area is there."""

from dataclasses import dataclass

import pytest

from marketcast.core import clock
from marketcast.programs import metrics


@dataclass(frozen=True)
class Figures:
    effective_live_minutes: int
    sessions: int
    gmv: int
    unique_viewers: int


@pytest.fixture
def live_figures(monkeypatch):
    """live_figures({shop_id: Figures}) -> the calls made (shop_ids, start, end)."""
    calls = []

    def install(by_shop):
        def host_period_figures(session, *, shop_ids, start, end):
            calls.append((sorted(shop_ids), start, end))
            return {s: f for s, f in by_shop.items() if s in shop_ids}

        monkeypatch.setattr(metrics, "_host_period_figures", lambda: host_period_figures)
        return calls

    return install


def test_live_criteria_are_explained_in_hours_and_ranked_by_viewers(client, create, make_shop, us_operator, at,
                                                                     live_figures):
    shops = [make_shop() for _ in range(3)]
    calls = live_figures({shops[0]["id"]: Figures(15 * 60, 5, 80_000, 300),
                          shops[1]["id"]: Figures(750, 3, 10_000, 900),
                          shops[2]["id"]: Figures(20 * 60, 4, 0, 120)})
    with clock.frozen(at(2024, 3, 25)):
        program = create(criteria=[{"metric": "effective_live_hours", "min": 14},
                                   {"metric": "live_sessions", "min": 4}],
                         benefits=[{"kind": "reward_pool", "amount": {"amount": 1_000_000, "currency": "USD"},
                                    "rank_by": "unique_viewers", "top_n": 5}])
        for shop in shops:
            client.post(f"/api/v1/programs/{program['id']}/enrollments", json={"shop_id": shop["id"]},
                        headers=us_operator)
    with clock.frozen(at(2024, 4, 20)):
        got = client.get(f"/api/v1/programs/{program['id']}/standings", headers=us_operator).json()
    by = {i["shop_id"]: i for i in got["items"]}
    short = by[shops[1]["id"]]
    assert short["explanation"].startswith("So far: 12.5 of 14 effective live hours (1.5 short); 3 sessions of 4 "
                                           "(1 short)")
    assert short["needed"] == {"effective_live_hours": 1.5, "live_sessions": 1} and not short["qualifies"]
    assert short["metrics"]["unique_viewers"] == 900
    # Ranked by unique viewers among the qualifying shops only: 300 before 120.
    assert by[shops[0]["id"]]["benefit"] == {"rank": 1, "reward": {"amount": 500_000, "currency": "USD"}}
    assert by[shops[2]["id"]]["benefit"]["rank"] == 2
    assert calls[0][1] == at(2024, 4, 1) and calls[0][2] == at(2024, 5, 1)
