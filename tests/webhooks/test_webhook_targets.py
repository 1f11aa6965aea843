"""Webhooks never reach the server's own network unless MARKETCAST_WEBHOOK_ALLOW_PRIVATE_URLS says so (SSRF).

The suite turns the setting on (its receivers listen on 127.0.0.1); these tests turn it off."""

import ipaddress
import socket

import pytest
from sqlalchemy import func, select

from marketcast.core.db import unit_of_work
from marketcast.webhooks import jobs, targets
from marketcast.webhooks.models import WebhookSubscription
from tests.support.webhooks import attempts_of, delivery_of, emit, subscribe

REFUSED = [
    "http://127.0.0.1:8080/hook", "http://127.9.9.9/", "http://localhost/hook", "http://LOCALHOST./hook",
    "http://api.localhost/hook", "http://[::1]/hook", "http://10.0.0.7/", "http://172.16.3.4/", "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/", "http://[fd12:3456::1]/", "http://0.0.0.0/",
    "http://[::]/", "http://224.0.0.1/", "http://[ff02::1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:10.0.0.1]/",
    "http://2130706433/", "http://0x7f.1/", "http://127.1/",
]
ALLOWED = ["https://hooks.example.com/x", "http://93.184.216.34/x", "https://[2606:4700::1111]/x",
           "https://localhost.example.com/x", "https://0x7f.example/x", "https://deadbeef.example.com/x"]


def _count() -> int:
    with unit_of_work(write=False) as session:
        return session.scalar(select(func.count()).select_from(WebhookSubscription))


@pytest.fixture
def guarded(settings_env):
    settings_env(MARKETCAST_WEBHOOK_ALLOW_PRIVATE_URLS="false")


@pytest.mark.parametrize("url", REFUSED)
def test_private_targets_are_422_invalid_url(client, operator, guarded, url):
    r = client.post("/api/v1/webhooks", json={"url": url, "event_types": ["*"]}, headers=operator)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "invalid_url" and r.json()["field"] == "url"
    assert _count() == 0


@pytest.mark.parametrize("url", ALLOWED)
def test_public_targets_are_accepted_without_dns(client, operator, guarded, monkeypatch, url):
    def no_dns(*args, **kwargs):
        raise AssertionError("subscribing must not resolve names")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    r = client.post("/api/v1/webhooks", json={"url": url, "event_types": ["*"]}, headers=operator)
    assert r.status_code == 201, r.text


def test_the_setting_allows_private_targets(client, operator, settings_env):
    settings_env(MARKETCAST_WEBHOOK_ALLOW_PRIVATE_URLS="true")
    for url in ("http://127.0.0.1:8080/hook", "http://localhost/hook", "http://169.254.169.254/"):
        r = client.post("/api/v1/webhooks", json={"url": url, "event_types": ["*"]}, headers=operator)
        assert r.status_code == 201, r.text


def test_the_guard_is_on_by_default(settings_env, monkeypatch):
    monkeypatch.delenv("MARKETCAST_WEBHOOK_ALLOW_PRIVATE_URLS", raising=False)
    settings_env()  # re-read the environment without the suite's default
    assert targets.private_allowed() is False


def test_delivery_to_a_private_address_is_a_failed_attempt(receiver, settings_env):
    # Subscribed while allowed (or before the guard existed); the worker checks again before each send.
    sub_id, _ = subscribe(receiver.url, ["*"])
    settings_env(MARKETCAST_WEBHOOK_ALLOW_PRIVATE_URLS="false")
    emit("market.status_changed")
    jobs.fan_out()
    assert jobs.deliver_due() == 1
    delivery = delivery_of(sub_id)
    assert delivery.status == "pending" and delivery.attempts == 1 and delivery.last_status_code is None
    assert "refused to send" in delivery.last_error and "127.0.0.1" in delivery.last_error
    assert "loopback" in delivery.last_error
    [attempt] = attempts_of(delivery.id)
    assert attempt.status_code is None and "refused" in attempt.error
    assert receiver.requests == []  # nothing left the building


def test_a_name_that_resolves_to_a_private_address_is_refused_at_delivery(receiver, settings_env, monkeypatch):
    host = "hooks.example.com"
    port = receiver.server.server_address[1]
    settings_env(MARKETCAST_WEBHOOK_ALLOW_PRIVATE_URLS="false")
    sub_id, _ = subscribe(f"http://{host}:{port}/hook", ["*"])  # a public-looking name passes at subscription
    answers = {host: ["93.184.216.34", "10.1.2.3"]}  # one private address among the answers is enough to refuse
    real = socket.getaddrinfo

    def fake(name, port, *args, **kwargs):
        if name in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in answers[name]]
        return real(name, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    emit("market.status_changed")
    jobs.fan_out()
    assert jobs.deliver_due() == 1
    delivery = delivery_of(sub_id)
    assert delivery.attempts == 1 and "resolves to 10.1.2.3, a private address" in delivery.last_error
    assert receiver.requests == []


def test_a_name_that_does_not_resolve_is_a_failed_attempt(settings_env, monkeypatch):
    settings_env(MARKETCAST_WEBHOOK_ALLOW_PRIVATE_URLS="false")
    sub_id, _ = subscribe("https://nowhere.invalid/hook", ["*"])

    def fail(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    emit("market.status_changed")
    jobs.fan_out()
    assert jobs.deliver_due() == 1
    delivery = delivery_of(sub_id)
    assert delivery.status == "pending" and "cannot resolve nowhere.invalid" in delivery.last_error


@pytest.mark.parametrize("address,kind", [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.0.0.1", "private"), ("172.31.255.255", "private"),
    ("192.168.0.1", "private"), ("fc00::1", "private"), ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"), ("239.1.2.3", "multicast"), ("ff05::1", "multicast"),
    ("::ffff:192.168.0.1", "private"), ("8.8.8.8", None), ("2001:4860:4860::8888", None), ("172.32.0.1", None),
])
def test_refused_address(address, kind):
    assert targets.refused_address(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize("address,kind", [
    ("100.100.100.200", "non-global"),   # shared address space 100.64.0.0/10 (a cloud metadata address)
    ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 of 169.254.169.254
    ("2002:a9fe:a9fe::", "link-local"),  # 6to4 of 169.254.169.254
    ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
    ("fec0::1", "site-local"),
    ("192.0.2.1", "private"),  # documentation range
    ("64:ff9b::808:808", None),  # NAT64 of 8.8.8.8 is fine
])
def test_only_global_addresses_are_accepted_after_decoding_the_ipv4_inside(address, kind):
    assert targets.refused_address(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize("url", ["http://100.100.100.200/", "http://[64:ff9b::a9fe:a9fe]/",
                                 "http://[2002:a9fe:a9fe::]/", "http://[fec0::1]/"])
def test_non_global_targets_are_refused_at_subscription(client, operator, guarded, url):
    r = client.post("/api/v1/webhooks", headers=operator, json={"url": url, "event_types": ["*"]})
    assert r.status_code == 422 and r.json()["code"] == "invalid_url", r.text


def test_the_delivery_connects_to_the_address_that_was_checked(receiver, guarded, monkeypatch):
    """DNS rebinding: the name answers one address to the check and another to whoever asks next. The delivery
    must reach the first (here the receiver, which the guard is told to take for a public address; the second,
    127.0.0.2, has nobody listening)."""
    host, port = "rebind.example.com", receiver.server.server_address[1]
    sub_id, _ = subscribe(f"http://{host}:{port}/hook", ["*"])
    monkeypatch.setattr(targets, "refused_address", lambda ip: None if str(ip) == "127.0.0.1" else "private")
    answers = iter(["127.0.0.1"] + ["127.0.0.2"] * 20)
    real = socket.getaddrinfo

    def fake(name, port, *args, **kwargs):
        if name == host:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]
        return real(name, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    emit("market.status_changed")
    jobs.fan_out()
    assert jobs.deliver_due() == 1
    assert delivery_of(sub_id).status == "delivered", delivery_of(sub_id).last_error
    assert receiver.requests[0][0]["host"] == f"{host}:{port}"  # the receiver still sees its own name
