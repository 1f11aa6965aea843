"""The sold-out gate of one process without Redis: a lapsed mark lets one probe through to the database and keeps
turning the others away (live.gate)."""

import asyncio
import threading

import pytest

from marketcast.core.errors import Conflict
from marketcast.live import gate


def _check_within(seconds: float, deal_id: str, fingerprint: str) -> str:
    """gate.check on an event loop of its own thread: 'passed', a refusal's code, or 'hung' (a blocked loop)."""
    answer: list[str] = []

    def run() -> None:
        try:
            asyncio.run(gate.check(deal_id, fingerprint))
            answer.append("passed")
        except Conflict as exc:
            answer.append(exc.code)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if answer:
        return answer[0]
    if gate._lock.locked():  # the loop waits on the gate's own lock: free it, or the teardown's reset waits too
        gate._lock.release()
    return "hung"


@pytest.fixture
def clock_of_gate(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(gate.time, "monotonic", lambda: now[0])
    return now


def test_a_lapsed_mark_lets_one_probe_through_and_refuses_the_others(clock_of_gate):
    gate.mark("dl_1", "deal_sold_out")
    assert _check_within(2, "dl_1", "u1:k1") == "deal_sold_out"
    clock_of_gate[0] += gate.SOLD_OUT_LOCAL_SECONDS + 0.1
    assert _check_within(2, "dl_1", "u2:k2") == "passed"  # the probe: the database answers it
    assert _check_within(2, "dl_1", "u3:k3") == "deal_sold_out"  # the mark is trusted again meanwhile
    assert _check_within(2, "dl_1", "u2:k2") == "passed"  # the probe's retry goes on to its replay


def test_an_ended_deal_is_refused_for_good(clock_of_gate):
    gate.mark("dl_2", "deal_not_open")
    clock_of_gate[0] += gate.SOLD_OUT_LOCAL_SECONDS + 60
    assert _check_within(2, "dl_2", "u1:k1") == "deal_not_open"
