"""Re-evaluate a stored decision with the current engine and say whether it would differ."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from compliance.engine import context_from_dict, evaluate
from compliance.models import ComplianceDecision


@dataclass(frozen=True)
class ReplayResult:
    original: dict[str, Any]
    replayed: dict[str, Any]
    same: bool
    differences: list[str]


def _utc_iso(value: datetime | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(UTC).isoformat()


def _outcome(
    allowed: bool, reasons: list[Any], warnings: list[Any], next_at: Any
) -> dict[str, Any]:
    return {
        "allowed": allowed,
        "reasons": sorted(reasons, key=lambda r: (r["code"], r["rule"])),
        "warnings": sorted(warnings, key=lambda r: (r["code"], r["rule"])),
        "next_allowed_at": _utc_iso(next_at),
    }


def decision_replay(*, decision_id: int) -> ReplayResult:
    """Evaluate the stored context again; compare result, reasons, warnings, next time and the
    evaluated inputs (counts, zones, windows). Raises `ComplianceDecision.DoesNotExist`."""
    stored = ComplianceDecision.objects.get(pk=decision_id)
    original = _outcome(stored.allowed, stored.reasons, stored.warnings, stored.next_allowed_at)
    context_data = (stored.inputs or {}).get("context")
    if not context_data:
        return ReplayResult(
            original=original,
            replayed={},
            same=False,
            differences=["the decision has no stored context to replay"],
        )
    decision = evaluate(context_from_dict(context_data))
    replayed = _outcome(
        decision.allowed,
        [r.to_dict() for r in decision.reasons],
        [w.to_dict() for w in decision.warnings],
        decision.next_allowed_at,
    )
    differences = [
        f"{key}: stored {original[key]!r}, now {replayed[key]!r}"
        for key in ("allowed", "reasons", "warnings", "next_allowed_at")
        if original[key] != replayed[key]
    ]
    stored_evaluated = (stored.inputs or {}).get("evaluated") or {}
    fresh_inputs = json.loads(json.dumps(decision.inputs))  # the stored (JSON) form
    for key in ("counts", "zones", "windows", "packs", "debts"):
        if key in stored_evaluated and stored_evaluated.get(key) != fresh_inputs.get(key):
            differences.append(f"inputs.{key} differ")
    original["inputs"] = stored_evaluated
    replayed["inputs"] = fresh_inputs
    return ReplayResult(
        original=original, replayed=replayed, same=not differences, differences=differences
    )
