"""Bodies are limited before anyone reads them: an anonymous 100 MB POST is refused from its Content-Length,
a chunked one as soon as it passes the limit, and an anonymous upload is refused before its multipart is read.

(Found in an attack: five anonymous 100 MB POSTs took the server from 118 MB to 705 MB, and an anonymous upload
was spooled to disk before its 401.) Each request here sends its head and at most a few bytes of the body it
announces, on a real socket to a real server: a server that waits for the body never answers in time."""

import json
import socket
import time

import pytest

from tests.support.serve import raw_request, serve_in_thread

HUNDRED_MB = 100 * 1024 * 1024


@pytest.fixture
def address(app):
    with serve_in_thread(app) as address:
        yield address


def _status(answer: bytes) -> int:
    assert answer, "no answer: the server is waiting for the body"
    return int(answer.split(b" ", 2)[1])


def _problem(answer: bytes) -> dict:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"application/problem+json" in head.lower(), head
    return json.loads(body) if body else {}


def test_an_anonymous_100_mb_json_body_is_refused_from_its_length(address):
    answer = raw_request(address, f"""POST /api/v1/auth/tokens HTTP/1.1
Host: 127.0.0.1
Content-Type: application/json
Content-Length: {HUNDRED_MB}
""", body=b'{"email": "')
    assert _status(answer) == 413
    assert b"connection: close" in answer.lower()


def test_a_chunked_body_is_cut_off_soon_after_the_limit(address):
    chunk = b"x" * 65536
    sent = 0
    with socket.create_connection(address, timeout=10) as conn:
        conn.sendall(b"POST /api/v1/auth/signup HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        conn.setblocking(False)
        answer = b""
        deadline = time.monotonic() + 60
        while sent < HUNDRED_MB and time.monotonic() < deadline and b"\r\n\r\n" not in answer:
            try:
                answer += conn.recv(65536)
                continue
            except BlockingIOError:
                pass
            try:
                sent += conn.send(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                time.sleep(0.01)
    assert _status(answer) == 413
    assert sent < 8 * 1024 * 1024, f"{sent} bytes were taken in before the refusal"


def test_an_anonymous_upload_is_refused_before_its_multipart_is_read(address):
    answer = raw_request(address, """POST /api/v1/applications/app_0123456789/documents HTTP/1.1
Host: 127.0.0.1
Content-Type: multipart/form-data; boundary=xyz
Content-Length: 5000000
""", body=b"--xyz\r\n")
    assert _status(answer) == 401
    assert _problem(answer)["code"] == "unauthenticated"


def test_an_upload_larger_than_the_route_takes_is_refused_from_its_length(address, make_user):
    _, headers = make_user("seller")
    answer = raw_request(address, f"""POST /api/v1/applications/app_0123456789/documents HTTP/1.1
Host: 127.0.0.1
Authorization: {headers['Authorization']}
Content-Type: multipart/form-data; boundary=xyz
Content-Length: {HUNDRED_MB}
""", body=b"--xyz\r\n")
    assert _status(answer) == 413


def test_small_bodies_still_pass(client):
    r = client.post("/api/v1/auth/signup", json={"email": "small@example.com", "password": "a-long-password",
                                                 "role": "buyer"})
    assert r.status_code == 201
