def fan_out() -> int:
    return 0


def deliver_due() -> int:
    return 0
