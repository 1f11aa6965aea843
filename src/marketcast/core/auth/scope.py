"""Which rows an operator may see: one filter for every area's lists (an operator may be limited to markets)."""

from typing import Any, TypeVar

from sqlalchemy import Select

from marketcast.core.auth.actor import Actor
from marketcast.core.fields import market_code

S = TypeVar("S", bound=Select[Any])


def in_markets(stmt: S, column: Any, actor: Actor, market: str | None = None) -> S:
    """`stmt` narrowed to `market` (403 market_out_of_scope if the actor may not act there), or else to the markets
    the actor may see; unchanged for an operator of every market. `column` holds the rows' market code."""
    if market:
        code = market_code(market)
        actor.require_market(code)
        return stmt.where(column == code)
    if actor.markets is not None:
        return stmt.where(column.in_(actor.markets))
    return stmt
