"""Re-judging a market's applications when its policies change, and simulating a policy value first.

One set-based pass, in chunks of a constant number of statements each whatever the number of applications
(docs/adr/0007-set-based-reevaluation.md); other areas call these through sellers.service."""

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Row, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from marketcast.core import bulk, clock, outbox
from marketcast.core.auth.actor import Actor
from marketcast.core.chunks import keyset_chunks
from marketcast.core.errors import Conflict, Invalid
from marketcast.core.ids import new_id
from marketcast.markets import service as markets
from marketcast.policies import service as policies
from marketcast.sellers import judging, rules
from marketcast.sellers.events import ApplicationNoLongerEligible, ApplicationNowEligible
from marketcast.sellers.models import Application, ApplicationDecision, Shop

CHUNK = 2000  # applications per chunk: a few MB in memory, well under a second of row locks


def reevaluate(session: Session, *, market: str, trigger: str, actor: Actor | None = None,
               size: int = CHUNK) -> dict[str, int]:
    """Re-judge every open application of `market`, and every one rejected on the rules' verdict, in one
    transaction (the caller's): `reevaluate_chunks` run to its end."""
    return total(reevaluate_chunks(session, market=market, trigger=trigger, actor=actor, size=size))


def reevaluate_chunks(session: Session, *, market: str, trigger: str, actor: Actor | None = None,
                      size: int = CHUNK) -> Iterator[dict[str, int]]:
    """The set-based pass (docs/adr/0007), a chunk of `size` applications at a time in id order: each chunk is
    read, judged and written in a constant number of statements, then its counts are yielded. The owner of the
    transaction may commit at each yield (core.chunks.commit_each), so no transaction holds more than one
    chunk's row locks, and memory stays that of one chunk.

    Always as of now, the same `now` for every chunk: a verdict written under past or future policies would
    overwrite the current one, so no caller chooses the time (tests and the scenario move the clock instead).
    Each chunk's candidates are locked while they are judged, so an approval or rejection that commits
    meanwhile is not overwritten."""
    if actor is not None:
        actor.require_operator_of(market.upper(), "re-evaluating applications")
    when = clock.now()
    ctx = judging.context(session, market=market, at=when)
    for rows in keyset_chunks(session, _candidates(ctx).with_for_update(of=Application), Application.id,
                              size=size):
        yield _write(session, ctx, _judge(session, ctx, rows), when=when, trigger=trigger, actor=actor)


def total(counts: Iterable[dict[str, int]]) -> dict[str, int]:
    """The counts of a whole pass from those of its chunks."""
    summed = {"evaluated": 0, "now_eligible": 0, "no_longer_eligible": 0}
    for chunk in counts:
        for name in summed:
            summed[name] += chunk[name]
    return summed


def _write(session: Session, ctx: rules.Context, judged: list[tuple[Any, rules.Decision]], *, when: datetime,
           trigger: str, actor: Actor | None) -> dict[str, int]:
    """The changed verdicts of one chunk: one UPDATE, one INSERT of decisions, one INSERT of events (core.bulk: on
    PostgreSQL one UPDATE over arrays and two COPYs)."""
    updates, history, events = [], [], []
    now_eligible = no_longer = 0
    stored_trigger, actor_email = trigger[:200], actor.email if actor else None
    encoded = _Encoded(when)
    for row, decision in judged:
        failed_list = decision.failed
        failed = ",".join(failed_list)
        if decision.outcome == row.outcome and failed == row.failed_rules:
            continue  # idempotent: the same verdict for the same reasons writes nothing
        status, rejected_by = row.status, "rules" if row.status == "rejected" else None
        if decision.outcome == "eligible" and row.status == "rejected" and not row.superseded:
            status, rejected_by = "open", None  # back in the queue: the rules no longer hold it back
        texts = encoded.of(decision)
        updates.append({"id": row.id, "outcome": decision.outcome, "failed_rules": failed, "status": status,
                        "rejected_by": rejected_by, "decision": texts.decision})
        history.append({"id": new_id("dec"), "application_id": row.id, "kind": "reevaluation",
                        "outcome": decision.outcome, "rules": texts.rules,
                        "policy_versions": texts.policy_versions, "next_step": decision.next_step,
                        "trigger": stored_trigger, "reason": None, "overridden_rules": None,
                        "actor_email": actor_email, "evaluated_at": when})
        if decision.outcome != row.outcome:
            kind = ApplicationNowEligible if decision.outcome == "eligible" else ApplicationNoLongerEligible
            now_eligible += decision.outcome == "eligible"
            no_longer += decision.outcome != "eligible"
            events.append((kind(application_id=row.id, seller_id=row.seller_id, market=ctx.market,
                                shop_type=row.shop_type, status=status, from_outcome=row.outcome,
                                to=decision.outcome, failed_rules=failed_list,
                                policy_versions=decision.policy_versions, trigger=trigger), ctx.market))
    if updates:
        try:
            bulk.update_by_id(session, Application, updates, same={"evaluated_at": when, "updated_at": when})
        except IntegrityError:
            # A reopened application met one the seller submitted after the candidates were read (the one open
            # application per seller and market index). Rare; this chunk is undone, and the pass can simply
            # run again (what earlier chunks wrote is then the same verdict: nothing is written twice).
            raise Conflict(f"applications of {ctx.market} changed while they were judged; run it again",
                           code="reevaluation_conflict") from None
        bulk.insert_rows(session, ApplicationDecision.__table__, history)
        outbox.emit_bulk(session, events)
    return {"evaluated": len(judged), "now_eligible": now_eligible, "no_longer_eligible": no_longer}


class _Texts(NamedTuple):
    decision: bulk.JsonText  # applications.decision
    rules: bulk.JsonText
    policy_versions: bulk.JsonText


class _Encoded:
    """The JSON of a chunk's decisions, each encoded once: rules.judge_many gives candidates with the same results
    one Decision, and shares rule results between decisions (known by identity)."""

    def __init__(self, when: datetime) -> None:
        self.when, self.rules = when, bulk.JsonMemo()
        self.texts: dict[int, tuple[rules.Decision, _Texts]] = {}  # holding the decision: its id stays its own

    def of(self, decision: rules.Decision) -> _Texts:
        found = self.texts.get(id(decision))
        if found is None:
            rules_json = self.rules.array(decision.rules)  # once for the application and its decision row
            found = self.texts[id(decision)] = (decision, _Texts(
                decision=bulk.json_object(judging.decision_json(decision, self.when), rules=rules_json),
                rules=rules_json, policy_versions=bulk.JsonText(bulk.dumps(decision.policy_versions))))
        return found[1]


def _where(ctx: rules.Context) -> list:
    return [Application.market == ctx.market,
            (Application.status == "open") | ((Application.status == "rejected")
                                              & (Application.rejected_by == "rules"))]


def _candidates(ctx: rules.Context):
    """The open or rule-rejected applications of the market, with what judging and writing need of them."""
    other = aliased(Application)
    # A rules-rejected application the seller has since replaced (another open one, or a shop) stays rejected.
    superseded = (exists().where(other.seller_id == Application.seller_id, other.market == Application.market,
                                 other.status == "open", other.id != Application.id)
                  | exists().where(Shop.seller_id == Application.seller_id, Shop.market == Application.market))
    return (select(Application.id, Application.seller_id, Application.shop_type, Application.business_country,
                   Application.representative_birth_date, Application.status, Application.outcome,
                   Application.failed_rules, Application.shop_id, Application.shop_name,
                   superseded.label("superseded"))
            .where(*_where(ctx)))


def _judge(session: Session, ctx: rules.Context, rows: Sequence[Row[Any]]) -> list[tuple[Any, rules.Decision]]:
    """These candidates judged under `ctx`, with two more queries (best GMV, contacts) over their id range."""
    where = [*_where(ctx), Application.id >= rows[0].id, Application.id <= rows[-1].id]
    gmv = judging.best_gmv(session, where, ids=(rows[0].id, rows[-1].id))
    clashes = judging.contact_clashes(session, where)
    candidates = (rules.Candidate(id=row.id, shop_type=row.shop_type, business_country=row.business_country,
                                  representative_birth_date=row.representative_birth_date,
                                  best_gmv=gmv.get(row.id, {}), contact_clashes=clashes.get(row.id, []))
                  for row in rows)
    return list(zip(rows, rules.judge_many(ctx, candidates), strict=True))


def _judge_market(session: Session, ctx: rules.Context) -> list[tuple[Any, rules.Decision]]:
    """Every candidate of the market judged under `ctx`, read without locks (simulate writes nothing)."""
    rows = session.execute(_candidates(ctx).order_by(Application.id)).all()
    return _judge(session, ctx, rows) if rows else []


SIMULATED_KEYS = {rules.MIN_AGE_KEY: "min_age", rules.MIN_GMV_KEY: "min_external_gmv"}


def simulate(session: Session, *, market: str, key: str, value: Any, at: datetime | None = None,
             actor: Actor, examples: int = 20) -> dict[str, Any]:
    """The former `POST /applications/simulate`, kept as an alias of the policies' simulation
    (`POST /policies/{key}/simulations`, docs/adr/0012) in its first shape: how many applications would become
    eligible or ineligible, with examples. `at` is when the value would take effect. Nothing is written."""
    actor.require_operator_of(market.upper(), "simulating a policy")
    if key not in SIMULATED_KEYS:
        raise Invalid(f"applications depend on {', '.join(sorted(SIMULATED_KEYS))}; {key} does not change them",
                      code="policy_not_simulated", field="key")
    result = policies.simulate(session, key=key, market=market, value=value, effective_from=at, actor=actor,
                               sample_size=examples)
    counts = result["counts"]
    return {
        "market": result["market"], "key": key, "value": result["value"], "at": result["effective_from"],
        "evaluated": result["evaluated"], "would_become_eligible": counts.get("ineligible->eligible", 0),
        "would_become_ineligible": counts.get("eligible->ineligible", 0),
        "examples": [{"application_id": m["subject_id"], "shop_name": m["label"],
                      "shop_type": m["figures"]["shop_type"], "from": m["from"], "to": m["to"]}
                     for m in result["sample"]],
    }


def reevaluate_after(session: Session, *, changes: list[tuple[str, str | None]]) -> int:
    """After policy versions took effect: re-judge each market a `seller.*` change names (a global change: every
    live market), in the caller's transaction. Returns how many applications were judged."""
    return total(reevaluate_after_chunks(session, changes=changes))["evaluated"]


def reevaluate_after_chunks(session: Session, *, changes: list[tuple[str, str | None]]) -> Iterator[dict[str, int]]:
    """As `reevaluate_after`, yielding after each chunk of each market (see `reevaluate_chunks`)."""
    codes: set[str] = set()
    for key, market in changes:
        if not key.startswith("seller."):
            continue
        if market is not None:
            codes.add(market)
        else:
            codes.update(m.code for m in _live_markets(session))
    trigger = "policy change: " + ", ".join(sorted({f"{k} ({m or 'global'})" for k, m in changes
                                                     if k.startswith("seller.")}))
    for code in sorted(codes):
        yield from reevaluate_chunks(session, market=code, trigger=trigger)


def _live_markets(session: Session) -> list:
    found, token = [], None
    while True:
        rows, token = markets.list_markets(session, status="live", page_size=200, page_token=token)
        found.extend(rows)
        if token is None:
            return found
