"""The records app's part of `zhifa verify --deep` (ADR 0017): every evidence row against its `evidence.added`
entry (file hash and size, stream, agency, late-upload flag) and its integrity status against the last
`evidence.integrity` entry. Evidence rows are also guarded by triggers (ADR 0010); this names a row changed after
someone dropped them."""

from __future__ import annotations

from typing import Any

from zhifa.records.deep import DeepReport, entries
from zhifa.records.models import Evidence, IntegrityStatus


def check_evidence(report: DeepReport) -> None:
    added: dict[str, dict[str, Any]] = {}
    for _seq, entry in entries("evidence."):
        payload = entry.get("payload") or {}
        evidence_id = payload.get("evidence_id")
        if not evidence_id:
            continue
        if entry["kind"] == "evidence.added":
            blob = (entry.get("blobs") or [{}])[0]
            added[evidence_id] = {"sha256": blob.get("sha256"), "size": blob.get("size"), "stream": entry["stream"],
                                  "agency_id": entry["agency_id"], "late_upload": payload.get("late_upload"),
                                  "integrity_status": IntegrityStatus.OK}
        elif entry["kind"] == "evidence.integrity" and evidence_id in added:
            added[evidence_id]["integrity_status"] = payload.get("to")
    seen = set()
    for row in Evidence.objects.order_by("pk").values("public_id", "blob_id", "size", "stream", "agency_id",
                                                      "late_upload", "integrity_status").iterator(chunk_size=2000):
        evidence_id = str(row["public_id"])
        seen.add(evidence_id)
        report.count("证据")
        rec = added.get(evidence_id)
        what = f"证据 {evidence_id}"
        if rec is None:
            report.problem(f"{what} 在台账中没有登记记录。")
            continue
        for name, label, db_value in (("sha256", "文件哈希", row["blob_id"]), ("size", "大小", row["size"]),
                                      ("stream", "记录流", row["stream"]), ("agency_id", "执法主体", row["agency_id"]),
                                      ("late_upload", "迟延上传", row["late_upload"]),
                                      ("integrity_status", "完整性", row["integrity_status"])):
            if rec[name] is not None and str(rec[name]) != str(db_value):
                report.differs(what, label, db_value, rec[name])
    for evidence_id in added.keys() - seen:
        report.problem(f"台账登记的证据 {evidence_id} 在数据库中不存在（已被删除）。")
