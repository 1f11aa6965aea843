"""What a seller policy would do before it changes, registered with the policies area's simulator registry
(docs/adr/0012): each open or rule-rejected application judged as it stands now, and again as of the change
with the new value, by the same `_judge_market` the real re-evaluation uses. Reads only."""

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from marketcast.policies import service as policies
from marketcast.sellers import judging, rules
from marketcast.sellers.reevaluation import SIMULATED_KEYS, _judge_market


def _figures(row: Any, decision: rules.Decision) -> dict[str, Any]:
    actual = {r["rule"]: r["compared"]["actual"] for r in decision.rules}
    gmv = actual.get("cross_border_external_gmv")
    figures = {"shop_type": row.shop_type, "representative_age": actual.get("representative_age")}
    if isinstance(gmv, dict):
        figures["external_gmv"] = f"{gmv['amount']} {gmv['currency']}"
    return figures


def simulate(session: Session, request: policies.SimulationRequest, stats: Counter
             ) -> Iterator[policies.SimulatedMove]:
    now = judging.context(session, market=request.market, at=request.at)
    later = judging.context(session, market=request.market, at=request.effective_from)
    hypothetical = rules.PolicyValue(key=request.key, value=request.value, version_id=None,
                                     effective_from=request.effective_from)
    changed: dict[str, Any] = {SIMULATED_KEYS[request.key]: hypothetical}  # the context's field for the key
    then = replace(later, **changed)
    current = {row.id: decision.outcome for row, decision in _judge_market(session, now)}
    stats["evaluated"] += len(current)
    for row, decision in _judge_market(session, then):
        if decision.outcome != current[row.id]:
            yield policies.SimulatedMove("application", row.id, row.shop_name, current[row.id], decision.outcome,
                                         _figures(row, decision))


policies.register_simulator(tuple(SIMULATED_KEYS), "application", simulate)
