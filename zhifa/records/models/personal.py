"""The personal-data vault (issue 9 defect 8; PV-3, PV-4, PV-5; docs/decisions/0018-personal-data-vault.md).

One row per data subject of a stream (a case party): the values are one AES-256-GCM (SM4-GCM in SM mode)
ciphertext under a random data key of the row; the data key is stored wrapped with the master key
(ZHIFA_PII_KEY_FILE, outside the database). Erasing a row destroys its wrapped key and its ciphertext; the ledger,
which holds only salted commitments (the salt is inside the ciphertext), still verifies. Blind indexes (HMAC of
the normalized value under a key derived from the master key) let an ID number or phone be looked up.
The logic is in `zhifa.records.personal`.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class PersonalRecord(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agency_id = models.BigIntegerField(_("机关"), null=True, db_index=True)
    stream = models.CharField(_("记录流"), max_length=128, db_index=True)  # the subject's, e.g. case/<uuid>
    algorithm = models.CharField(_("算法"), max_length=16)  # "aes-256-gcm" or "sm4-gcm"
    key_id = models.CharField(_("主密钥标识"), max_length=16, blank=True)  # the master key that wraps data_key
    wrapped_key = models.BinaryField(_("加密的数据密钥"), null=True)  # NULL: erased
    ciphertext = models.BinaryField(_("密文"), default=b"")
    id_index = models.CharField(_("证件号码盲索引"), max_length=64, blank=True, db_index=True)
    phone_index = models.CharField(_("电话盲索引"), max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(_("删除时间"), null=True, blank=True)
    erased_reason = models.CharField(_("删除理由"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("个人信息")
        verbose_name_plural = _("个人信息")

    def __str__(self) -> str:
        return f"{self.public_id}{' (erased)' if self.erased_at else ''}"

    @property
    def erased(self) -> bool:
        return self.wrapped_key is None
