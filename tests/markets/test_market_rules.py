from datetime import date

import pytest

from marketcast.core import text
from marketcast.core.errors import Conflict, Invalid
from marketcast.markets import rules


@pytest.mark.parametrize(("raw", "value", "kind", "start"), [
    ("2025-03-15", "2025-03-15", "day", date(2025, 3, 15)),
    ("2024-07", "2024-07", "month", date(2024, 7, 1)),
    ("2025-Q1", "2025-Q1", "quarter", date(2025, 1, 1)),
    ("2025-q4", "2025-Q4", "quarter", date(2025, 10, 1)),
    (" 2024-02-29 ", "2024-02-29", "day", date(2024, 2, 29)),
    ("2024-12", "2024-12", "month", date(2024, 12, 1)),
])
def test_windows_parse_to_canonical_text_and_first_day(raw, value, kind, start):
    window = rules.parse_window(raw)
    assert (window.value, window.kind, window.start) == (value, kind, start)


def test_no_window_is_none():
    assert rules.parse_window(None) is None


@pytest.mark.parametrize("raw", [
    "", "soon", "2025", "2025-13", "2025-00", "2025-Q5", "2025-Q0", "2023-02-29", "2025-7", "25-07",
    "2025/07", "2025-07-1", "1999-Q1", "2101-01", "2025-Q1x", "July 2025",
])
def test_bad_windows_are_invalid_launch_window(raw):
    with pytest.raises(Invalid) as err:
        rules.parse_window(raw)
    assert err.value.code == "invalid_launch_window" and err.value.field == "launch_window"


ALLOWED = {
    ("planned", "live"), ("planned", "postponed"), ("planned", "closed"),
    ("postponed", "planned"), ("postponed", "live"), ("postponed", "closed"),
    ("live", "paused"), ("live", "closed"),
    ("paused", "live"), ("paused", "closed"),
}


@pytest.mark.parametrize("from_status", rules.STATUSES)
@pytest.mark.parametrize("to_status", rules.STATUSES)
def test_transition_table(from_status, to_status):
    if (from_status, to_status) in ALLOWED:
        rules.check_transition("ES", from_status, to_status)
        return
    with pytest.raises(Conflict) as err:
        rules.check_transition("ES", from_status, to_status)
    assert err.value.code == "invalid_transition"
    assert err.value.extra == {"from_status": from_status, "to_status": to_status}
    assert from_status in err.value.detail and to_status in err.value.detail


def test_unknown_status_is_invalid_not_a_conflict():
    with pytest.raises(Invalid) as err:
        rules.check_transition("ES", "planned", "launched")
    assert err.value.field == "status"


@pytest.mark.parametrize(("check", "good", "bad", "field"), [
    (rules.check_code, ("es", "ES"), ("XX", "ESP", "E1", ""), "code"),
    (rules.check_currency, ("eur", "EUR"), ("EU", "EURO", "€"), "currency"),
    (rules.check_timezone, ("Europe/Madrid", "UTC"), ("Europe", "Mars/Olympus", "../etc/passwd", ""), "timezone"),
    (text.reason, ("why", "  why  "), ("", "   ", None, "x" * 501, "nul\x00"), "reason"),
])
def test_field_checks(check, good, bad, field):
    for value in good:
        check(value)
    for value in bad:
        with pytest.raises(Invalid) as err:
            check(value)
        assert err.value.field == field


@pytest.mark.parametrize(("raw", "name"), [(" Spain ", "Spain"), ("España", "España"), ("x" * 120, "x" * 120),
                                          ("Côte d'Ivoire", "Côte d'Ivoire")])
def test_names_are_stripped(raw, name):
    assert rules.check_name(raw) == name


@pytest.mark.parametrize("raw", [None, "", " \t ", "x" * 121, "a\x00b", "a\tb", "a\x7fb", "a\x85b", "a\u2029b"])
def test_bad_names_are_invalid_name(raw):
    with pytest.raises(Invalid) as err:
        rules.check_name(raw)
    assert (err.value.code, err.value.field) == ("invalid_name", "name")
