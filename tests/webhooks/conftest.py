"""Fixtures of the webhook tests: a real HTTP receiver."""

from collections.abc import Iterator

import pytest

from tests.support.webhooks import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()
