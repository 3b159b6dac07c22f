"""Procedure steps, responsibility texts, discretion bands and the three lists of the demo (data and pure helpers).

Time limits appear only where ../shared/domain/rules.md (or the cited article itself) states them; each step
carries its rule id in `rule_ref`. A step without a statutory limit has none rather than an invented one.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from zhifa.registry.models import ActionType, DayKind, RecordingRequirement

WD, CD = DayKind.WORKING, DayKind.CALENDAR

# (name, description, days, kind, rule)
Step = tuple[str, str, int | None, str, str]

PENALTY_STEPS: tuple[Step, ...] = (
    ("立案", "对符合立案标准的，经机关负责人批准及时立案；立案之日起算办案期限。", None, "", "CASE-2"),
    ("调查取证", "由两名以上持有效执法证件的执法人员调查，主动出示执法证件，制作询问、检查笔录。", None, "", "CASE-9"),
    ("调查终结审查", "机关负责人对调查结果进行审查，根据不同情况分别作出处理。", None, "", "CASE-13"),
    ("事先告知", "告知拟作出的行政处罚内容及事实、理由、依据，以及陈述、申辩、要求听证的权利。", None, "", "CASE-29"),
    ("听证申请", "符合听证条件的，当事人在被告知后五个工作日内提出听证要求。", 5, WD, "CASE-35"),
    ("听证通知", "在举行听证的七个工作日前，通知当事人及有关人员听证的时间、地点。", 7, WD, "CASE-36"),
    ("法制审核", "属于重大执法决定法制审核目录清单的，作出决定前由法制机构审核，收到完整送审材料后五个工作日内审核完毕。",
     5, WD, "REV-6"),
    ("作出决定", "自立案之日起九十日内作出行政处罚决定（法律、法规、规章另有规定的除外）。", 90, CD, "CASE-44"),
    ("送达", "宣告后当场交付当事人；当事人不在场的，在七个工作日内依照民事诉讼法的有关规定送达。", 7, WD, "CASE-46"),
    ("执行", "当事人自收到行政处罚决定书之日起十五日内，到指定银行或者通过电子支付系统缴纳罚款。", 15, CD, "CASE-51"),
)

INSPECTION_STEPS: tuple[Step, ...] = (
    ("检查准备", "制定检查方案，确定两名以上执法人员；随机抽查事项随机抽取检查对象、随机选派执法检查人员。", None, "", "REG-9"),
    ("出示证件", "检查时主动出示行政执法证件，告知检查事由和当事人的权利义务。", None, "", "REG-11"),
    ("实施检查", "现场检查并制作检查笔录，按音像记录事项清单进行音像记录。", None, "", "CASE-9"),
    ("处理", "发现违法行为的，依法责令改正；符合立案标准的转入立案程序。", None, "", "CASE-2"),
    ("结果公开", "检查结果自作出之日起二十个工作日内公开。", 20, WD, "DISC-10"),
)

LICENSE_STEPS: tuple[Step, ...] = (
    ("受理", "申请材料不齐全或者不符合法定形式的，当场或者在五个工作日内一次告知申请人需要补正的全部内容。", 5, WD, "LIC-2"),
    ("审查", "对申请材料进行审查；需要对实质内容进行核查的，指派两名以上工作人员核查。", None, "", "LIC-4"),
    ("决定", "自受理之日起二十个工作日内作出决定，经本机关负责人批准可延长十个工作日（法律、法规另有规定的，依照其规定）。",
     20, WD, "LIC-5"),
    ("颁发、送达证件", "作出准予行政许可决定之日起十个工作日内颁发、送达行政许可证件。", 10, WD, "LIC-9"),
    ("结果公开", "行政许可决定自作出之日起七个工作日内公开。", 7, WD, "DISC-9"),
)

MEASURE_STEPS: tuple[Step, ...] = (
    ("报批", "实施前向行政机关负责人报告并经批准；情况紧急当场实施的，二十四小时内报告并补办批准手续。", None, "", "ENF-2"),
    ("实施", "由两名以上执法人员实施，出示执法证件，通知当事人到场，当场告知理由、依据和权利，制作现场笔录。", None, "",
     "ENF-2"),
    ("交付决定书和清单", "当场交付查封、扣押决定书和清单。", None, "", "ENF-6"),
    ("查封、扣押期限", "期限不超过三十日；情况复杂的，经机关负责人批准可以延长，延长期限不超过三十日。", 30, CD, "ENF-7"),
    ("作出处理决定", "在查封、扣押期限内作出没收、销毁或者解除查封、扣押的决定。", None, "", "ENF-8"),
)

DEMOLITION_STEPS: tuple[Step, ...] = (
    ("催告", "作出强制执行决定前，事先书面催告当事人履行义务。", None, "", "ENF-10"),
    ("陈述申辩", "当事人有权陈述和申辩，行政机关应当记录、复核。", None, "", "ENF-10"),
    ("强制执行决定", "当事人逾期仍不履行的，作出书面强制执行决定并送达。", None, "", "ENF-11"),
    ("公告", "对违法的建筑物、构筑物、设施需要强制拆除的，予以公告，限期当事人自行拆除。", None, "", "ENF-15"),
    ("实施强制拆除", "当事人在法定期限内不申请行政复议或者提起行政诉讼又不拆除的，依法强制拆除；不在夜间或者法定节假日实施。",
     None, "", "ENF-14"),
)

RESPONSIBILITY: dict[str, str] = {
    ActionType.PENALTY: "1. 立案责任；2. 调查取证责任；3. 审查责任；4. 告知责任；5. 法制审核责任；6. 决定责任；7. 送达责任；"
    "8. 执行责任；9. 法律、法规、规章规定应当履行的其他责任。",
    ActionType.INSPECTION: "1. 检查计划和方案制定责任；2. 检查实施责任；3. 检查结果处理和公开责任；4. 法律、法规、规章规定应当"
    "履行的其他责任。",
    ActionType.LICENSE: "1. 受理责任；2. 审查责任；3. 决定责任；4. 送达责任；5. 事后监管责任；6. 法律、法规、规章规定应当"
    "履行的其他责任。",
    ActionType.COERCION: "1. 审批责任；2. 告知和催告责任；3. 决定责任；4. 实施责任；5. 事后处理责任；6. 法律、法规、规章规定"
    "应当履行的其他责任。",
}

ACCOUNTABILITY = (
    "因不履行或者不正确履行行政职责，有下列情形之一的，依法追究相关工作人员的责任：1. 没有法律或者事实依据实施的；"
    "2. 违反法定程序实施的；3. 擅自改变种类、幅度或者超越法定权限的；4. 应当移送司法机关而不移送的；"
    "5. 滥用职权、玩忽职守、徇私舞弊的；6. 其他违反法律、法规、规章规定的行为。"
)


def steps_for(action_type: str, *, demolition: bool = False) -> tuple[Step, ...]:
    if action_type == ActionType.PENALTY:
        return PENALTY_STEPS
    if action_type == ActionType.INSPECTION:
        return INSPECTION_STEPS
    if action_type == ActionType.LICENSE:
        return LICENSE_STEPS
    return DEMOLITION_STEPS if demolition else MEASURE_STEPS


# Discretion bands (docs/decisions/0007: a demo formula, not an official benchmark; rules.md §12 item 13).
BAND_CIRCUMSTANCES = (
    ("轻微", "初次违法且危害后果轻微并及时改正的。"),
    ("一般", "违法情节一般，在责令改正期限内改正，未造成明显危害后果的。"),
    ("较重", "违法行为持续时间较长、造成一定危害后果，或者拒不改正的。"),
    ("严重", "造成严重危害后果或者恶劣社会影响，或者一年内再次实施同一违法行为的。"),
)
_SPLITS = (Decimal("0.3"), Decimal("0.7"))


def _round100(value: Decimal) -> Decimal:
    return (value / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP) * 100


def _yuan(value: Decimal) -> str:
    return f"{int(value)}元"


def fine_tier(penalty: dict[str, Any]) -> dict[str, Any] | None:
    """The first tier of a parsed penalty with a fixed fine cap and no proportional fine (bands need one)."""
    for tier in penalty.get("tiers") or []:
        if tier.get("fine_max_cny") and not tier.get("multiple_of"):
            return tier
    return None


def bands(tier: dict[str, Any]) -> list[dict[str, Any]]:
    """Four tiers inside the statutory range of `tier`: 轻微 (no penalty, APL Art. 33), then 30 % / 70 % splits."""
    low = Decimal(tier["fine_min_cny"] or 0)
    high = Decimal(tier["fine_max_cny"])
    cut1, cut2 = (_round100(low + (high - low) * s) for s in _SPLITS)
    floor_label = _yuan(low) + "以上" if tier["fine_min_cny"] else ""
    rows = [
        (None, None, "可以不予行政处罚，依法予以批评教育并责令改正（《中华人民共和国行政处罚法》第三十三条）。"),
        (low if tier["fine_min_cny"] else None, cut1, f"责令改正，处{floor_label}{_yuan(cut1)}以下罚款。"),
        (cut1, cut2, f"责令改正，处{_yuan(cut1)}以上{_yuan(cut2)}以下罚款。"),
        (cut2, high, f"责令改正，处{_yuan(cut2)}以上{_yuan(high)}以下罚款。"),
    ]
    return [
        {"order": i + 1, "degree": degree, "circumstances": circumstances, "penalty": text,
         "fine_min": fmin, "fine_max": fmax}
        for i, ((degree, circumstances), (fmin, fmax, text)) in enumerate(zip(BAND_CIRCUMSTANCES, rows, strict=True))
    ]


# 音像记录事项清单 (REC-3 full-process steps, REC-4 dispute-prone steps; which steps each seed names).
AV_DISPUTE_STEPS: tuple[tuple[str, str], ...] = (
    ("现场检查（现场勘查）", "现场执法、现场检查和现场勘查容易引发争议，进行音像记录（REC-4）。"),
    ("调查取证", "询问、抽样取证、证据先行登记保存等调查取证过程（REC-4）。"),
    ("举行听证", "听证全过程音像记录，与听证笔录一并归档（REC-4）。"),
    ("留置送达", "受送达人拒绝接收的，以音像记录留置送达过程（REC-4）。"),
    ("公告送达", "张贴公告等公告送达过程（REC-4）。"),
)
AV_EXTRA_STEPS: dict[str, tuple[tuple[str, str], ...]] = {
    "000": (("亮证执法", "出示行政执法证件的过程（S000 要求推行全程音像记录）。"),),
    "004": (
        ("随机抽查", "“双随机”抽查的现场检查过程（S004）。"),
        ("证据保全", "证据先行登记保存的过程（S004）。"),
    ),
}


def av_requirement(conditional: bool) -> str:
    return RecordingRequirement.CONDITIONAL if conditional else RecordingRequirement.REQUIRED


def review_catalog(person: int, organization: int, *, has_coercion: bool, has_license: bool) -> list[dict[str, Any]]:
    """重大执法决定法制审核目录清单 (REV-2/REV-3). Amounts are this agency's own configured standard."""
    amount_note = (
        f"罚没金额标准由本机关结合执法层级、领域和涉案金额确定（演示配置值：公民{person}元、法人或者其他组织"
        f"{organization}元，均含本数），不是法定标准。"
    )
    rows: list[dict[str, Any]] = [
        {"title": "较大数额罚没款的行政处罚决定", "action_type": ActionType.PENALTY,
         "amount_threshold_person": str(person), "amount_threshold_organization": str(organization),
         "note": amount_note},
        {"title": "吊销许可证件、责令停产停业、责令关闭、限制从业等行政处罚决定", "action_type": ActionType.PENALTY,
         "penalty_kinds": ["吊销许可证", "限制开展生产经营活动", "责令停产停业", "责令关闭", "限制从业"],
         "note": "直接关系当事人或者第三人重大权益的处罚种类（REV-2）。"},
        {"title": "经过听证程序作出的行政处罚决定", "action_type": ActionType.PENALTY, "when_hearing_held": True,
         "note": "凡经过听证程序的，均应当进行法制审核（REV-2、CASE-40）。"},
        {"title": "案情疑难复杂、涉及多个法律关系的行政处罚决定", "action_type": ActionType.PENALTY,
         "when_complex": True, "when_multiple_legal_relations": True, "note": "REV-2。"},
        {"title": "涉及重大公共利益或者社会关注度高的行政处罚决定", "action_type": ActionType.PENALTY,
         "when_public_interest": True, "when_high_attention": True, "note": "REV-2。"},
    ]
    if has_coercion:
        rows.append({"title": "涉及重大公共利益、社会关注度高或者案情复杂的行政强制决定", "action_type": ActionType.COERCION,
                     "when_public_interest": True, "when_high_attention": True, "when_complex": True,
                     "note": "查封、扣押财产和强制拆除等（REV-2、REV-4）。"})
    if has_license:
        rows.append({"title": "经过听证程序或者涉及重大公共利益的行政许可决定", "action_type": ActionType.LICENSE,
                     "when_hearing_held": True, "when_public_interest": True, "note": "REV-2、REV-4。"})
    return rows
