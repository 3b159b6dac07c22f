"""DS-7 validation of 双公示 records: a record missing a required field, or with an invalid USCC, is refused with the
field named in Chinese and its column code. DS-9: a placeholder USCC (e.g. 00000000000000000X) passes with a warning.

The mandatory flags are the rules' reported recollection, not a confirmed national standard (rules.md §12 item 1):
they are data (`PenaltyRules` / `LicenceRules`), so a deployment can replace them without code changes
(setting `ZHIFA_DUALPUB_PENALTY_RULES`, read by the selectors; ADR 0040). Pure: no Django import."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Final

from zhifa.common.identifiers import IdentifierError, parse_uscc
from zhifa.disclosure.dualpub.records import (
    ID_TYPES,
    LICENCE_CATEGORIES,
    LICENCE_LABELS,
    LICENCE_STATES,
    PARTY_CATEGORIES,
    PARTY_ORGANIZATION,
    PARTY_PERSON,
    PARTY_SOLE_TRADER,
    PENALTY_CATEGORY,
    PENALTY_LABELS,
    LicenceRecord,
    PenaltyRecord,
)


@dataclass(frozen=True)
class Problem:
    code: str  # the column code, e.g. CF_XDR_MC
    label: str  # its Chinese name
    message: str  # Chinese, names the field
    warning: bool = False

    def as_dict(self) -> dict[str, object]:
        return {"column": self.code, "label": self.label, "message": self.message, "warning": self.warning}


# DS-7, always required (penalty).
PENALTY_ALWAYS: Final = ("CF_XDR_MC", "CF_XDR_LB", "CF_WSH", "CF_WFXW", "CF_SY", "CF_YJ", "CF_CFLB", "CF_NR",
                         "CF_JDRQ", "CF_YXQ", "CF_CFJG", "CF_CFJGDM", "CF_SJLY", "CF_SJLYDM")
PENALTY_USCC_COLUMNS: Final = ("CF_XDR_SHXYM", "CF_CFJGDM", "CF_SJLYDM")
LICENCE_ALWAYS: Final = ("XK_XDR_MC", "XK_XDR_LB", "XK_XKLB", "XK_JDRQ", "XK_YXQZ", "XK_YXQZI", "XK_XKJG",
                         "XK_XKJGDM", "XK_ZT", "XK_LYDW", "XK_LYDWDM")
LICENCE_USCC_COLUMNS: Final = ("XK_XDR_SHXYM", "XK_XKJGDM", "XK_LYDWDM")
_FINE = PENALTY_CATEGORY["fine"]
_CONFISCATIONS = (PENALTY_CATEGORY["confiscate_gains"], PENALTY_CATEGORY["confiscate_property"])
_LICENCE_ACTIONS = (PENALTY_CATEGORY["suspend_license"], PENALTY_CATEGORY["revoke_license"])


@dataclass(frozen=True)
class PenaltyRules:
    """DS-7 for penalty records. Every flag is configurable (unconfirmed against the current national standard)."""

    always: tuple[str, ...] = PENALTY_ALWAYS
    organization_needs_uscc_and_representative: bool = True  # 法人及非法人组织 / 个体工商户: 代码_1 + 法定代表人
    person_needs_id: bool = True  # 自然人: 证件类型 + 证件号码
    fine_needs_amount: bool = True
    confiscation_needs_amount: bool = True
    licence_action_needs_licence: bool = True  # 暂扣/吊销: 证照名称及编号
    uscc_columns: tuple[str, ...] = field(default=PENALTY_USCC_COLUMNS)


@dataclass(frozen=True)
class LicenceRules:
    always: tuple[str, ...] = LICENCE_ALWAYS
    organization_needs_uscc_and_representative: bool = True
    person_needs_id: bool = True
    uscc_columns: tuple[str, ...] = field(default=LICENCE_USCC_COLUMNS)


def _missing(code: str, labels: dict[str, str], why: str = "") -> Problem:
    label = labels[code]
    return Problem(code, label, f"缺少必填项“{label}”（{code}）{why}")


def _check_uscc(value: str, code: str, labels: dict[str, str]) -> Problem | None:
    try:
        parse_uscc(value)
    except IdentifierError as exc:
        label = labels[code]
        if exc.code == "placeholder":  # DS-9: accepted in the export only, with a warning
            return Problem(code, label, f"“{label}”（{code}）是占位代码，仅在导出中接受，请尽快补正", warning=True)
        return Problem(code, label, f"“{label}”（{code}）无效：{exc.message}")
    return None


def _common(values: dict[str, str], labels: dict[str, str], *, prefix: str, always: tuple[str, ...],
            uscc_columns: tuple[str, ...], org_rule: bool, person_rule: bool) -> list[Problem]:
    problems = [_missing(code, labels) for code in always if not values.get(code, "").strip()]
    category = values[f"{prefix}_XDR_LB"].strip()
    if category and category not in PARTY_CATEGORIES:
        code = f"{prefix}_XDR_LB"
        problems.append(Problem(code, labels[code], f"“{labels[code]}”（{code}）应为{'、'.join(PARTY_CATEGORIES)}之一"))
    if org_rule and category in (PARTY_ORGANIZATION, PARTY_SOLE_TRADER):
        why = f"（相对人类别为{category}时必填）"
        for code in (f"{prefix}_XDR_SHXYM", f"{prefix}_FRDB"):
            if not values[code].strip():
                problems.append(_missing(code, labels, why))
    if person_rule and category == PARTY_PERSON:
        why = "（相对人类别为自然人时必填）"
        for code in (f"{prefix}_XDR_ZJLX", f"{prefix}_XDR_ZJHM"):
            if not values[code].strip():
                problems.append(_missing(code, labels, why))
    for code in (f"{prefix}_XDR_ZJLX", f"{prefix}_FR_ZJLX"):
        if values[code].strip() and values[code].strip() not in ID_TYPES:
            problems.append(Problem(code, labels[code], f"“{labels[code]}”（{code}）应为代码 01–05"))
    for code in uscc_columns:
        if values.get(code, "").strip():
            problem = _check_uscc(values[code], code, labels)
            if problem is not None:
                problems.append(problem)
    return problems


def validate_penalty(record: PenaltyRecord, rules: PenaltyRules | None = None) -> list[Problem]:
    """DS-7 problems of a penalty record (warnings included, `warning=True`); refused if any is not a warning."""
    rules = rules or PenaltyRules()
    values = asdict(record)
    problems = _common(values, PENALTY_LABELS, prefix="CF", always=rules.always, uscc_columns=rules.uscc_columns,
                       org_rule=rules.organization_needs_uscc_and_representative, person_rule=rules.person_needs_id)
    categories = record.categories
    unknown = [c for c in categories if c not in PENALTY_CATEGORY.values()]
    if unknown:
        problems.append(Problem("CF_CFLB", PENALTY_LABELS["CF_CFLB"],
                                f"“处罚类别”（CF_CFLB）含有未知类别：{'、'.join(unknown)}"))
    if rules.fine_needs_amount and _FINE in categories and not record.CF_NR_FK.strip():
        problems.append(_missing("CF_NR_FK", PENALTY_LABELS, "（处罚类别含罚款时必填）"))
    if rules.confiscation_needs_amount and any(c in categories for c in _CONFISCATIONS) \
            and not record.CF_NR_WFFF.strip():
        problems.append(_missing("CF_NR_WFFF", PENALTY_LABELS, "（处罚类别含没收时必填）"))
    if rules.licence_action_needs_licence and any(c in categories for c in _LICENCE_ACTIONS) \
            and not record.CF_NR_ZKDX.strip():
        problems.append(_missing("CF_NR_ZKDX", PENALTY_LABELS, "（处罚类别含暂扣或吊销许可证件时必填）"))
    return problems


def validate_licence(record: LicenceRecord, rules: LicenceRules | None = None) -> list[Problem]:
    rules = rules or LicenceRules()
    values = asdict(record)
    problems = _common(values, LICENCE_LABELS, prefix="XK", always=rules.always, uscc_columns=rules.uscc_columns,
                       org_rule=rules.organization_needs_uscc_and_representative, person_rule=rules.person_needs_id)
    if record.XK_XKLB.strip() and record.XK_XKLB.strip() not in LICENCE_CATEGORIES:
        problems.append(Problem("XK_XKLB", LICENCE_LABELS["XK_XKLB"], "“许可类别”（XK_XKLB）应为代码 01–06"))
    if record.XK_ZT.strip() and record.XK_ZT.strip() not in LICENCE_STATES:
        problems.append(Problem("XK_ZT", LICENCE_LABELS["XK_ZT"], "“当前状态”（XK_ZT）应为 1（有效）或 2（无效）"))
    return problems


def refused(problems: list[Problem]) -> bool:
    return any(not p.warning for p in problems)
