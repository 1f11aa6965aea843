"""The error catalogue is the one list of codes: every code in the source is in it, every raise is checked
against it, and docs/errors.md is rendered from it."""

import re
from pathlib import Path

import pytest

from marketcast.core import error_codes
from marketcast.core.errors import Conflict, Invalid, NotFound

ROOT = Path(__file__).resolve().parents[2]
# `code="…"` in a raise or an error built to be raised, and NotFound("kind", …) which answers kind_not_found.
CODE_ARG = re.compile(r'\bcode="([a-z0-9_]+)"')
NOT_FOUND = re.compile(r'\bNotFound\(\s*"([a-z0-9_]+)"')
ERROR_CLASS_CODE = re.compile(r'^\s+code = "([a-z0-9_]+)"', re.M)


def _source_codes() -> set[tuple[str, str]]:
    found = set()
    for path in (ROOT / "src" / "marketcast").rglob("*.py"):
        text = path.read_text()
        rel = str(path.relative_to(ROOT))
        for pattern, suffix in ((CODE_ARG, ""), (NOT_FOUND, "_not_found"), (ERROR_CLASS_CODE, "")):
            found.update((match + suffix, rel) for match in pattern.findall(text))
    return found


def test_every_code_in_the_source_is_in_the_catalogue():
    stray = sorted(f"{code} ({where})" for code, where in _source_codes() if code not in error_codes.CATALOGUE)
    # Base classes name a default code that their subclasses or callers replace.
    stray = [s for s in stray if not s.startswith("conflict (src/marketcast/core/errors.py")]
    assert not stray, f"codes not in core/error_codes.py: {stray}"


RAISED_AS = re.compile(r"\b(Conflict|Invalid|Forbidden|Unauthorized|PaymentRequired)\(")
STATUS_OF = {"Conflict": 409, "Invalid": 422, "Forbidden": 403, "Unauthorized": 401, "PaymentRequired": 402}


def test_each_code_is_raised_with_its_catalogue_status():
    # Caught at raise time too; this finds it on paths no test takes (a 404 code re-raised as a 422, …).
    wrong = []
    for path in (ROOT / "src" / "marketcast").rglob("*.py"):
        text = path.read_text()
        for match in RAISED_AS.finditer(text):
            args = text[match.end():match.end() + 400].split("\n\n")[0]
            code = CODE_ARG.search(args.split(")\n")[0] + ")")
            entry = error_codes.CATALOGUE.get(code.group(1)) if code else None
            if entry and entry.status != STATUS_OF[match.group(1)]:
                wrong.append(f"{code.group(1)} raised as {match.group(1)} in {path.relative_to(ROOT)}")
    assert not wrong, wrong


def test_a_code_not_in_the_catalogue_cannot_be_raised():
    with pytest.raises(error_codes.UnknownErrorCode):
        Conflict("no such code", code="made_up_code")
    with pytest.raises(error_codes.UnknownErrorCode):
        NotFound("unicorn", "u1")


def test_a_code_is_raised_with_its_own_status_only():
    with pytest.raises(ValueError, match="409"):
        Invalid("a conflict code as a 422", code="out_of_stock")


def test_extra_members_are_declared_on_the_problem_model():
    with pytest.raises(ValueError, match="no member"):
        Conflict("x", code="out_of_stock", colour="red")
    assert Conflict("x", code="out_of_stock", sku_id="sku_1").to_problem()["sku_id"] == "sku_1"


def test_the_problem_is_built_from_the_catalogue():
    body = Invalid("bad phone", code="invalid_phone", field="contact.phone").to_problem()
    assert body == {"type": "https://marketcast.dev/problems/invalid_phone", "title": "Invalid phone",
                    "status": 422, "code": "invalid_phone", "detail": "bad phone", "field": "contact.phone",
                    "errors": [{"field": "contact.phone", "message": "bad phone"}]}


def test_docs_errors_md_is_rendered_from_the_catalogue():
    assert (ROOT / "docs" / "errors.md").read_text() == error_codes.render_markdown(), (
        "docs/errors.md is out of date: python -m marketcast.core.error_codes > docs/errors.md")
