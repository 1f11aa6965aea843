"""The US sellers of the 2024 story: cross-border POP applicants on both sides of the $2M Amazon GMV rule,
and a few local shops that list products and sell. Everything goes through the services an operator, a
seller and a buyer use, on the clock of the day it happened."""

import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from marketcast.catalog import service as catalog
from marketcast.core import clock
from marketcast.core.auth import service as auth
from marketcast.core.auth.actor import Actor
from marketcast.core.errors import NotFound
from marketcast.orders import payments
from marketcast.orders import service as orders
from marketcast.policies import service as policies
from marketcast.reports import service as reports
from marketcast.sellers import documents
from marketcast.sellers import service as sellers

CARD = "4242424242424242"


@dataclass(frozen=True)
class CrossBorder:
    email: str
    name: str
    amazon_gmv_usd: int


@dataclass(frozen=True)
class LocalShop:
    email: str
    name: str
    phone: str
    city: str
    product: str
    skus: tuple[tuple[str, int, int], ...]  # (code, price in cents, stock)


CROSS_BORDER = (
    CrossBorder("pop@shenzhen-home.example", "Shenzhen Home Goods Co", 3_200_000),
    CrossBorder("pop@yiwu-craft.example", "Yiwu Craft Trading Co", 2_400_000),
    CrossBorder("pop@guangzhou-style.example", "Guangzhou Style Apparel", 1_200_000),
    CrossBorder("pop@ningbo-kitchen.example", "Ningbo Kitchenware Ltd", 650_000),
)
LOCAL = (
    LocalShop("hello@austin-candles.example", "Austin Candle Works", "+15125550101", "Austin", "Soy candle",
              (("CANDLE-S", 1800, 40), ("CANDLE-L", 2800, 25))),
    LocalShop("team@brooklyn-mugs.example", "Brooklyn Mug Studio", "+17185550102", "Brooklyn", "Stoneware mug",
              (("MUG-BLUE", 2400, 30), ("MUG-GREEN", 2400, 30))),
    LocalShop("hello@portland-tea.example", "Portland Tea House", "+15035550103", "Portland", "Loose-leaf tea",
              (("TEA-GREEN", 1400, 120), ("TEA-BLACK", 1200, 120))),
    LocalShop("studio@denver-knits.example", "Denver Knit Co", "+17205550104", "Denver", "Wool beanie",
              (("BEANIE-GREY", 2600, 80), ("BEANIE-RED", 2600, 80))),
)
BUYERS = ("maya@buyer.example", "omar@buyer.example", "zoe@buyer.example")
# (day, buyer index, local shop index, sku index, quantity)
SALES = (
    ("2024-02-03T15:00", 0, 0, 0, 2), ("2024-02-14T18:30", 1, 1, 0, 2), ("2024-03-14T12:00", 2, 0, 1, 1),
    ("2024-04-20T20:15", 0, 1, 1, 3), ("2024-05-02T09:45", 1, 0, 0, 4), ("2024-06-20T19:00", 2, 1, 0, 1),
    ("2024-07-04T16:20", 0, 0, 1, 2),
)
REFUND = ("2024-05-06T10:00", 4, 1)  # (day, sale index, units refunded with restock)


def at(text: str) -> datetime:
    return clock.as_utc(datetime.fromisoformat(text))


def _user(session: Session, email: str, role: str):
    try:
        return auth.get_user_by_email(session, email), False
    except NotFound:
        return auth.create_user(session, email=email, role=role), True


def _seller(session: Session, email: str, name: str, country: str, phone: str) -> Actor:
    actor = auth.actor_of(_user(session, email, "seller")[0])
    sellers.create_seller(session, actor=actor, legal_name=name, entity_type="company", country=country,
                          tax_id=f"{country}-{phone[-8:]}", beneficial_owners=[],
                          contact_email=email, contact_phone=phone)
    return actor


def _licence_pdf(name: str) -> bytes:
    """A one-page PDF standing in for the business licence a real applicant uploads."""
    text = f"BT ({name}: business licence, demo copy) Tj ET".encode()
    content = b"BT /F1 14 Tf 72 720 Td " + text[3:]
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def load_cross_border(session: Session) -> None:
    for i, pop in enumerate(CROSS_BORDER):
        user, _ = _user(session, pop.email, "seller")
        if sellers.seller_of_user(session, user.id):
            continue
        with clock.frozen(at(f"2024-04-{10 + i:02d}T09:00")):
            actor = _seller(session, pop.email, pop.name, "CN", f"+8675555501{i:02d}")
            app = sellers.submit_application(
                session, actor=actor, market="US", shop_type="cross_border", mode="pop", shop_name=pop.name,
                representative={"name": f"{pop.name.split()[0]} representative",
                                "date_of_birth": at("1982-03-01").date()},
                contact={"email": pop.email, "phone": f"+8675555501{i:02d}"},
                business_address={"country": "CN", "line1": f"{i + 1} Industrial Road", "city": pop.name.split()[0],
                                  "postal_code": "518000"},
                external_records=[{"platform": "amazon", "annual_gmv": {"amount": pop.amazon_gmv_usd * 100,
                                                                        "currency": "USD"},
                                   "rating": 4.5, "months_trading": 30}])
            documents.save_document(session, application_id=app.id, actor=actor, doc_type="business_licence",
                                    file_name=f"{pop.name.split()[0].lower()}-business-licence.pdf",
                                    content_type="application/pdf", stream=io.BytesIO(_licence_pdf(pop.name)))


def load_local_shops(session: Session, operator: Actor) -> None:
    shops: list[tuple[str, list[str]]] = []
    for i, local in enumerate(LOCAL):
        user, _ = _user(session, local.email, "seller")
        if sellers.seller_of_user(session, user.id):
            return  # already loaded: the shops, their products and their orders came with them
        with clock.frozen(at(f"2024-01-{8 + i:02d}T10:00")):
            actor = _seller(session, local.email, local.name, "US", local.phone)
            app = sellers.submit_application(
                session, actor=actor, market="US", shop_type="local", mode="pop", shop_name=local.name,
                representative={"name": f"{local.city} owner", "date_of_birth": at("1988-06-15").date()},
                contact={"email": local.email, "phone": local.phone},
                business_address={"country": "US", "line1": "100 Main St", "city": local.city, "postal_code": "10001"},
                external_records=[])
        with clock.frozen(at(f"2024-01-{10 + i:02d}T11:00")):
            app = sellers.approve(session, application_id=app.id, reason="KYB documents checked", actor=operator)
        assert app.shop_id is not None, "an approved application has its shop"
        with clock.frozen(at(f"2024-01-{12 + i:02d}T12:00")):
            product = catalog.create_product(
                session, shop_id=app.shop_id, title=local.product, description=f"Made in {local.city}",
                skus=[catalog.SkuIn(code=code, price={"amount": cents, "currency": "USD"}, stock=stock)
                      for code, cents, stock in local.skus], actor=actor)
            catalog.publish(session, product_id=product.id, actor=actor)
            by_code = {sku.code: sku.id for sku in catalog.product_skus(session, product.id)}
            shops.append((app.shop_id, [by_code[code] for code, _, _ in local.skus]))
    _sell(session, shops, operator)


def pay(session: Session, order_id: str, buyer: Actor) -> None:
    provider = payments.get_provider()
    started = payments.begin(session, order_id=order_id, actor=buyer, provider=provider.name, card_number=CARD)
    payments.finish(session, started=started, result=payments.charge(provider, started=started, card_number=CARD))


def _sell(session: Session, shops: list[tuple[str, list[str]]], operator: Actor) -> None:
    buyers = [auth.actor_of(_user(session, email, "buyer")[0]) for email in BUYERS]
    placed = []
    for when, buyer, shop, sku, quantity in SALES:
        with clock.frozen(at(when)):
            order, _ = orders.checkout(session, buyer=buyers[buyer], lines=[(shops[shop][1][sku], quantity)])
            pay(session, order.id, buyers[buyer])
            placed.append(order)
    when, sale, units = REFUND
    with clock.frozen(at(when)):
        line = orders.lines_of(session, placed[sale].id)[0]
        orders.refund(session, order_id=placed[sale].id, lines=[(line.id, units)], restock=True, actor=operator)


def recent_orders(session: Session, *, email: str, count: int = 2) -> int:
    """Paid orders placed today on the shop of `email`, unless it already has some from the last two days: the
    demo seller then has orders to ship and a recent sale in their chart, whenever the demo is loaded."""
    owner = auth.actor_of(auth.get_user_by_email(session, email))
    shop = sellers.shops_of(session, actor=owner)[0]
    since = clock.now() - timedelta(days=2)
    recent, _ = orders.list_orders(session, actor=owner, shop_id=shop.id, placed_from=since, page_size=1)
    if recent:
        return 0
    skus = [sku for product, product_skus in catalog.shop_products(session, shop_id=shop.id, actor=owner)
            if product.status == "live" for sku in product_skus if sku.available >= 2]
    buyers = [auth.actor_of(_user(session, address, "buyer")[0]) for address in BUYERS]
    for i in range(min(count, len(skus))):
        order, _ = orders.checkout(session, buyer=buyers[i % len(buyers)], lines=[(skus[i].id, 1 + i % 2)])
        pay(session, order.id, buyers[i % len(buyers)])
    return min(count, len(skus))


def applicants(session: Session, *, operator: Actor, as_of: datetime) -> list[dict]:
    """Each US cross-border applicant as of a time: outcome, failed rules, and what changed it and when."""
    rows, _ = sellers.list_applications(session, actor=operator, market="US", shop_type="cross_border", page_size=200)
    out = []
    for app in rows:
        history = [d for d in sellers.decisions(session, application_id=app.id) if d.evaluated_at <= as_of]
        if not history:
            continue
        now = history[-1]
        failed = [r["rule"] for r in now.rules if not r["passed"]]
        entry = {"application_id": app.id, "shop_name": app.shop_name, "outcome": now.outcome,
                 "failed_rules": failed, "judged_at": now.evaluated_at.isoformat(), "change": None}
        before = next((d for d in reversed(history[:-1]) if d.outcome != now.outcome), None)
        if before is not None:
            was = {r["rule"]: r for r in before.rules}
            flipped = [r for r in now.rules if r["rule"] in was and r["passed"] != was[r["rule"]]["passed"]]
            entry["change"] = {"at": now.evaluated_at.isoformat(), "trigger": now.trigger, "rules": [
                {"rule": r["rule"], "passed": r["passed"], "policy_key": r.get("policy_key"),
                 "policy_version_id": r.get("policy_version_id"),
                 "policy_effective_from": r.get("policy_effective_from"), "detail": r["detail"],
                 "policy_value": policies.describe(r["policy_key"], r["compared"]["required"])
                 if r.get("policy_key") else None} for r in flipped]}
        out.append(entry)
    return out


def local_shops(session: Session, *, as_of: datetime) -> list[dict]:
    """The local shops of the story with their net GMV over the 365 days up to `as_of`."""
    out = []
    for local in LOCAL:
        try:
            user = auth.get_user_by_email(session, local.email)
        except NotFound:
            continue
        for shop in sellers.shops_of(session, actor=auth.actor_of(user)):
            if shop.created_at <= as_of:
                out.append({"shop_id": shop.id, "name": shop.name, "status": shop.status,
                            "net_gmv_365d": reports.trailing_gmv(session, shop_id=shop.id, at=as_of)})
    return out
