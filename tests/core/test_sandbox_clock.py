"""MARKETCAST_CLOCK_START: the server, the worker and the CLI start business time at that instant and agree on it."""

import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from marketcast.core import clock, sandbox

MARKETCAST = str(Path(sys.executable).parent / "marketcast")
START = "2024-07-15T00:00:00+00:00"


def _business_time(text: str) -> datetime:
    return datetime.fromisoformat(text.split("as of ")[-1].split()[0])


def _cli(*args: str) -> str:
    done = subprocess.run([MARKETCAST, *args], env={**os.environ, "MARKETCAST_CLOCK_START": START},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def sandboxed(settings_env):
    settings_env(MARKETCAST_CLOCK_START=START)


def test_healthz_reports_the_business_time_of_the_sandbox_clock(sandboxed):
    from marketcast.app import create_app

    with TestClient(create_app()) as client:
        health = client.get("/healthz").json()
    start = datetime.fromisoformat(START)
    assert health["sandbox_clock"] is True
    assert start <= datetime.fromisoformat(health["business_time"]) < start + timedelta(minutes=2)


def test_real_time_without_it(client):
    health = client.get("/healthz").json()
    assert health["sandbox_clock"] is False
    assert abs(datetime.fromisoformat(health["business_time"]) - clock.wall_now()) < timedelta(minutes=1)


def test_server_cli_and_worker_agree_on_the_business_time(sandboxed):
    from marketcast.app import create_app

    create_app()  # the first process anchors the clock in the database
    server_time = clock.now()
    time.sleep(2)
    # Later processes run on from the shared anchor instead of starting again at START.
    cli_time = _business_time(_cli("clock"))
    worker_time = _business_time(_cli("worker", "--once"))
    assert cli_time >= server_time + timedelta(seconds=2)
    assert worker_time >= cli_time
    assert abs(clock.now() - worker_time) < timedelta(seconds=30)
    assert clock.now() < datetime.fromisoformat(START) + timedelta(minutes=5)


def test_a_new_start_begins_the_sandbox_again(settings_env):
    settings_env(MARKETCAST_CLOCK_START="2024-07-15T00:00:00Z")
    sandbox.install()
    settings_env(MARKETCAST_CLOCK_START="2025-01-01T00:00:00Z")
    assert sandbox.install() < datetime.fromisoformat("2025-01-01T00:01:00+00:00")
    assert clock.now() >= datetime.fromisoformat("2025-01-01T00:00:00+00:00")


def test_the_console_shows_a_banner_while_it_is_set(sandboxed):
    from marketcast.app import create_app

    with TestClient(create_app()) as client:
        page = client.get("/login").text
    assert 'data-testid="sandbox-banner"' in page and "2024-07-15" in page
