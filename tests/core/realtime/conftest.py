import pytest

from marketcast.core import realtime


@pytest.fixture(autouse=True)
def fresh_hub():
    """Each test gets the process hub made anew from its settings."""
    realtime.reset_hub()
    yield
    realtime.reset_hub()
