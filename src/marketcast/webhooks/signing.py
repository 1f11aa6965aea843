"""Standard Webhooks signatures (https://www.standardwebhooks.com), so any receiver can verify our
deliveries with the reference libraries:

    webhook-id:        the event id (the same on every attempt, so receivers can dedupe)
    webhook-timestamp: unix seconds at send time
    webhook-signature: v1,<base64 HMAC-SHA256(secret bytes, "{id}.{timestamp}.{body}")>
"""

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

PREFIX = "whsec_"
SECRET_BYTES = 24


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_bytes(secret: str) -> bytes:
    raw = secret[len(PREFIX):] if secret.startswith(PREFIX) else secret
    return base64.b64decode(raw)


def body_of(envelope: dict[str, Any]) -> str:
    """The exact text that is signed and sent."""
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False)


def sign(secret: str, *, msg_id: str, timestamp: int, body: str) -> str:
    digest = hmac.new(secret_bytes(secret), f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, *, msg_id: str, timestamp: int, body: str) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id=msg_id, timestamp=timestamp, body=body),
    }
