"""The scenario's tests load it many times: a smaller creator population, except where a test asks for the
real one (test_us_creators.py)."""

import pytest


@pytest.fixture(autouse=True)
def _small_creator_population(monkeypatch):
    monkeypatch.setenv("MARKETCAST_SCENARIO_CREATORS", "1500")
