"""Issued enforcement documents and their number counters (DOC-15).

A `Document` row is written once, by `services.document_issue`, in the same transaction as its ledger entry and
its number; the files live in the content-addressed blob store under the recorded SHA-256. There is no update or
delete service: a corrected document is a new document.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Document(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agency = models.ForeignKey(
        "registry.Agency", verbose_name=_("执法主体"), on_delete=models.PROTECT, related_name="documents"
    )
    subject_id = models.UUIDField(_("所属对象"), db_index=True)  # a case (later a legal review); no FK by design
    stream = models.CharField(_("记录流"), max_length=128)
    doc_type = models.CharField(_("文书类型"), max_length=64)
    name = models.CharField(_("文书名称"), max_length=64)
    number = models.CharField(_("文号"), max_length=64, blank=True)
    year = models.PositiveIntegerField(_("年度"))
    serial = models.PositiveIntegerField(_("序号"), null=True, blank=True)
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64)
    pdf_size = models.BigIntegerField(_("PDF 大小（字节）"))
    docx_sha256 = models.CharField(_("DOCX SHA-256"), max_length=64)
    docx_size = models.BigIntegerField(_("DOCX 大小（字节）"))
    signed = models.BooleanField(_("已电子签章"), default=False)
    # SM mode (ADR 0020): the PDF's SM3 and a detached SM2 signature over the PDF bytes by the agency's SM2 seal
    # key (DER, base64), verifiable with `openssl pkeyutl -verify -rawin -digest sm3`; empty outside SM mode.
    pdf_sm3 = models.CharField(_("PDF SM3"), max_length=64, blank=True, default="")
    docx_sm3 = models.CharField(_("DOCX SM3"), max_length=64, blank=True, default="")
    pdf_sm2_signature = models.TextField(_("PDF 的 SM2 签名（DER，base64）"), blank=True, default="")
    context = models.JSONField(_("文书内容快照"), default=dict)
    ledger_entry = models.OneToOneField(
        "records.LedgerEntry", verbose_name=_("账本记录"), on_delete=models.PROTECT, related_name="document"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("签发人"), on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("签发时间"), default=timezone.now)

    class Meta:
        verbose_name = _("执法文书")
        verbose_name_plural = _("执法文书")
        ordering = ["issued_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "doc_type", "year", "serial"], condition=Q(serial__isnull=False),
                name="documents_document_unique_serial",
            ),
            models.UniqueConstraint(
                fields=["agency", "number"], condition=~Q(number=""), name="documents_document_unique_number",
            ),
            models.CheckConstraint(
                condition=(Q(serial__isnull=True) & Q(number="")) | (Q(serial__gte=1) & ~Q(number="")),
                name="documents_document_number_iff_serial",
            ),
        ]
        indexes = [models.Index(fields=["agency", "doc_type", "year"])]

    def __str__(self) -> str:
        return f"{self.name} {self.number}".strip()

    @property
    def ledger_seq(self) -> int:
        return int(self.ledger_entry_id)


class DocumentCounter(models.Model):
    """The last serial used per agency, year and document type. Locked (select_for_update) by each issue; the
    bump rolls back with the issuing transaction, so numbers are gapless (DOC-15)."""

    agency = models.ForeignKey("registry.Agency", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField()
    doc_type = models.CharField(max_length=64)
    last_serial = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("文号计数器")
        constraints = [
            models.UniqueConstraint(fields=["agency", "year", "doc_type"], name="documents_counter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id}/{self.year}/{self.doc_type}: {self.last_serial}"
