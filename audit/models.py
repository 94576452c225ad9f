"""Evidence files, legal holds, the purge log and the tamper-evident chain."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from collections_app.models.scoping import CaseChildQuerySet, ViaDebtorQuerySet


class EvidenceKind(models.TextChoices):
    RECORDING = "recording", _("Call recording")
    LETTER = "letter", _("Letter")
    DOCUMENT = "document", _("Document")


class Evidence(models.Model):
    """A file attached to a case, and optionally to one contact attempt of it.

    The SHA-256 is taken when the file is received and checked on every download, so a file
    changed on disk is refused instead of being handed to a court or an agency."""

    case = models.ForeignKey(
        "collections_app.Case", on_delete=models.PROTECT, related_name="evidence"
    )
    attempt = models.ForeignKey(
        "collections_app.ContactAttempt",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evidence",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=EvidenceKind.choices)
    file = models.FileField(upload_to="evidence/%Y/%m/", max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    description = models.CharField(_("description"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name_plural = _("evidence")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=EvidenceKind.values), name="evidence_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"


class LegalHoldQuerySet(ViaDebtorQuerySet):
    def active(self) -> "LegalHoldQuerySet":
        return self.filter(released_at__isnull=True)


class LegalHold(models.Model):
    """Suspends every deletion for a debtor (or one case of theirs) while litigation,
    a regulator's inquiry or a complaint is open."""

    debtor = models.ForeignKey(
        "collections_app.Debtor", on_delete=models.PROTECT, related_name="legal_holds"
    )
    case = models.ForeignKey(
        "collections_app.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="legal_holds",
        help_text=_("empty: every case of the debtor"),
    )
    reason = models.CharField(_("reason"), max_length=300)
    reference = models.CharField(_("matter reference"), max_length=100, blank=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    placed_at = models.DateTimeField(auto_now_add=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)

    objects = LegalHoldQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at", "-id"]

    def __str__(self) -> str:
        return f"Hold on debtor {self.debtor_id}: {self.reason}"


class PurgeLog(models.Model):
    """What the retention job deleted, when and under which rule (the row outlives the file)."""

    purged_at = models.DateTimeField(db_index=True)
    record_kind = models.CharField(max_length=30)
    object_id = models.BigIntegerField()
    case_id_ref = models.BigIntegerField(null=True, blank=True)
    debtor_id_ref = models.BigIntegerField(null=True, blank=True)
    jurisdiction = models.CharField(max_length=2)
    rule = models.CharField(max_length=200)
    expired_at = models.DateTimeField()
    sha256 = models.CharField(max_length=64, blank=True)
    original_name = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-purged_at", "-id"]

    def __str__(self) -> str:
        return f"{self.record_kind} {self.object_id} purged {self.purged_at:%Y-%m-%d}"


class ChainKind(models.TextChoices):
    DECISION = "decision", _("Compliance decision")
    ATTEMPT = "attempt", _("Contact attempt")
    # The outcome of an attempt is written once, after the attempt: it is sealed by a link
    # of its own when the attempt completes, so the attempt itself can be sealed at once.
    OUTCOME = "outcome", _("Contact attempt outcome")


class ChainHead(models.Model):
    """One row: the last link. Sealing locks it, so links are appended one writer at a time."""

    seq = models.BigIntegerField(default=0)
    row_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"Chain head {self.seq}"


class ChainLink(models.Model):
    kind = models.CharField(max_length=10, choices=ChainKind.choices)
    object_id = models.BigIntegerField()
    seq = models.BigIntegerField(unique=True)
    prev_hash = models.CharField(max_length=64)
    row_hash = models.CharField(max_length=64)
    sealed_at = models.DateTimeField()

    class Meta:
        ordering = ["seq"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="chainlink_once"),
        ]

    def __str__(self) -> str:
        return f"{self.seq} {self.kind}:{self.object_id}"
