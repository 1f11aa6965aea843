"""Batched checkout: many buyers' orders of one line (a flash deal's, or a hot SKU's) in one transaction
(docs/adr/0025).

A flash deal's buyers all send the same line in the same second. One transaction per order spends most of the
server's CPU on statements that are the same for all of them (the SKU, the shop, the policy, the deal) and on
per-statement work (a round trip, a commit) that many orders can share. So `POST /orders` whose only line is one
SKU (from a deal or not) joins the process's lane for that line: while one batch is in the database, the
checkouts that arrive queue, and the next batch takes them all (up to `MARKETCAST_CHECKOUT_BATCH`) — group
commit, no added wait.

One batch is one transaction, with what every checkout does, set-based:

    tokens      one SELECT for every buyer's API token
    drafts      the basket's checks once (SKU, shop, market, policy, deal), each buyer's order drafted
    keys        one INSERT … ON CONFLICT DO NOTHING for every Idempotency-Key
    units       a deal: one upsert of every buyer's count (a buyer over the limit is refused alone), then one
                guarded UPDATE for all the units; a SKU: one guarded UPDATE of its stock for all; when they cannot
                all be served (or the shop's daily cap counts), each order alone, in a savepoint
    rows        the winners' orders, lines, events and stored answers; the losers' keys deleted

Any checkout that is not plainly new (an unknown token, another role, a key seen before, a second checkout of the
same buyer in the batch) and every batch whose shared checks refuse (the deal is not open …) goes the ordinary way
(`respond_once`), which answers it exactly as without batching. The answers, the guarantees (never oversold,
never over the per-buyer limit, nothing half written) and the idempotency are those of the ordinary checkout."""

import asyncio
import functools
import weakref
from dataclasses import dataclass, field

import anyio
from sqlalchemy.orm import Session

from marketcast.core import idempotency
from marketcast.core.auth import service as auth
from marketcast.core.db import is_deadlock, unit_of_work
from marketcast.core.errors import DomainError
from marketcast.core.settings import get_settings
from marketcast.orders import service
from marketcast.orders.schemas import OrderOut

# A batch's line: (sku_id, quantity, deal_id or None).
Line = tuple[str, int, str | None]
DEADLOCK_RETRIES = 2
# Batches of one lane in the database at once per process: one forms while the other runs.
LANE_PARALLEL = 1


@dataclass(frozen=True)
class Ask:
    """One checkout waiting in a lane: its Bearer token, Idempotency-Key and request fingerprint."""

    token: str
    key: str
    request_hash: str


class Alone:
    """The answer for a checkout the batch did not take: run it the ordinary way."""


ALONE = Alone()
Result = idempotency.Answer | DomainError | Alone


def place(session: Session, *, line: Line, asks: list[Ask]) -> list[Result]:
    """Place the orders of `asks`, all of `line`, in `session`'s transaction (the caller commits): per ask, its
    answer (201 and the order), its refusal (409 deal_sold_out, per_buyer_limit), or ALONE."""
    results: list[Result] = [ALONE] * len(asks)
    actors = auth.actors_for_tokens(session, [ask.token for ask in asks])
    taken: dict[str, int] = {}  # user id -> index of their ask in this batch
    for index, ask in enumerate(asks):
        actor = actors.get(ask.token)
        if actor is not None and actor.role == "buyer" and actor.user not in taken:
            taken[actor.user] = index
    if not taken:
        return results
    claims = idempotency.claim_new(session, [(user, asks[i].key, asks[i].request_hash) for user, i in taken.items()])
    claimed = [(i, claims[user, asks[i].key]) for user, i in taken.items() if (user, asks[i].key) in claims]
    if not claimed:
        return results
    try:
        # A refusal shared by all (the deal closed, the shop suspended): nothing drafted stays, the keys are given
        # back, and each checkout is answered the ordinary way (a replay among them included).
        with session.begin_nested():
            drafts = service.draft_many(session, buyers=[actors[asks[i].token] for i, _ in claimed],
                                        lines=[line])
    except DomainError:
        idempotency.release_many(session, [claim for _, claim in claimed])
        return results
    refused = service.take_stock_many(session, drafts)
    winners, answers, losers = [], [], []
    for (index, claim), draft in zip(claimed, drafts, strict=True):
        error = refused.get(draft.order.id)
        if error is not None:
            results[index] = error
            losers.append(claim)
            continue
        body = OrderOut.full(draft.order, draft.lines).model_dump(mode="json")
        results[index] = idempotency.Answer(201, body)
        winners.append(draft)
        answers.append((claim, 201, body))
    service.insert_drafts(session, winners)
    idempotency.finish_many(session, answers)
    idempotency.release_many(session, losers)
    return results


def run(line: Line, asks: list[Ask]) -> list[Result]:
    """`place` in a unit of work of its own; a deadlock's victim runs again (as respond_once does)."""
    for attempt in range(DEADLOCK_RETRIES + 1):
        try:
            with unit_of_work() as session:
                return place(session, line=line, asks=asks)
        except Exception as exc:
            if attempt == DEADLOCK_RETRIES or not is_deadlock(exc):
                raise
    raise AssertionError("unreachable")


# --- the lanes: one per line and event loop ------------------------------------------------------------------------

@dataclass
class _Lane:
    waiting: list[tuple[Ask, asyncio.Future]] = field(default_factory=list)
    running: int = 0
    tasks: set[asyncio.Task] = field(default_factory=set)  # held here: the loop keeps only weak references


_lanes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


async def submit(line: Line, ask: Ask, *, limiter: anyio.CapacityLimiter) -> Result:
    """Queue `ask` on its line's lane and wait for its batch's answer (an exception of the batch is raised)."""
    loop = asyncio.get_running_loop()
    lanes = _lanes.setdefault(loop, {})
    lane = lanes.setdefault(line, _Lane())
    future = loop.create_future()
    lane.waiting.append((ask, future))
    if lane.running < LANE_PARALLEL:
        lane.running += 1
        task = loop.create_task(_drain(lanes, line, lane, limiter))
        lane.tasks.add(task)
        task.add_done_callback(lane.tasks.discard)
    return await future


async def _drain(lanes: dict[Line, _Lane], line: Line, lane: _Lane, limiter: anyio.CapacityLimiter) -> None:
    try:
        while lane.waiting:
            size = get_settings().checkout_batch
            batch, lane.waiting = lane.waiting[:size], lane.waiting[size:]
            try:
                results = await anyio.to_thread.run_sync(
                    functools.partial(run, line, [ask for ask, _ in batch]), limiter=limiter)
            except BaseException as exc:  # every checkout of the batch fails as its own request would
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc if isinstance(exc, Exception) else RuntimeError("cancelled"))
                if not isinstance(exc, Exception):
                    raise
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():  # its request was cancelled (the client went away)
                    future.set_result(result)
    finally:
        lane.running -= 1
        if not lane.running and not lane.waiting and lanes.get(line) is lane:
            del lanes[line]  # a lane lives while its deal sells: no lane per line ever seen
