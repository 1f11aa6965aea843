"""What a client's text may contain, decided in one place, and the checks of free text every area needs.

No client string may hold a NUL (PostgreSQL text cannot store one: a 500), a lone surrogate (not encodable as
UTF-8, on either database), or a C0 control other than tab and line breaks. `core.text_guard` applies this to
every path, query parameter and JSON or form body before a route sees it; page tokens apply it to what they
decode to. Free text that people read back (reasons, names) may not hold bidi controls either, which can make
text display as something other than what it says."""

import re

from marketcast.core.errors import Invalid

MAX_REASON = 500

_FORBIDDEN = {
    "a NUL character": re.compile("\x00"),
    "a lone surrogate": re.compile("[\ud800-\udfff]"),
    "a control character": re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]"),
}
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def problem_in(value: str, *, free_text: bool = False) -> str | None:
    """What makes `value` unacceptable from a client ("a NUL character", …), or None when it is fine. Free text
    (reasons, names: read back by people) may not hold bidi controls either."""
    for what, pattern in _FORBIDDEN.items():
        if pattern.search(value):
            return what
    if free_text and _BIDI.search(value):
        return "a bidirectional control character"
    return None


def check(value: str, *, field: str, free_text: bool = False) -> str:
    """`value`, or Invalid(code="invalid_text") naming the field."""
    what = problem_in(value, free_text=free_text)
    if what:
        raise Invalid(f"{field} contains {what}", code="invalid_text", field=field)
    return value


def reason(text: str | None, *, field: str = "reason") -> str:
    """A reason an operator gives for a change: required, at most 500 characters, clean free text; kept in history
    and shown back, so it is trimmed."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise Invalid("say why: a reason is required", code="reason_required", field=field)
    what = problem_in(cleaned, free_text=True)
    if what:
        raise Invalid(f"the reason contains {what}", code="invalid_reason", field=field)
    if len(cleaned) > MAX_REASON:
        raise Invalid(f"a reason has at most {MAX_REASON} characters", code="reason_too_long", field=field)
    return cleaned


LIKE_ESCAPE = "\\"


def contains_pattern(words: str) -> str:
    """A LIKE pattern matching any text that contains `words` (lower-cased), with %, _ and the escape character
    taken literally; use it with `escape=LIKE_ESCAPE`."""
    escaped = words.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
