"""One case's evidence pack for a legal or agency hand-off: a ZIP with the contact history
(CSV), the compliance decisions with their inputs (JSON), every document, and a manifest
listing each file's SHA-256, so the receiver can check that nothing changed on the way."""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from datetime import datetime
from pathlib import PurePath
from typing import IO, TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from audit.exports import csv_lines, history_header, history_values
from audit.models import ChainLink
from audit.selectors import HistoryFilters, history_search
from audit.services.evidence import CHUNK, evidence_open_verified
from collections_app.models import Case
from compliance.models import ComplianceDecision

if TYPE_CHECKING:
    from accounts.models import User

SPOOL_BYTES = 32 * 1024 * 1024


class _HashingWriter:
    def __init__(self, zf: zipfile.ZipFile, path: str) -> None:
        self.path = path
        self.digest = hashlib.sha256()
        self.size = 0
        self._fh = zf.open(path, "w")

    def write(self, data: bytes) -> None:
        self.digest.update(data)
        self.size += len(data)
        self._fh.write(data)

    def close(self) -> dict[str, Any]:
        self._fh.close()
        return {"path": self.path, "sha256": self.digest.hexdigest(), "size": self.size}


def _write_bytes(zf: zipfile.ZipFile, path: str, data: bytes) -> dict[str, Any]:
    w = _HashingWriter(zf, path)
    w.write(data)
    return w.close()


def _links(kind: str, ids: list[int]) -> dict[int, str]:
    return dict(
        ChainLink.objects.filter(kind=kind, object_id__in=ids).values_list("object_id", "row_hash")
    )


def evidence_pack_build(*, case: Case, user: User, now: datetime | None = None) -> IO[bytes]:
    """Write the pack to a temporary file and return it, positioned at the start.

    Raises EvidenceIntegrityError if any document fails its hash check: a pack for a court
    is complete and verified, or it is not produced."""
    now = now or timezone.now()
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (returned open)
    files: list[dict[str, Any]] = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        rows = list(history_search(user=user, filters=HistoryFilters(case_id=case.pk)))
        lines = csv_lines(history_header(), (history_values(r) for r in rows))
        files.append(_write_bytes(zf, "history.csv", "".join(lines).encode("utf-8")))

        decision_ids = sorted({r["decision_ref"] for r in rows if r["decision_ref"]})
        attempt_ids = sorted(r["row_id"] for r in rows if r["row_kind"] == "attempt")
        sealed = _links("decision", decision_ids)
        decisions = [
            {**d, "chain_hash": sealed.get(d["id"])}
            for d in ComplianceDecision.objects.filter(id__in=decision_ids).order_by("id").values()
        ]
        payload = json.dumps(decisions, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1)
        files.append(_write_bytes(zf, "decisions.json", payload.encode("utf-8")))

        evidence_rows = []
        for evidence in case.evidence.select_related("uploaded_by").order_by("id"):
            fh = evidence_open_verified(evidence=evidence, user=user)
            path = f"documents/{evidence.pk}-{PurePath(evidence.original_name).name}"
            writer = _HashingWriter(zf, path)
            try:
                for chunk in iter(lambda fh=fh: fh.read(CHUNK), b""):
                    writer.write(chunk)
            finally:
                fh.close()
            files.append(writer.close())
            evidence_rows.append(
                {
                    "id": evidence.pk,
                    "path": path,
                    "kind": evidence.kind,
                    "original_name": evidence.original_name,
                    "content_type": evidence.content_type,
                    "size": evidence.size,
                    "sha256_recorded": evidence.sha256,
                    "attempt": evidence.attempt_id,
                    "uploaded_by": evidence.uploaded_by.username if evidence.uploaded_by else None,
                    "uploaded_at": evidence.uploaded_at.isoformat(),
                }
            )
        manifest = {
            "case": case.pk,
            "debtor": {
                "id": case.debtor_id,
                "name": case.debtor.full_name,
                "country": case.debtor.country,
            },
            "generated_at": now.isoformat(),
            "generated_by": user.get_username(),
            "files": files,
            "evidence": evidence_rows,
            "chain": {
                "attempts_sealed": len(_links("attempt", attempt_ids)),
                "attempts": len(attempt_ids),
                "decisions_sealed": len(sealed),
                "decisions": len(decision_ids),
            },
        }
        zf.writestr(
            "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True)
        )
    out.seek(0)
    return out
