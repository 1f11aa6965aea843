"""The login throttle's rules, one attempt at a time (the parallel case is test_login_under_load.py)."""

from datetime import timedelta

import pytest

from marketcast.core import clock
from marketcast.core.auth import login
from marketcast.core.auth import service as auth
from marketcast.core.errors import TooManyRequests, Unauthorized
from marketcast.core.settings import get_settings


@pytest.fixture
def owner(db):
    with db() as s:
        auth.create_user(s, email="owner@example.com", role="buyer", password="owner-password-1")
        auth.create_user(s, email="spray@example.com", role="buyer", password="spray-password-1")
    return "owner@example.com"


def _try(email, password, address="192.0.2.1"):
    try:
        login.login_now(email=email, password=password, address=address)
        return "ok"
    except Unauthorized:
        return 401
    except TooManyRequests as exc:
        return 429, exc.retry_after


def test_guesses_during_a_delay_do_not_lengthen_it(owner, at):
    limit, base = get_settings().login_max_failures, get_settings().login_base_delay_seconds
    with clock.frozen(at(2030, 1, 1)):
        assert [_try(owner, "wrong", f"198.51.100.{i}") for i in range(limit)] == [401] * limit
        # A flood during the delay is refused and not counted: the owner waits the first delay, no longer.
        assert {_try(owner, "wrong", f"203.0.113.{i}") for i in range(30)} == {(429, base)}
    with clock.frozen(at(2030, 1, 1) + timedelta(seconds=base)):
        assert _try(owner, "owner-password-1", "203.0.113.200") == "ok"


def test_the_delay_doubles_with_each_counted_failure_up_to_the_maximum(owner, at, settings_env):
    settings_env(MARKETCAST_LOGIN_MAX_DELAY_SECONDS="8")
    limit, now = get_settings().login_max_failures, at(2030, 1, 1)
    with clock.frozen(now):
        assert [_try(owner, "wrong", f"198.51.100.{i}") for i in range(limit - 1)] == [401] * (limit - 1)
    waits = []
    for i in range(5):
        with clock.frozen(now):
            assert _try(owner, "wrong", f"203.0.113.{i}") == 401
            waits.append(_try(owner, "wrong", "203.0.113.250"))  # during the delay: refused, not counted
        now += timedelta(seconds=60)
    assert waits == [(429, 2), (429, 4), (429, 8), (429, 8), (429, 8)]


def test_logging_into_ones_own_account_does_not_reset_the_address(owner, settings_env):
    """A spray of guesses at another account, with a login of one's own between every few, still stops."""
    settings_env(MARKETCAST_LOGIN_ADDRESS_MAX_FAILURES="6", MARKETCAST_LOGIN_MAX_FAILURES="100")
    outcomes = []
    for _ in range(4):
        outcomes += [_try(owner, "guess") for _ in range(3)]
        _try("spray@example.com", "spray-password-1")
    assert outcomes[:6] == [401] * 6
    assert all(isinstance(o, tuple) and o[0] == 429 for o in outcomes[6:])


def test_a_right_password_ends_the_accounts_run(owner):
    for _ in range(get_settings().login_max_failures - 1):
        assert _try(owner, "wrong") == 401
    assert _try(owner, "owner-password-1") == "ok"
    assert [_try(owner, "wrong") for _ in range(get_settings().login_max_failures - 1)] == [401] * 4


def test_an_unknown_email_costs_a_password_check_too(owner, monkeypatch):
    checked, dummy = [], login._dummy_hash()
    real = login._hasher

    class Counting:
        def verify(self, password_hash, password):
            checked.append(password_hash)
            return real.verify(password_hash, password)

    monkeypatch.setattr(login, "_hasher", Counting())
    assert _try("nobody@example.com", "whatever") == 401
    assert _try(owner, "wrong") == 401
    assert len(checked) == 2 and checked[0] == dummy
