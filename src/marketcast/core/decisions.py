"""The decision record every eligibility judgement shares (shop applications, creators' affiliate status).

A judgement is a list of rule results; each says whether the rule passed, the values it compared, the policy
key and version it compared against (None for rules that use no policy, or when the registry default applied),
and a detail in words. Areas keep their own rules; this is only the shape and how it reads."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class PolicyValue:
    """A policy value as rules need it: the value, which version gave it and since when."""

    key: str
    value: Any
    version_id: str | None
    effective_from: datetime | None


def rule_result(rule: str, passed: bool, actual: Any, required: Any, detail: str,
                policy: PolicyValue | None = None) -> dict[str, Any]:
    return {"rule": rule, "passed": passed, "compared": {"actual": actual, "required": required},
            "policy_key": policy.key if policy else None,
            "policy_version_id": policy.version_id if policy else None,
            "policy_effective_from": policy.effective_from.isoformat() if policy and policy.effective_from else None,
            "detail": detail}


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def versions_used(results: list[dict[str, Any]]) -> list[str]:
    return sorted({r["policy_version_id"] for r in results if r["policy_version_id"]})


def policy_words(r: dict[str, Any]) -> str:
    if not r.get("policy_key"):
        return ""
    if r.get("policy_version_id") is None:
        return f"{r['policy_key']} (default, no version set)"
    since = (r.get("policy_effective_from") or "")[:10]
    return f"{r['policy_key']} ({r['policy_version_id']}, in force since {since})"


def explain_rule(r: dict[str, Any], labels: dict[str, str]) -> str:
    """"label: passed|failed: detail, per policy (version, in force since …)"."""
    verdict = "passed" if r["passed"] else "failed"
    words, policy = r["detail"], policy_words(r)
    if policy and " required" in words:
        words = words.replace(" required", " required by " + policy, 1)
    elif policy:
        words += f", per {policy}"
    return f"{labels.get(r['rule'], r['rule'])}: {verdict}: {words}"
