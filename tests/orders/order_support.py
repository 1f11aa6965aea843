"""Helpers shared by the orders tests (and by the processes the race tests spawn): rows written directly."""

from marketcast.catalog.models import Product, Sku
from marketcast.core import clock
from marketcast.core.ids import new_id
from marketcast.sellers.models import Seller, Shop

APPROVE = "4242424242424242"


def write_shop(db, *, user_id: str, email: str, status: str = "active", market: str = "US") -> str:
    now = clock.now()
    with db() as s:
        seller = Seller(id=new_id("sel"), owner_user_id=user_id, legal_name="Acme", entity_type="company",
                        country=market, tax_id="12-3456789", beneficial_owners=[], contact_email=email,
                        contact_phone="+15550000000", created_at=now)
        s.add(seller)
        s.flush()
        shop = Shop(id=new_id("shp"), seller_id=seller.id, owner_user_id=user_id, market=market, shop_type="local",
                    mode="pop", status=status, name="Acme " + market, contact_email=email,
                    contact_phone="+15550000000", probation_started_at=now if status == "probation" else None,
                    paid_orders=0, created_at=now)
        s.add(shop)
        return shop.id


def write_product(db, *, shop_id: str, stock: list[int], prices: list[int] | None = None, status: str = "live",
                  market: str = "US", currency: str = "USD") -> list[str]:
    now = clock.now()
    prices = prices or [1000 + 100 * i for i in range(len(stock))]
    with db() as s:
        product = Product(id=new_id("prd"), shop_id=shop_id, market=market, currency=currency, title="Mug",
                          description="", status=status, min_price=min(prices), search_text="mug",
                          created_at=now, updated_at=now)
        s.add(product)
        s.flush()
        skus = [Sku(id=new_id("sku"), product_id=product.id, shop_id=shop_id, code=f"C{i}", price=price,
                    currency=currency, attributes={}, available=n, reserved=0, sold=0, created_at=now)
                for i, (n, price) in enumerate(zip(stock, prices, strict=True))]
        s.add_all(skus)
        return [sku.id for sku in skus]
