"""signing.py against the Standard Webhooks reference library."""

import base64
from datetime import UTC, datetime

from standardwebhooks import Webhook

from marketcast.webhooks import signing


def test_secrets_are_whsec_base64_of_24_random_bytes():
    a, b = signing.new_secret(), signing.new_secret()
    assert a.startswith("whsec_") and a != b
    assert len(base64.b64decode(a[len("whsec_"):])) == 24


def test_signature_matches_the_reference_library():
    secret = signing.new_secret()
    body = signing.body_of({"id": "evt_1", "type": "market.status_changed", "occurred_at": "2025-01-06T12:00:00+00:00",
                            "data": {"name": "Café"}})
    timestamp = 1736164800
    ours = signing.sign(secret, msg_id="evt_1", timestamp=timestamp, body=body)
    theirs = Webhook(secret).sign("evt_1", datetime.fromtimestamp(timestamp, UTC), body)
    assert ours == theirs
    headers = signing.headers(secret, msg_id="evt_1", timestamp=timestamp, body=body)
    assert headers["webhook-id"] == "evt_1" and headers["webhook-timestamp"] == str(timestamp)
    assert headers["webhook-signature"] == ours
    # A different id, timestamp or body gives a different signature.
    assert signing.sign(secret, msg_id="evt_2", timestamp=timestamp, body=body) != ours
    assert signing.sign(secret, msg_id="evt_1", timestamp=timestamp + 1, body=body) != ours
    assert signing.sign(secret, msg_id="evt_1", timestamp=timestamp, body=body + " ") != ours
