"""Rooms over real WebSockets: the `websockets` client against uvicorn on 127.0.0.1, through the diagnostic room
(the same dependencies, after-commit publishing and connection handling as the product's rooms)."""

import asyncio
import json
import time

import httpx
import pytest
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

from marketcast.core import realtime
from marketcast.core.db import get_engine
from tests.support.serve import serve_in_thread


def connect(url: str, **options):
    """A loaded machine can take a while to answer a handshake."""
    return ws_connect(url, open_timeout=60, **options)


ROOMS = "/api/v1/realtime/diagnostics/rooms"


@pytest.fixture
def server(settings_env):
    """(ws base, http base) of the app with the diagnostic room, served by uvicorn in a thread."""

    def start(**env: str):
        settings_env(MARKETCAST_REALTIME_DIAGNOSTICS="true", **env)
        realtime.reset_hub()
        from marketcast.app import create_app

        return serve_in_thread(create_app())

    return start


def post(base: str, room: str, type: str, **data) -> None:
    answer = httpx.post(f"{base}{ROOMS}/{room}/messages", json={"type": type, "data": data}, timeout=10)
    assert answer.status_code == 202, answer.text


async def receive(ws, n: int, skip: tuple[str, ...] = ("viewers",)) -> list[dict]:
    """The next n messages, leaving out the viewer counts the room sends as viewers come and go."""
    got: list[dict] = []
    while len(got) < n:
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if message["type"] not in skip:
            got.append(message)
    return got


def test_a_viewer_gets_a_snapshot_then_every_message_in_order_and_resumes_after_a_reconnect(server):
    with server() as (host, port):
        http, ws_base = f"http://{host}:{port}", f"ws://{host}:{port}{ROOMS}/show/ws"

        async def scenario():
            async with connect(ws_base) as ws:
                [snapshot] = await receive(ws, 1)
                assert snapshot["type"] == "snapshot" and snapshot["data"]["role"] is None
                for i in range(3):
                    await asyncio.to_thread(post, http, "show", "pin", i=i)
                got = await receive(ws, 3)
                assert [(m["type"], m["data"]) for m in got] == [("pin", {"i": i}) for i in range(3)]
                seqs = [snapshot["seq"]] + [m["seq"] for m in got]
                assert seqs == sorted(set(seqs))
                last = got[-1]["seq"]
            for i in range(3, 5):  # while the viewer is away
                await asyncio.to_thread(post, http, "show", "pin", i=i)
            async with connect(f"{ws_base}?after_seq={last}") as ws:
                missed = await receive(ws, 2)  # no snapshot first: what was missed, in order
                assert [m["data"]["i"] for m in missed] == [3, 4] and last < missed[0]["seq"] < missed[1]["seq"]
                await asyncio.to_thread(post, http, "show", "pin", i=5)
                assert (await receive(ws, 1))[0]["seq"] > missed[1]["seq"]

        asyncio.run(scenario())


def test_a_viewer_whose_seq_is_no_longer_kept_gets_a_fresh_snapshot(server):
    with server(MARKETCAST_REALTIME_HISTORY="2") as (host, port):
        http = f"http://{host}:{port}"
        for i in range(5):
            post(http, "show", "pin", i=i)

        async def scenario():
            async with connect(f"ws://{host}:{port}{ROOMS}/show/ws?after_seq=1") as ws:
                first = json.loads(await asyncio.wait_for(ws.recv(), 10))
                assert first["type"] == "snapshot" and first["seq"] == 5

        asyncio.run(scenario())


def test_the_unit_of_work_ends_when_the_socket_is_accepted(server, make_user):
    _, headers = make_user("operator")
    with server() as (host, port):

        async def scenario():
            async with connect(f"ws://{host}:{port}{ROOMS}/show/ws", additional_headers=headers) as ws:
                [snapshot] = await receive(ws, 1)
                assert snapshot["data"]["role"] == "operator"  # the token was read through optional_actor
                await asyncio.sleep(0.2)
                assert get_engine().pool.checkedout() == 0  # no connection (so no transaction) while it waits

        asyncio.run(scenario())


def test_a_refused_token_closes_the_socket_with_4401_and_the_error_code(server):
    with server() as (host, port):

        async def scenario():
            async with connect(f"ws://{host}:{port}{ROOMS}/show/ws",
                               additional_headers={"Authorization": "Bearer nope"}) as ws:
                with pytest.raises(ConnectionClosed) as closed:
                    await asyncio.wait_for(ws.recv(), 10)
            assert closed.value.rcvd.code == 4401 and closed.value.rcvd.reason == "invalid_token"

        asyncio.run(scenario())
        deadline = time.monotonic() + 10  # the server's thread may still be putting the connection back
        while get_engine().pool.checkedout() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert get_engine().pool.checkedout() == 0


def test_a_viewer_that_stops_reading_is_closed_as_behind_and_can_reconnect(server):
    with server(MARKETCAST_REALTIME_QUEUE_LIMIT="8") as (host, port):
        url = f"ws://{host}:{port}{ROOMS}/slow/ws"
        hub_room = "diagnostics:slow"

        async def scenario():
            async with connect(url, max_size=None) as ws:
                [snapshot] = await receive(ws, 1)
                blob = "x" * 65536
                # A reader that reads nothing while the room sends ~40 MB: the socket's buffers fill, its queue
                # overflows, the server closes it. The room itself never waits on it.
                for i in range(600):
                    realtime.hub().publish_sync(hub_room, "purchase", {"i": i, "blob": blob})
                    if i == 20:
                        await asyncio.sleep(0.2)  # the first ones reach the socket's buffers
                await asyncio.sleep(0.5)
                got = []
                with pytest.raises(ConnectionClosed) as closed:
                    while True:
                        got += await receive(ws, 1)
            assert closed.value.rcvd.code == realtime.CLOSE_BEHIND, closed.value
            numbers = [m["data"]["i"] for m in got]
            assert numbers == list(range(len(numbers))) and len(numbers) < 600  # in order, none skipped, cut off
            last = got[-1]["seq"] if got else snapshot["seq"]  # on a loaded machine it may be cut off at once
            async with connect(f"{url}?after_seq={last}", max_size=None) as ws:
                [first] = await receive(ws, 1)  # the room still keeps what it missed: replayed
                assert first["type"] == "purchase" and first["data"]["i"] == len(numbers)

        asyncio.run(scenario())
