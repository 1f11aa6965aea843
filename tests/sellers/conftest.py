"""Fixtures for sellers: live US (USD), planned ES (EUR), sellers with profiles, and application bodies."""

import copy
import uuid

import pytest
from sqlalchemy import func, select

from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import Base, unit_of_work
from marketcast.core.outbox import OutboxEvent
from marketcast.markets import service as markets

APPS = "/api/v1/applications"
GMV_KEY = "seller.cross_border.min_external_gmv"


def usd(dollars: int) -> dict:
    return {"amount": dollars * 100, "currency": "USD"}


@pytest.fixture
def us_es():
    with unit_of_work() as session:
        markets.create(session, code="US", name="United States", currency="USD", timezone="America/New_York",
                       status="live", actor=SYSTEM)
        markets.create(session, code="ES", name="Spain", currency="EUR", timezone="Europe/Madrid",
                       launch_window="2025-Q1", actor=SYSTEM)


def seller_body(n: str | None = None) -> dict:
    n = n or uuid.uuid4().hex[:8]
    return {"legal_name": f"Acme {n} Ltd", "entity_type": "company", "country": "CN", "tax_id": f"TAX-{n}",
            "beneficial_owners": [{"name": "Li Wei", "date_of_birth": "1980-02-03", "ownership_bp": 6000}],
            "contact": {"email": f"Seller-{n}@Example.com", "phone": f"+86 10 {int(n, 16) % 10**8:08d}"}}


def application_body(**changes) -> dict:
    n = uuid.uuid4().hex[:8]
    body = {"market": "US", "shop_type": "cross_border", "mode": "pop",
            "representative": {"name": "Li Wei", "date_of_birth": "1980-02-03"},
            "contact": {"email": f"Shop-{n}@Example.com", "phone": f"+1 (555) {int(n, 16) % 10**7:07d}"},
            "business_address": {"country": "CN", "line1": "1 Road", "city": "Shenzhen", "postal_code": "518000"},
            "external_records": [{"platform": "amazon", "annual_gmv": usd(2_500_000), "rating": 4.6,
                                  "months_trading": 36}]}
    body.update(copy.deepcopy(changes))
    return body


@pytest.fixture
def seller(client, make_user, us_es):
    """seller() -> (headers, seller json): a user with role seller and a seller profile."""

    def _make():
        _, headers = make_user("seller")
        r = client.post("/api/v1/sellers", json=seller_body(), headers=headers)
        assert r.status_code == 201, r.text
        return headers, r.json()

    return _make


@pytest.fixture
def apply(client):
    """apply(headers, **changes) -> the created application json."""

    def _apply(headers, **changes):
        r = client.post(APPS, json=application_body(**changes), headers=headers)
        assert r.status_code == 201, r.text
        return r.json()

    return _apply


def row_counts() -> dict[str, int]:
    with unit_of_work(write=False) as session:
        return {t.name: session.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


def events(type_prefix: str = "") -> list[OutboxEvent]:
    with unit_of_work(write=False) as session:
        return list(session.scalars(select(OutboxEvent).where(OutboxEvent.type.like(f"{type_prefix}%"))
                                    .order_by(OutboxEvent.id)))


def problem(r, status: int, code: str, field: str | None = None) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == code, body
    if field:
        assert body["field"] == field, body
    return body
