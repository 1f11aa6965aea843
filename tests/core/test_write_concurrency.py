"""Idempotent writes take turns per process: at most MARKETCAST_WRITE_CONCURRENCY run at once, the rest wait in
the event loop (core.web_deps.respond_once_in_turn), and every one of them is answered."""

import asyncio
import threading
import time

import pytest
from pydantic import ValidationError

from marketcast.core import web_deps
from marketcast.core.settings import reset_settings


def test_no_more_writes_run_at_once_than_the_setting_allows(monkeypatch):
    monkeypatch.setenv("MARKETCAST_WRITE_CONCURRENCY", "3")
    reset_settings()
    running, most, lock = 0, 0, threading.Lock()

    def slow_write(request, **kwargs):
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return kwargs["key"]

    monkeypatch.setattr(web_deps, "respond_once", slow_write)

    async def many():
        return await asyncio.gather(*(web_deps.respond_once_in_turn(None, roles=(), key=str(i), body=None,
                                                                     operation=None) for i in range(12)))
    try:
        answers = asyncio.run(many())
    finally:
        reset_settings()
    assert answers == [str(i) for i in range(12)]
    assert most == 3


def test_a_write_concurrency_below_one_is_refused_at_start(monkeypatch):
    from marketcast.core.settings import Settings

    monkeypatch.setenv("MARKETCAST_WRITE_CONCURRENCY", "0")
    with pytest.raises(ValidationError, match="write_concurrency"):
        Settings()
