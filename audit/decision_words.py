"""A stored compliance decision in plain words: what the engine saw and why it decided.

The stored `inputs` hold the evaluated inputs (zones with local times, packs, counts,
restrictions and consents seen) and the serialised context (compliance/engine/serialize.py);
the outreach service may store them side by side or nested. Both shapes are read here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from compliance.models import ComplianceDecision


def zone_source_label(source: str) -> str:
    return {
        "override": _("verified time zone on file"),
        "phone_area_code": _("the phone number's area code"),
        "address_region": _("the address region"),
        "country_default": _("the country's time zones (nothing more precise known)"),
    }.get(source, source)


def _find(inputs: Any, key: str, depth: int = 0) -> dict[str, Any] | None:
    """The dict (inputs itself or one nested in it) that holds `key`."""
    if not isinstance(inputs, dict) or depth > 2:
        return None
    if key in inputs:
        return inputs
    for value in inputs.values():
        found = _find(value, key, depth + 1)
        if found is not None:
            return found
    return None


def inputs_split(inputs: Any) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(serialised context or None, evaluated inputs) from a decision's stored inputs."""
    context = _find(inputs, "ledger")
    evaluated = _find(inputs, "counts") or _find(inputs, "packs") or {}
    return context, evaluated


def _local(value: str | None) -> str:
    if not value:
        return ""
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return value
    return dt.strftime("%a %Y-%m-%d %H:%M %Z").strip() or value


@dataclass
class ZoneLine:
    zone: str
    source: str
    local_time: str


@dataclass
class CountLine:
    person: str
    debt: str
    zone: str
    calls_7d: Any
    conversation_day: str
    consent: bool


@dataclass
class SeenLine:
    id: Any
    kind: str
    active: bool
    applies: bool | None
    row: Any = None


@dataclass
class DecisionWords:
    allowed: bool
    evaluated_at: datetime
    channel: str
    person: str
    reasons: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    next_allowed_at: datetime | None
    zones: list[ZoneLine] = field(default_factory=list)
    packs: list[tuple[str, str, str]] = field(default_factory=list)
    counts: list[CountLine] = field(default_factory=list)
    restrictions: list[SeenLine] = field(default_factory=list)
    consents: list[SeenLine] = field(default_factory=list)
    inconvenient_time_consent: bool | None = None
    ledger_entries: Any = None
    engine_version: str = ""
    has_context: bool = False


def _person_label(person: str) -> str:
    if person == "debtor":
        return _("the debtor")
    if person.startswith("tp:"):
        return _("third party at contact point %(id)s") % {"id": person[3:]}
    return person


def _zone_local_time(zone: str, at: datetime) -> str:
    try:
        return at.astimezone(ZoneInfo(zone)).strftime("%a %Y-%m-%d %H:%M %Z")
    except (KeyError, ValueError):
        return ""


def decision_words(
    *, decision: ComplianceDecision, related: dict[str, Any] | None = None
) -> DecisionWords:
    context, ev = inputs_split(decision.inputs)
    related = related or {"restrictions": {}, "consents": {}}
    words = DecisionWords(
        allowed=decision.allowed,
        evaluated_at=decision.evaluated_at,
        channel=decision.channel,
        person=_person_label(str(ev.get("person", "debtor"))),
        reasons=list(decision.reasons or []),
        warnings=list(decision.warnings or []),
        next_allowed_at=decision.next_allowed_at,
        engine_version=decision.engine_version or str(ev.get("engine_version", "")),
        has_context=context is not None,
    )
    zones = ev.get("zones") or (context or {}).get("zones") or []
    for z in zones:
        zone = str(z.get("zone", ""))
        local = _local(z.get("local_time")) or _zone_local_time(zone, decision.evaluated_at)
        words.zones.append(ZoneLine(zone, zone_source_label(str(z.get("source", ""))), local))
    windows = ev.get("windows") or {}
    for name, version in sorted((ev.get("packs") or {}).items()):
        window = windows.get(name)
        span = f"{window[0]}-{window[1]}" if window and len(window) == 2 else ""
        words.packs.append((name, str(version), span))
    for key, value in sorted((ev.get("counts") or {}).items()):
        person, debt, zone = ([*key.split("|"), "", ""])[:3]
        words.counts.append(
            CountLine(
                person=_person_label(person),
                debt=debt.replace("debt:", ""),
                zone=zone,
                calls_7d=value.get("calls_7d"),
                conversation_day=value.get("conversation_day") or "",
                consent=bool(value.get("call_back_consent")),
            )
        )
    for r in ev.get("restrictions") or []:
        words.restrictions.append(
            SeenLine(
                r.get("id"),
                str(r.get("kind", "")),
                bool(r.get("active")),
                r.get("applies"),
                related["restrictions"].get(r.get("id")),
            )
        )
    for c in ev.get("consents") or []:
        words.consents.append(
            SeenLine(
                c.get("id"),
                str(c.get("kind", "")),
                bool(c.get("active")),
                None,
                related["consents"].get(c.get("id")),
            )
        )
    words.inconvenient_time_consent = ev.get("inconvenient_time_consent")
    words.ledger_entries = ev.get("ledger_entries", len((context or {}).get("ledger", [])))
    return words
