"""Parallel password guesses against a real `marketcast serve --workers 2` on PostgreSQL, each on its own
connection: the server keeps answering everyone else, the throttle counts every guess, and SIGTERM stops it.

(Found in an attack: 60 parallel wrong logins froze the server for good, and 80 parallel guesses got 24 500s and
a token for the right password among them.)"""

import os
import threading
from collections import Counter

import pytest

from marketcast.core.auth import service as auth
from marketcast.core.settings import get_settings
from tests.support.serve import request, serve, timed_get, together

ON_POSTGRES = os.environ.get("MARKETCAST_TEST_BACKEND") == "postgres"
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not ON_POSTGRES, reason="the row-lock freeze was on PostgreSQL")]

# A read must answer while the guesses run; a frozen server never does.
ANSWER_WITHIN = 1.0
RIGHT = "the-right-password-42"


@pytest.fixture
def account(db):
    with db() as s:
        auth.create_user(s, email="victim@example.com", role="seller", password=RIGHT)
    return "victim@example.com"


def _guess(base: str, email: str, password: str):
    return request(base, "POST", "/api/v1/auth/tokens", {"email": email, "password": password})


def _probe_while(served, stop: threading.Event, seen: list) -> None:
    while not stop.is_set():
        for path in ("/healthz", "/api/v1/markets"):
            seen.append((path, *timed_get(served.base, path, timeout=30)))
        stop.wait(0.05)


def test_sixty_parallel_logins_leave_the_server_answering_and_sigterm_stops_it(database_url, account, tmp_path):
    served = serve(database_url, tmp_path / "serve.log")
    stopped = None
    try:
        for _ in range(10):  # each worker's first requests open its pool and load templates
            timed_get(served.base, "/api/v1/markets", timeout=30)
        stop, during = threading.Event(), []
        prober = threading.Thread(target=_probe_while, args=(served, stop, during), daemon=True)
        prober.start()
        outcomes = Counter(together(60, lambda i: _guess(served.base, account, f"wrong-{i}")))
        stop.set()
        prober.join(timeout=60)
        after = [(path, *timed_get(served.base, path, timeout=30)) for path in ("/healthz", "/api/v1/markets")]
        stopped = served.stop(within=30)
    finally:
        if stopped is None and served.process.poll() is None:
            served.stop(within=1)
    assert set(outcomes) <= {401, 429} and outcomes[401] >= 1, outcomes
    assert during, "no read was answered while the logins ran"
    print("probes during:", [(p, round(t, 3)) for p, _, t in during], "after:", after)
    slow = [probe for probe in during + after if probe[1] != 200 or probe[2] > ANSWER_WITHIN]
    assert not slow, f"{len(slow)} of {len(during) + len(after)} reads late or failed: {slow[:5]}"
    assert stopped is not None and stopped < 30, f"still running 30 s after SIGTERM:\n{served.log.read_text()[-3000:]}"


def test_eighty_parallel_guesses_get_401_then_429_and_never_a_token(database_url, account, tmp_path):
    # A long first delay, so that every guess of the burst lands inside it however slow the machine is.
    served = serve(database_url, tmp_path / "serve.log", MARKETCAST_LOGIN_BASE_DELAY_SECONDS="120")
    try:
        outcomes = Counter(together(79, lambda i: _guess(served.base, account, f"wrong-{i}")))
        right = _guess(served.base, account, RIGHT)
    finally:
        served.stop(within=30)
    allowed = get_settings().login_max_failures
    assert outcomes == {401: allowed, 429: 79 - allowed}, outcomes
    assert right == 429  # the account is in its delay: the right password waits too
