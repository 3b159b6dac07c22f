"""Ledger tables. Rows are only ever inserted: database triggers refuse UPDATE and DELETE (migration 0002),
except on the one-row `LedgerHead`, which holds the write lock and the right edge of the tree."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class LedgerEntry(models.Model):
    """One leaf of the log. `canonical` holds the exact bytes that were hashed: leaf_hash = SHA-256(0x00 ‖ canonical)."""

    seq = models.BigIntegerField(_("序号"), primary_key=True)  # leaf index, 0-based, gapless
    kind = models.CharField(_("类别"), max_length=64)
    stream = models.CharField(_("记录流"), max_length=128, db_index=True)
    agency_id = models.BigIntegerField(_("机关"), null=True, db_index=True)
    recorded_at = models.DateTimeField(_("记录时间"))
    canonical = models.BinaryField(_("规范化内容"))
    leaf_hash = models.BinaryField(_("叶哈希"), max_length=32)

    class Meta:
        verbose_name = _("记录")
        ordering = ["seq"]
        indexes = [models.Index(fields=["stream", "seq"], name="records_entry_stream_seq")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind}"


class LedgerNode(models.Model):
    """Hash of a complete (perfect) subtree: `level` 0 are leaf hashes; node (level, index) covers leaves
    [index·2^level, (index+1)·2^level). `key` = level·2^40 + index, so a proof's nodes come in one query."""

    key = models.BigIntegerField(primary_key=True)
    hash = models.BinaryField(max_length=32)

    class Meta:
        verbose_name = _("子树哈希")

    def __str__(self) -> str:
        return str(self.key)


class LedgerHead(models.Model):
    """The single row every append locks: tree size and the right-edge perfect subtrees (the frontier), from
    which the root follows (`ledger.tree_head`)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    size = models.BigIntegerField(default=0)
    # The right edge: perfect subtrees left to right, each 1 byte level + 32 bytes hash (binary: parsed per append).
    frontier = models.BinaryField(default=b"")
    witnessed_size = models.BigIntegerField(default=0)  # the largest size a witness has co-signed

    class Meta:
        verbose_name = _("账本头")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="records_head_singleton")]

    def __str__(self) -> str:
        return f"size={self.size}"


class Checkpoint(models.Model):
    """A signed tree head in the C2SP tlog-checkpoint signed-note format; witness cosignatures appended later."""

    size = models.BigIntegerField(_("树大小"), unique=True)
    root = models.BinaryField(_("根哈希"), max_length=32)
    note = models.TextField(_("签名检查点"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("检查点")
        ordering = ["-size"]

    def __str__(self) -> str:
        return f"checkpoint {self.size}"


class RestoreEvent(models.Model):
    """An operator's signed statement that the ledger was restored from a backup shorter than the witnessed size."""

    recorded_at = models.DateTimeField(auto_now_add=True)
    ledger_size = models.BigIntegerField()
    witnessed_size = models.BigIntegerField()
    operator = models.CharField(max_length=150)
    reason = models.TextField()
    signature = models.TextField()

    class Meta:
        verbose_name = _("恢复记录")

    def __str__(self) -> str:
        return f"restore at {self.ledger_size}"
