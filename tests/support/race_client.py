"""What one racing buyer does in its own process (spawned by test_orders_race.py): wait for the others, then
post one checkout to the live server. Imports only httpx, so processes start fast."""

import httpx


def buy(base: str, token: str, sku_id: str, key: str, barrier, results) -> None:
    body = {"lines": [{"sku_id": sku_id, "quantity": 1}]}
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    barrier.wait(timeout=60)
    try:
        r = httpx.post(f"{base}/api/v1/orders", json=body, headers=headers, timeout=90)
        code = r.json().get("code") if r.status_code >= 400 else None
        results.put((r.status_code, code, r.json().get("id") if r.status_code == 201 else None))
    except Exception as exc:  # reported to the test, which fails on anything but 201/409
        results.put((0, repr(exc), None))
