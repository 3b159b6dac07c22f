"""The registry's part of `zhifa verify --deep` (ADR 0017): every registry entry the ledger records
(`registry.created` / `registry.changed` with the fields set, `registry.deleted`) against its row — each recorded
plain field (text, number, date, choice; not relations) must still hold the recorded value, a deleted entry must be
gone and a recorded one present. Rows the demo loader wrote in bulk have no entries and are not compared."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from zhifa.records.deep import DeepReport, entries
from zhifa.registry.entries import ENTRY_TYPES


def _plain(value: Any) -> Any:
    from zhifa.registry.services import _plain as plain

    return plain(value)


def _same(db_value: Any, recorded: Any) -> bool:
    if db_value == recorded:
        return True
    if db_value in (None, "") and recorded in (None, ""):
        return True
    try:
        return Decimal(str(db_value)) == Decimal(str(recorded))
    except (InvalidOperation, ValueError):
        return str(db_value) == str(recorded)


def check_registry(report: DeepReport) -> None:
    state: dict[tuple[str, str], dict[str, Any]] = {}
    for _seq, entry in entries("registry."):
        payload = entry.get("payload") or {}
        slug, public_id = payload.get("entry_type"), payload.get("public_id")
        if not slug or not public_id:
            continue
        rec = state.setdefault((slug, public_id), {"fields": {}, "deleted": False, "title": ""})
        rec["title"] = payload.get("title") or rec["title"]
        event = entry["kind"].removeprefix("registry.")
        if event == "deleted":
            rec["deleted"] = True
        elif event == "created":
            rec["deleted"] = False
        if isinstance(payload.get("fields"), dict):
            rec["fields"].update(payload["fields"])
    by_type: dict[str, list[str]] = {}
    for slug, public_id in state:
        by_type.setdefault(slug, []).append(public_id)
    for slug, ids in by_type.items():
        etype = ENTRY_TYPES.get(slug)
        if etype is None:
            continue
        model = etype.model
        plain_fields = {f.name for f in model._meta.concrete_fields if not f.is_relation}
        rows = {str(obj.public_id): obj for obj in model._default_manager.filter(public_id__in=ids)}  # type: ignore[attr-defined]
        for public_id in ids:
            rec = state[(slug, public_id)]
            what = f"{etype.label} {rec['title'] or public_id}"
            obj = rows.get(public_id)
            report.count("登记信息")
            if obj is None:
                if not rec["deleted"]:
                    report.problem(f"台账登记的{what}（{public_id}）在数据库中不存在（已被删除）。")
                continue
            if rec["deleted"]:
                report.problem(f"{what}（{public_id}）在台账中已删除，数据库中却仍然存在。")
                continue
            for name, recorded in rec["fields"].items():
                if name not in plain_fields:
                    continue
                db_value = _plain(getattr(obj, name))
                if not _same(db_value, recorded):
                    label = getattr(model._meta.get_field(name), "verbose_name", name)
                    report.differs(what, str(label), db_value, recorded)
