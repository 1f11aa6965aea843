"""The hub of one process: seq per room, replay or snapshot on reconnect, coalesced latest values, slow viewers."""

import asyncio
import threading

from marketcast.core.realtime import Hub, Message, Subscription


def run(coro):
    return asyncio.run(coro)


def test_seq_increases_per_room_from_one():
    hub = Hub()
    assert [hub.publish_sync("a", "pin", {"n": i}) for i in range(3)] == [1, 2, 3]
    assert hub.publish_sync("b", "pin", {}) == 1
    assert hub.publish_sync("a", "pin", {}) == 4


def test_a_viewer_joining_live_gets_every_later_message_in_order():
    async def scenario():
        hub = Hub()
        hub.publish_sync("r", "before", {})
        joined = await hub.join("r")
        assert joined.seq == 1 and joined.replay is None  # no after_seq: a snapshot at seq 1

        def publisher():
            for i in range(50):
                hub.publish_sync("r", "tick", {"i": i})

        thread = threading.Thread(target=publisher)
        thread.start()
        thread.join()
        got: list[Message] = []
        while len(got) < 50:
            got += [m for m in await asyncio.wait_for(joined.subscription.next_batch(), 5) if m.type == "tick"]
        assert [m.seq for m in got] == sorted(m.seq for m in got) and got[0].seq == 2
        assert [m.data["i"] for m in got] == list(range(50))
        await hub.close()

    run(scenario())


def test_reconnecting_with_after_seq_replays_what_was_missed_or_asks_for_a_snapshot():
    async def scenario():
        hub = Hub(history=5)
        for i in range(8):
            hub.publish_sync("r", "tick", {"i": i})
        missed = await hub.join("r", after_seq=5)
        assert [m.seq for m in missed.replay] == [6, 7, 8] and missed.seq == 8
        assert (await hub.join("r", after_seq=8)).replay == []  # nothing missed
        assert (await hub.join("r", after_seq=3)).replay == [m for m in hub.rooms["r"].buffer]  # 4..8 still kept
        assert (await hub.join("r", after_seq=2)).replay is None  # 3 is gone: a fresh snapshot
        assert (await hub.join("r", after_seq=99)).replay is None  # a seq this room never had (a restart)
        await hub.close()

    run(scenario())


def test_latest_values_are_coalesced_to_the_newest_and_order_is_kept():
    async def scenario():
        sub = Subscription("r", limit=10, after=0)
        sub.offer(Message(1, "deal", {"units_left": 10}, latest="deal:1:units"))
        sub.offer(Message(2, "purchase", {"qty": 1}))
        sub.offer(Message(3, "deal", {"units_left": 9}, latest="deal:1:units"))
        sub.offer(Message(4, "viewers", {"count": 5}, latest="viewers"))
        sub.offer(Message(5, "deal", {"units_left": 8}, latest="deal:1:units"))
        sub.offer(Message(6, "viewers", {"count": 6}, latest="viewers"))
        batch = await sub.next_batch()
        assert [(m.seq, m.type) for m in batch] == [(2, "purchase"), (5, "deal"), (6, "viewers")]
        assert batch[1].data == {"units_left": 8} and sub.coalesced == 3
        sub.offer(Message(7, "deal", {"units_left": 7}, latest="deal:1:units"))  # the key is free again
        assert [m.seq for m in await sub.next_batch()] == [7]

    run(scenario())


def test_a_message_already_replayed_is_not_delivered_again():
    sub = Subscription("r", limit=10, after=5)
    sub.offer(Message(4, "x", {}))
    sub.offer(Message(5, "x", {}))
    sub.offer(Message(6, "x", {}))
    assert [m.seq for m in run(sub.next_batch())] == [6]


def test_a_viewer_too_far_behind_is_marked_and_gets_nothing_more():
    sub = Subscription("r", limit=3, after=0)
    for seq in range(1, 4):
        sub.offer(Message(seq, "purchase", {}))
    assert not sub.behind.is_set()
    sub.offer(Message(4, "purchase", {}))
    assert sub.behind.is_set() and sub.waiting() == 0
    sub.offer(Message(5, "purchase", {}))
    assert run(sub.next_batch()) == []


def test_latest_values_alone_never_make_a_viewer_fall_behind():
    sub = Subscription("r", limit=3, after=0)
    for seq in range(1, 1000):
        sub.offer(Message(seq, "deal", {"units_left": 1000 - seq}, latest="deal:1:units"))
    assert not sub.behind.is_set() and sub.waiting() == 1


async def eventually(condition, within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def test_the_viewer_count_follows_the_counted_connections():
    async def scenario():
        hub = Hub(presence_interval=0.01)
        host = await hub.join("r", counted=False)
        viewers = [await hub.join("r") for _ in range(3)]
        await eventually(lambda: hub.viewers("r") == 3)
        counts = [m.data["count"] for m in await host.subscription.next_batch() if m.type == "viewers"]
        assert counts[-1] == 3
        hub.leave(viewers[0].subscription)
        await eventually(lambda: hub.viewers("r") == 2)
        await hub.close()

    run(scenario())
