"""Fixtures of the webhook tests: a real HTTP receiver and per-test settings."""

import os
from collections.abc import Iterator

import pytest
from webhook_support import Receiver

from marketcast.core.settings import reset_settings


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def settings_env() -> Iterator:
    """settings_env(MARKETCAST_X="...") sets environment settings for one test, then restores them."""
    saved: dict[str, str | None] = {}

    def _set(**values: str) -> None:
        for key, value in values.items():
            saved.setdefault(key, os.environ.get(key))
            os.environ[key] = value
        reset_settings()

    yield _set
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    reset_settings()
