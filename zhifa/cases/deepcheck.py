"""The cases app's part of `zhifa verify --deep` (issue 9 defect 3, ADR 0017), registered from `CasesConfig.ready`.

Replays every `case.*` ledger entry in log order and compares what they record with the rows:

- the case exists, with the recorded 案号 (`reference`) and the state of its last transition (`to`);
- the amounts of the last entry that carries them (`amounts`: fine, confiscation, paid — recorded by every
  transition since ADR 0017; older entries carry none and are not compared);
- each party the entries name (`parties`: id, kind, name; with the identity numbers of the action's input), through
  `party_differences`, the one place that knows how parties are recorded.

A case row no entry names, or an entry whose case row is gone, is named too.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from zhifa.cases.engine import AMOUNT_FIELDS, amount_text, detail_of
from zhifa.cases.models import Case, Party, PenaltyDetail
from zhifa.cases.personal import party_ledger_view
from zhifa.records.deep import DeepReport, entries
from zhifa.records.personal import PersonalDataError


def _label(model: Any, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


def recorded_parties(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The parties one entry records: the payload's `parties` (id, kind, name), with the identity numbers of the
    action's input matched by position (registration: input.parties; 登记当事人: the input itself)."""
    listed = payload.get("parties") or []
    data = payload.get("input") or {}
    inputs: list[Any] = data["parties"] if isinstance(data.get("parties"), list) else (
        [data] if "kind" in data and "name" in data else [])
    out = []
    for i, party in enumerate(listed):
        if not isinstance(party, dict) or "id" not in party:
            continue
        merged = dict(party)
        if "copied_from" not in party and i < len(inputs) and isinstance(inputs[i], dict):
            for key in ("id_number", "uscc"):
                if key in inputs[i]:
                    merged[key] = inputs[i][key]
        out.append(merged)
    return out


def party_differences(party: Party, recorded: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(field label, database value, ledger value) for every recorded party field the row no longer has. Only
    what the ledger holds is compared. Entries since ADR 0018 hold `party_ledger_view(party)` (masked names and
    salted commitments of the personal values), recomputed here from the row and the vault; older entries hold the
    name and identity numbers as typed."""
    diffs: list[tuple[str, Any, Any]] = []
    if "commitments" in recorded:
        try:
            view = party_ledger_view(party)
        except PersonalDataError:  # ciphertext, wrapped key or record id edited: the vault's own check refuses it
            return [(str(_("个人信息")), "密文无法解密（被改动）", "—")]
        for name in ("kind", "name", "uscc", "legal_representative", "personal_record"):
            if name in recorded and str(view[name] or "") != str(recorded[name] or ""):
                label = _label(Party, name) if name != "personal_record" else str(_("个人信息记录"))
                diffs.append((label, view[name], recorded[name]))
        # Erased personal data (end of retention) can no longer be compared: not a difference.
        if view["commitments"] is not None and recorded["commitments"] is not None:
            changed = sorted(k for k in set(view["commitments"]) | set(recorded["commitments"])
                             if view["commitments"].get(k) != recorded["commitments"].get(k))
            for key in changed:
                diffs.append((str(_("个人信息（承诺值）")) + f" {key}", "已改变", "与台账不符"))
        return diffs
    for name in ("kind", "name", "id_number", "uscc"):
        if name not in recorded:
            continue
        db_value, ledger_value = str(getattr(party, name) or ""), str(recorded[name] or "")
        if name in ("id_number", "uscc"):  # the row keeps the canonical form
            db_value, ledger_value = db_value.strip().upper(), ledger_value.strip().upper()
        elif name == "name":
            db_value, ledger_value = db_value.strip(), ledger_value.strip()
        if db_value != ledger_value:
            diffs.append((_label(Party, name), getattr(party, name), recorded[name]))
    return diffs


def check_cases(report: DeepReport) -> None:
    cases: dict[str, dict[str, Any]] = {}
    parties: dict[str, tuple[str, dict[str, Any]]] = {}  # party id → (case id, recorded fields)
    for _seq, entry in entries("case."):
        payload = entry.get("payload") or {}
        case_id = payload.get("case_id")
        if not case_id:
            continue
        rec = cases.setdefault(case_id, {})
        if payload.get("reference"):
            rec["reference"] = payload["reference"]
        if "action" in payload and "to" in payload:
            rec["state"] = payload["to"]
        if isinstance(payload.get("amounts"), dict):
            rec["amounts"] = payload["amounts"]
        for listed in recorded_parties(payload):
            parties[listed["id"]] = (case_id, listed)

    seen: set[str] = set()
    for case in Case.objects.select_related("penalty").order_by("pk").iterator(chunk_size=1000):
        case_id = str(case.public_id)
        seen.add(case_id)
        what = f"案件 {case.reference}"
        found_case = cases.get(case_id)
        report.count("案件")
        if found_case is None:
            report.problem(f"{what}（{case_id}）在台账中没有任何记录：该行不是经系统办理产生的。")
            continue
        rec = found_case
        if "reference" in rec and rec["reference"] != case.reference:
            report.differs(what, _label(Case, "reference"), case.reference, rec["reference"])
        if "state" in rec and rec["state"] != case.state:
            report.differs(what, _label(Case, "state"), case.state, rec["state"])
        detail = detail_of(case)
        for name in AMOUNT_FIELDS:
            saved = amount_text(getattr(detail, name, None))
            if "amounts" in rec and name in rec["amounts"] and saved != rec["amounts"][name]:
                report.differs(what, _label(PenaltyDetail, name), saved, rec["amounts"][name])
    for case_id, recorded_case in cases.items():
        if case_id not in seen:
            report.problem(f"台账记录的案件 {recorded_case.get('reference', case_id)}（{case_id}）在数据库中不存在（已被删除）。")

    references = dict(Case.objects.values_list("pk", "reference"))
    found: set[str] = set()
    for party in Party.objects.select_related("personal").order_by("pk").iterator(chunk_size=1000):
        party_id = str(party.public_id)
        found.add(party_id)
        report.count("当事人")
        what = f"案件 {references.get(party.case_id, '?')} 当事人 {party.name}"
        recorded = parties.get(party_id)
        if recorded is None:
            report.problem(f"{what}（{party_id}）在台账中没有登记记录。")
            continue
        for label, db_value, ledger_value in party_differences(party, recorded[1]):
            report.differs(what, label, db_value, ledger_value)
    for party_id, (case_id, recorded_party) in parties.items():
        if party_id not in found:
            ref = cases.get(case_id, {}).get("reference", case_id)
            report.problem(f"台账登记的案件 {ref} 当事人 {recorded_party.get('name', '')}（{party_id}）在数据库中不存在。")
