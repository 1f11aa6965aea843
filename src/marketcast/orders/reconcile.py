"""Payments whose answer was lost (the server died between the charge and recording it) are settled with the
provider's own record instead of blocking the order for PAYMENT_STALE_AFTER: a worker job asks the provider
what became of each attempt still processing after `payment_reconcile_after_seconds`, and records that answer
exactly as the request would have (`payments.finish`). Like every job it owns its transactions: one short read,
the provider calls with no transaction open, then one transaction per attempt."""

import logging
from datetime import timedelta

from sqlalchemy import select

from marketcast.core import clock
from marketcast.core.db import unit_of_work
from marketcast.core.settings import get_settings
from marketcast.orders import payments
from marketcast.orders.models import PaymentAttempt

log = logging.getLogger("marketcast.orders")

BATCH = 100
NOT_CHARGED = payments.Result("error", "", "the provider has no record of this charge", "not_charged")


def settle_lost_payments(limit: int = BATCH) -> int:
    """Settle attempts still processing past the grace period; how many were settled."""
    cutoff = clock.now() - timedelta(seconds=get_settings().payment_reconcile_after_seconds)
    with unit_of_work(write=False) as session:
        lost = session.execute(
            select(PaymentAttempt.id, PaymentAttempt.order_id, PaymentAttempt.provider, PaymentAttempt.amount,
                   PaymentAttempt.currency)
            .where(PaymentAttempt.status == "processing", PaymentAttempt.created_at <= cutoff)
            .order_by(PaymentAttempt.created_at).limit(limit)).all()
    settled = 0
    for attempt_id, order_id, provider, amount, currency in lost:
        try:
            result = payments.get_provider(provider).status(reference=attempt_id) or NOT_CHARGED
        except Exception:  # the provider is unreachable now: asked again on the next run
            log.exception("could not ask %s about payment %s", provider, attempt_id)
            continue
        with unit_of_work() as session:
            payments.finish(session, started=payments.Started(order_id, attempt_id, amount, currency), result=result)
        settled += 1
    return settled
