"""Text search (`q`) gives the rows of a substring match, ignoring case, on both databases: PostgreSQL answers
from its trigram index, SQLite scans; both must equal the plain Python definition below."""

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, text

from marketcast.catalog import service
from marketcast.catalog.models import Product
from marketcast.core import clock
from marketcast.core.db import get_engine
from marketcast.core.ids import new_id

WORDS = ["linen", "Linen", "shirt", "Crème", "brûlée", "Straße", "ĞÜŞ", "naïve", "100%", "straw_woven", "a\\b",
         "mug", "lamp", "ne", "zephyrine", "moonstar", "starmoon", "日本茶", "x"]
QUERIES = ["linen", "LINEN", "shirt linen", "ne", "e", "crème", "BRÛLÉE", "straße", "ğüş", "100%", "%", "_",
           "r_w", "straw_w", "a\\b", "\\", "zephyrine", "zephyr", "tarmo", "日本", " mug ", "xyzzy", "'", "nai"]


def _products(db) -> list[dict]:
    rng = random.Random(11)
    now = clock.now()
    rows = []
    for n in range(120):
        title = " ".join(rng.sample(WORDS, 2)).title() if n % 3 else " ".join(rng.sample(WORDS, 2))
        description = " ".join(rng.sample(WORDS, 3)) if n % 5 else ""
        rows.append({"id": new_id("prd"), "shop_id": f"shp_{n % 7}", "market": "US" if n % 4 else "ES",
                     "currency": "USD", "title": title, "description": description,
                     "status": "live" if n % 6 else "draft", "min_price": 100 + n,
                     "search_text": service._search_text(title, description),
                     "created_at": now, "updated_at": now, "published_at": now})
    with db() as s:
        s.execute(insert(Product), rows)
    return rows


def _expected(rows: list[dict], q: str, market: str | None) -> list[str]:
    needle = q.strip().lower()
    return sorted(r["id"] for r in rows if r["status"] == "live" and (market is None or r["market"] == market)
                  and needle in r["search_text"])


def _found(db, q: str, market: str | None) -> list[str]:
    with db(write=False) as s:
        found, token = [], None
        while True:
            page, token = service.list_products(s, market=market, q=q, page_size=40, page_token=token)
            found += [p.id for p in page]
            if token is None:
                return found


def test_search_is_a_substring_match_on_both_databases(db):
    rows = _products(db)
    for q in QUERIES:
        for market in (None, "US"):
            assert _found(db, q, market) == _expected(rows, q, market), (q, market)


def test_search_of_any_piece_of_the_texts(db):
    rows = _products(db)
    texts = [r["title"] + " " + r["description"] for r in rows]

    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.data())
    def check(data):
        source = data.draw(st.sampled_from(texts))
        start = data.draw(st.integers(0, max(0, len(source) - 1)))
        q = data.draw(st.one_of(st.just(source[start:start + data.draw(st.integers(1, 12))]),
                                st.text(min_size=1, max_size=4)))
        if "\x00" in q or not q.strip():
            return
        assert _found(db, q, "US") == _expected(rows, q, "US"), q

    check()


def test_postgresql_answers_from_the_trigram_index_with_the_same_rows(db):
    if get_engine().dialect.name != "postgresql":
        return  # SQLite keeps the LIKE scan within the listing index
    rows = _products(db)
    with db(write=False) as s:
        # Tiny tables are scanned whatever the indexes: forbid the other plans so the trigram index answers.
        s.execute(text("SET LOCAL enable_seqscan = off"))
        s.execute(text("SET LOCAL enable_indexscan = off"))
        plan = "\n".join(s.execute(text(
            "EXPLAIN SELECT id FROM products WHERE search_text LIKE '%zephyrine%'")).scalars())
        assert "ix_products_search_text_trgm" in plan
        for q in QUERIES:
            found = [p.id for p in service.list_products(s, q=q, page_size=200)[0]]
            assert found == _expected(rows, q, None), q
    assert _expected(rows, "zephyrine", None) != []
