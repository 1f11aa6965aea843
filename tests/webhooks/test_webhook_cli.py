"""`marketcast webhooks …`."""

import json
import re

from typer.testing import CliRunner

from marketcast.cli import app
from marketcast.webhooks import jobs
from tests.support.webhooks import delivery_of, emit, subscription

runner = CliRunner()


def test_create_list_deliveries_redeliver_events(receiver):
    r = runner.invoke(app, ["webhooks", "create", receiver.url, "--events", "market.*,policy.*"])
    assert r.exit_code == 0, r.output
    sub_id = re.search(r"created (whk_\w+)", r.output).group(1)
    secret = re.search(r"secret (whsec_\S+)", r.output).group(1)
    assert subscription(sub_id).secret == secret
    assert subscription(sub_id).event_types == ["market.*", "policy.*"]

    r = runner.invoke(app, ["webhooks", "list", "--json"])
    assert r.exit_code == 0 and [s["id"] for s in json.loads(r.output)] == [sub_id]
    assert "secret" not in r.output

    event_id = emit("market.status_changed")
    emit("application.approved")
    jobs.fan_out()
    jobs.deliver_due()
    r = runner.invoke(app, ["webhooks", "deliveries", sub_id, "--json"])
    assert r.exit_code == 0
    [delivery] = json.loads(r.output)
    assert delivery["event_id"] == event_id and delivery["status"] == "delivered"

    r = runner.invoke(app, ["webhooks", "redeliver", delivery["id"]])
    assert r.exit_code == 0, r.output
    assert delivery_of(sub_id).status == "pending"
    r = runner.invoke(app, ["webhooks", "redeliver", delivery["id"]])
    assert r.exit_code == 1 and "delivery_in_progress" in r.output
    jobs.deliver_due()
    assert receiver.ids() == [event_id, event_id]

    r = runner.invoke(app, ["webhooks", "events", "--type", "market.*", "--json"])
    assert r.exit_code == 0 and [e["id"] for e in json.loads(r.output)] == [event_id]
    r = runner.invoke(app, ["webhooks", "events"])
    assert r.exit_code == 0 and "application.approved" in r.output and "market.status_changed" in r.output


def test_event_types_lists_the_registry():
    r = runner.invoke(app, ["webhooks", "event-types"])
    assert r.exit_code == 0 and "order.paid  A payment was approved" in r.output
    r = runner.invoke(app, ["webhooks", "event-types", "--json"])
    types = {t["name"]: t for t in json.loads(r.output)}
    assert "payment_id" in types["order.paid"]["payload_schema"]["properties"]


def test_bad_input_is_a_clean_error():
    r = runner.invoke(app, ["webhooks", "create", "ftp://example.com", "--events", "*"])
    assert r.exit_code == 1 and "invalid_url" in r.output
    r = runner.invoke(app, ["webhooks", "create", "https://example.com", "--events", "Not A Type"])
    assert r.exit_code == 1 and "invalid_event_type" in r.output
    r = runner.invoke(app, ["webhooks", "create", "https://example.com", "--events", "order.paid,no.such.type"])
    assert r.exit_code == 1 and "unknown_event_type" in r.output and "event_types.1" in r.output
    r = runner.invoke(app, ["webhooks", "deliveries", "whk_nope"])
    assert r.exit_code == 1 and "webhook_not_found" in r.output


def test_events_as_a_market_limited_operator(make_user):
    us = emit("market.status_changed", market="US")
    emit("market.status_changed", market="ES")
    emit("policy.effective")
    make_user("operator", markets=["US"], email="us-ops@example.com")
    r = runner.invoke(app, ["webhooks", "events", "--as", "us-ops@example.com", "--json"])
    assert r.exit_code == 0, r.output
    assert [e["id"] for e in json.loads(r.output)] == [us]
    r = runner.invoke(app, ["webhooks", "events", "--as", "us-ops@example.com", "--market", "ES"])
    assert r.exit_code == 1 and "market_out_of_scope" in r.output
    r = runner.invoke(app, ["webhooks", "events", "--market", "ES", "--json"])
    assert r.exit_code == 0 and len(json.loads(r.output)) == 1
    r = runner.invoke(app, ["webhooks", "events", "--market", "E\x00S"])
    assert r.exit_code == 1 and "field: market" in r.output
    make_user("seller", email="seller@example.com")
    r = runner.invoke(app, ["webhooks", "events", "--as", "seller@example.com"])
    assert r.exit_code == 1 and "wrong_role" in r.output
