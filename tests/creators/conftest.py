"""Fixtures for creators: a live US market with the 2024 follower policies, creator users and their profiles."""

import uuid

import pytest

from marketcast.core import clock
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import unit_of_work
from marketcast.markets import service as markets
from marketcast.policies import service as policies
from tests.sellers.conftest import problem  # noqa: F401  (the creators tests use the same check)

CREATORS = "/api/v1/creators"


@pytest.fixture
def us(at):
    """Live US: min_followers 5000 from 2023-09-12 and 1000 from 2024-07-01, pilot under 5000 from 2024-07-01.
    Returns {key: version id} of the 2024-07-01 versions."""
    with clock.frozen(at(2023, 9, 1)), unit_of_work() as session:
        markets.create(session, code="US", name="United States", currency="USD", timezone="America/New_York",
                       status="live", actor=SYSTEM)
        markets.create(session, code="ES", name="Spain", currency="EUR", timezone="Europe/Madrid",
                       launch_window="2025-Q1", actor=SYSTEM)
        policies.schedule(session, key="creator.affiliate.min_followers", market="US", value=5000,
                          effective_from=at(2023, 9, 12), reason="launch rule", actor=SYSTEM)
        july = {key: policies.schedule(session, key=key, market="US", value=value, effective_from=at(2024, 7, 1),
                                       reason="creators from 1,000 followers", actor=SYSTEM).id
                for key, value in (("creator.affiliate.min_followers", 1000),
                                   ("creator.affiliate.pilot_below_followers", 5000))}
    return july


@pytest.fixture
def creator(client, make_user, us, at):
    """creator(followers=None, born="1995-04-02", market="US", on=at(2024, 6, 1)) -> (headers, creator json)."""

    def _make(followers: int | None = None, born: str = "1995-04-02", market: str = "US", on=None, handle=None):
        _, headers = make_user("creator")
        with clock.frozen(on or at(2024, 6, 1)):
            r = client.post(CREATORS, headers=headers, json={"market": market, "date_of_birth": born,
                                                             "handle": handle or f"c_{uuid.uuid4().hex[:10]}"})
            assert r.status_code == 201, r.text
            body = r.json()
            if followers is not None:
                with unit_of_work() as session:
                    from marketcast.creators import service

                    service.set_followers(session, creator_id=body["id"], count=followers, as_of=clock.now(),
                                          actor=SYSTEM)
        return headers, body

    return _make
