"""Publishing through Redis costs one round trip: the script goes by its SHA (redis-py's pipeline, given the
Script object, asks SCRIPT EXISTS before every execute), and a Redis that lost its scripts gets it again."""

import uuid

import pytest
import redis

from marketcast.core.realtime.redis_hub import RedisHub


def _calls(client: redis.Redis, command: str) -> int:
    return int(client.info("commandstats").get(f"cmdstat_{command}", {}).get("calls", 0))


@pytest.mark.redis
def test_a_publish_is_one_round_trip_and_survives_a_script_flush(redis_url):
    hub = RedisHub(redis_url, prefix=f"test-{uuid.uuid4().hex[:8]}")
    admin = redis.Redis.from_url(redis_url)
    asked = _calls(admin, "script|exists")
    first = hub.publish_many_sync([("r", "deal", {"units_left": 2}, "deal:x")])
    assert hub.publish_many_sync([("r", "deal", {"units_left": 1}, "deal:x"), ("r", "purchase", {}, None)]) == [
        first[0] + 1, first[0] + 2]
    assert _calls(admin, "script|exists") == asked
    admin.script_flush()
    assert hub.publish_many_sync([("r", "pin", {"product_id": None}, "pin")]) == [first[0] + 3]
