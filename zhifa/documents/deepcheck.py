"""The documents app's part of `zhifa verify --deep` (ADR 0017): every issued document against its
`document.issued` entry — 文号, type, subject, the PDF and DOCX hashes — and no document row without one."""

from __future__ import annotations

from typing import Any

from zhifa.documents.models import Document
from zhifa.records.deep import DeepReport, entries

FIELDS = (("number", "文号"), ("doc_type", "文书类型"), ("subject_id", "所属对象"),
          ("pdf_sha256", "PDF 哈希"), ("docx_sha256", "DOCX 哈希"))


def check_documents(report: DeepReport) -> None:
    issued: dict[str, dict[str, Any]] = {}
    for _seq, entry in entries("document.issued"):
        payload = entry.get("payload") or {}
        if payload.get("document_id"):
            issued[payload["document_id"]] = payload
    seen = set()
    for row in Document.objects.order_by("pk").values("public_id", "name", *[f for f, _l in FIELDS]).iterator(
            chunk_size=2000):
        document_id = str(row["public_id"])
        seen.add(document_id)
        report.count("文书")
        rec = issued.get(document_id)
        what = f"文书 {row['name']} {row['number'] or document_id}"
        if rec is None:
            report.problem(f"{what} 在台账中没有签发记录。")
            continue
        for name, label in FIELDS:
            if name in rec and str(rec[name]) != str(row[name]):
                report.differs(what, label, row[name], rec[name])
    for document_id in issued.keys() - seen:
        rec = issued[document_id]
        report.problem(f"台账记录的文书 {rec.get('name', '')} {rec.get('number') or document_id} 在数据库中不存在（已被删除）。")
