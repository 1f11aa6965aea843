"""Seeding many creators fast for the creators benchmarks: users and creator rows made by the database itself
(generate_series on PostgreSQL, a recursive CTE on SQLite), followers log-normal (median 2,500, sigma 1.3), all
judged under the 5,000-follower rule with no pilot, as the US stood before 2024-07-01."""

from datetime import UTC, datetime

from sqlalchemy import text

from marketcast.core import clock
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import unit_of_work
from marketcast.markets import service as markets
from marketcast.policies import service as policies

T0, T1, T2 = (datetime(2023, 9, 1, tzinfo=UTC), datetime(2023, 9, 12, tzinfo=UTC), datetime(2024, 7, 1, tzinfo=UTC))
JOINED = "2024-06-01 08:00:00"


def policies_of_2024(engine) -> None:
    clock.set_now(T0)
    with unit_of_work(engine) as session:
        markets.create(session, code="US", name="United States", currency="USD", timezone="America/New_York",
                       status="live", actor=SYSTEM)
        policies.schedule(session, key="creator.affiliate.min_followers", market="US", value=5000,
                          effective_from=T1, reason="launch", actor=SYSTEM)
        for key, value in (("creator.affiliate.min_followers", 1000), ("creator.affiliate.pilot_below_followers",
                                                                       5000)):
            policies.schedule(session, key=key, market="US", value=value, effective_from=T2, reason="July",
                              actor=SYSTEM)


def creators(engine, n: int, *, with_followers: bool = True) -> None:
    """n creators; with_followers=False leaves them at 0 followers, ineligible, as before a first import."""
    pg = engine.dialect.name == "postgresql"
    numbers = ("SELECT g AS i FROM generate_series(1, :n) AS g" if pg else
               "SELECT i FROM (WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < :n) "
               "SELECT i FROM s)")
    pad = "lpad(i::text, 12, '0')" if pg else "substr('000000000000' || i, -12, 12)"
    # Box-Muller from two uniforms: exp(ln 2500 + 1.3 z).
    uniform = "random()" if pg else "((random() & 9007199254740991) / 9007199254740992.0 + 1e-12)"
    followers = (f"CAST(exp(7.824 + 1.3 * sqrt(-2 * ln({uniform})) * cos(6.2831853 * {uniform})) AS BIGINT)"
                 if with_followers else "0")
    born = "DATE '1975-01-01' + (i % 10000)" if pg else "date('1975-01-01', '+' || (i % 10000) || ' days')"
    ts = f"CAST('{JOINED}' AS TIMESTAMP WITH TIME ZONE)" if pg else f"'{JOINED}'"
    with engine.begin() as conn:
        conn.execute(text(f"INSERT INTO users (id, email, role, created_at) SELECT 'usr_b' || {pad}, "
                          f"'bench-' || i || '@creators.example', 'creator', '{JOINED}' FROM ({numbers}) AS q"),
                     {"n": n})
        conn.execute(text(
            "INSERT INTO creators (id, user_id, market, handle, date_of_birth, followers, followers_as_of, "
            "affiliate_status, failed_rules, status_changed_at, created_at) "
            f"SELECT 'crt_b' || {pad}, 'usr_b' || {pad}, 'US', 'bench.' || i, {born}, f, "
            f"CASE WHEN f > 0 THEN {ts} END, "
            "CASE WHEN f >= 5000 THEN 'active' ELSE 'ineligible' END, "
            "CASE WHEN f >= 5000 THEN '' ELSE 'min_followers' END, "
            f"'{JOINED}', '{JOINED}' FROM (SELECT i, {followers} AS f FROM ({numbers}) AS q) AS c"), {"n": n})
        conn.execute(text("ANALYZE"))
