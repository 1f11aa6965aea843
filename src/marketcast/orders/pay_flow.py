"""Paying an order end to end. Unlike a service, this flow owns its transactions, because the provider call must
happen with none open: tx1 `payments.begin` (lock the order, record a processing attempt), the charge with no row
locked, tx2 `payments.finish` (record the answer; on approval the order is paid). See docs/adr/0008.
The API, the CLI or a job call `pay` with no transaction of their own open."""

from marketcast.core.auth.actor import Actor
from marketcast.core.db import unit_of_work
from marketcast.orders import payments, service


def pay(*, order_id: str, actor: Actor, card_number: str, provider: str = "test") -> service.OrderDetail:
    """Charge the order's total once; the order as it then is. Raises 402 PaymentRequired (card_declined,
    payment_failed) after the refused attempt is committed; 409 payment_in_progress, order_expired …"""
    card = payments.check_card_number(card_number)
    chosen = payments.get_provider(provider)
    chosen.validate(card)
    with unit_of_work() as session:
        started = payments.begin(session, order_id=order_id, actor=actor, provider=chosen.name, card_number=card)
    if started.attempt_id is not None:
        result = payments.charge(chosen, started=started, card_number=card)
        with unit_of_work() as session:
            attempt = payments.finish(session, started=started, result=result)
        refused = payments.refusal(attempt)
        if refused is not None:
            raise refused
    with unit_of_work(write=False) as session:
        return service.load_detail(session, service.get_order(session, order_id))
