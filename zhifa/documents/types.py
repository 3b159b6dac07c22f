"""The enforcement document types (执法文书, DOC-1) and the context contract every renderer reads.

A document is rendered from a plain context dict. The caller (the cases app, later review) builds it; this app
fills `number` (文号, numbered types only), `issued_on` (if absent) and any absent `agency` key from the registry.
Templates tolerate every absent optional key; `missing_fields` names the absent *required* ones, and
`services.document_issue` refuses to issue while any is missing (DOC-5 … DOC-12, CASE-6, CASE-42).

Context keys
============

Common to every type:

====================  =======================================================================================
key                   value
====================  =======================================================================================
agency                {name, short_name, address, phone, reconsideration_body (复议机关), litigation_court (管辖法院)}
number                文号, e.g. "临水罚决〔2026〕3号" (filled by `document_issue` for numbered types; never by callers)
issued_on             date the document is issued (defaults to the `on` argument of `document_issue`)
case                  {reference (案号), title, cause (案由), filed_on (date|None), source (案件来源), place (违法地点),
                      act_date (违法行为发生日期, date|None), handling_unit (承办机构)}
party                 {kind_label ("自然人" / "法人或者其他组织"), name, id_label ("公民身份号码" / "统一社会信用代码"),
                      id_number, address, phone, legal_representative, age_note}
parties               list of party dicts (joint cases; templates print `party` and list the others)
officers              list of {name, certificate_number (执法证号)}
====================  =======================================================================================

Content keys (each type reads the ones its template needs; see `DocumentType.shows` and `required`):

====================  =======================================================================================
facts                 str: facts of the violation (违法事实)
evidence              list[str]: evidence items (证据)
legal_basis           str: legal basis (法律依据: the provisions violated and applied)
penalty               str: penalty type(s) and amounts as text (处罚种类和幅度)
fine_amount           Decimal|None: the fine, printed in capitals (伍仟元整) where shown
performance           str: manner and deadline of performance (履行方式和期限)
remedies              str: routes and deadlines for 行政复议 and 行政诉讼
decided_on            date the decision was made
reason                str: free reason / opinion / grounds (理由)
rights                str: the party's rights and how to exercise them (陈述、申辩、听证 …)
deadline              date|None: a due date (defense/hearing request, payment, disposal …)
items                 list of {name, spec, quantity, note}: preserved articles (先行登记保存物品)
record                {started_at, ended_at (datetimes), place, recorder, subject (被询问/被检查人),
                      certificate_shown (bool: 执法证件已出示), content (str), qa (list of {q, a}),
                      refusal_note (拒签说明), av_reference (音像记录编号)}
hearing               {date, time, place, host (主持人), public (bool), participants (str), investigators_case
                      (调查人员意见), defense (当事人陈述申辩和质证), record (str), signed_note (签字/拒签说明)}
service               {document_name, document_number, recipient, method_label (送达方式), place, served_on,
                      refusal_note (留置送达事由), witnesses (见证人)}
review                {conclusion, items (list of {label, result, note}), reviewer, received_on, opinion}
opinion               str: a body's opinion (承办人意见 / 讨论结论 …)
approvals             list of {role, name, opinion, date}: approval chain on 审批表
====================  =======================================================================================

`missing_fields` treats None, "", whitespace-only strings, empty lists/dicts and False as empty. A path ending in
"[]" plus a sub key ("officers[].certificate_number") requires a non-empty list whose every element has the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Required = tuple[str, str, str]  # (context path, Chinese label, rule id)


@dataclass(frozen=True)
class DocumentType:
    code: str
    name: str
    template: str  # base name: documents/<template>.html and docx_templates/<template>.docx
    numbered: bool = False
    number_prefix: str = ""
    required: tuple[Required, ...] = ()
    orientation: str = "portrait"  # A4 portrait for every standard form; "landscape" is honoured by the base CSS
    kind: str = "prose"  # "prose" (notices, decisions) or "form" (审批表, 笔录, 登记表: bordered tables)
    shows: tuple[str, ...] = field(default=())  # content keys printed verbatim (the render tests look for them)

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(rule for _p, _l, rule in self.required))


# --- required-field groups (rule ids from ../shared/domain/rules.md) ------------------------------------------

PARTY_NAME: Required = ("party.name", "当事人名称或者姓名", "DOC-1")


def _rule(items: tuple[Required, ...], rule: str) -> tuple[Required, ...]:
    return tuple((p, label, rule) for p, label, _r in items)


CASE42: tuple[Required, ...] = (  # APL Art. 59: the six items of a 行政处罚决定书
    ("party.name", "当事人名称或者姓名", "CASE-42"),
    ("party.address", "当事人住址", "CASE-42"),
    ("facts", "违反法律、法规、规章的事实", "CASE-42"),
    ("evidence", "证据", "CASE-42"),
    ("penalty", "行政处罚的种类", "CASE-42"),
    ("legal_basis", "行政处罚的依据", "CASE-42"),
    ("performance", "履行方式和期限", "CASE-42"),
    ("remedies", "申请行政复议、提起行政诉讼的途径和期限", "CASE-42"),
    ("agency.name", "作出决定的行政机关名称", "CASE-42"),
    ("decided_on", "作出决定的日期", "CASE-42"),
)

CASE6: tuple[Required, ...] = (  # APL Art. 52 / CASE-6: on-the-spot decision form
    ("party.name", "当事人名称或者姓名", "DOC-6"),
    ("facts", "违法行为", "DOC-6"),
    ("penalty", "行政处罚的种类", "DOC-6"),
    ("legal_basis", "行政处罚的依据", "DOC-6"),
    ("decided_on", "作出处罚的时间", "DOC-6"),
    ("case.place", "作出处罚的地点", "DOC-6"),
    ("remedies", "申请行政复议、提起行政诉讼的途径和期限", "DOC-6"),
    ("agency.name", "行政机关名称", "DOC-6"),
    ("officers", "执法人员", "DOC-6"),
)

PRIOR_NOTICE: tuple[Required, ...] = (  # APL Art. 44 / DOC-9
    ("party.name", "当事人名称或者姓名", "DOC-9"),
    ("penalty", "拟作出的行政处罚内容", "DOC-9"),
    ("facts", "违法事实", "DOC-9"),
    ("reason", "拟作出行政处罚的理由", "DOC-9"),
    ("legal_basis", "拟作出行政处罚的依据", "DOC-9"),
    ("rights", "当事人依法享有的权利", "DOC-9"),
    ("deadline", "行使权利的期限", "DOC-9"),
)

RECORD_HEADER: tuple[Required, ...] = (  # APL Art. 42, 55 / DOC-12
    ("record.started_at", "开始时间", "DOC-12"),
    ("record.ended_at", "结束时间", "DOC-12"),
    ("record.place", "地点", "DOC-12"),
    ("officers", "执法人员", "DOC-12"),
    ("officers[].certificate_number", "执法人员执法证件号码", "DOC-12"),
    ("record.recorder", "记录人", "DOC-12"),
    ("party.name", "被询问（检查）人身份", "DOC-12"),
    ("record.certificate_shown", "已出示执法证件的确认", "DOC-12"),
)


def _t(code: str, name: str, **kw: Any) -> DocumentType:
    return DocumentType(code=code, name=name, template=code, **kw)


DOCUMENT_TYPES: dict[str, DocumentType] = {t.code: t for t in [
    _t("case_source_register", "案件来源登记表", kind="form", shows=("facts",),
       required=(("case.source", "案件来源", "DOC-1"), ("facts", "基本案情", "DOC-1"))),
    _t("filing_approval", "立案审批表", kind="form", shows=("facts", "legal_basis"),
       required=(PARTY_NAME, ("case.cause", "案由", "DOC-1"), ("facts", "简要案情", "DOC-1"),
                 ("opinion", "承办人意见", "DOC-1"))),
    _t("not_filing_approval", "不予立案审批表", kind="form", shows=("facts", "reason"),
       required=(("facts", "简要案情", "DOC-1"), ("reason", "不予立案理由", "DOC-1"))),
    _t("inspection_record", "现场检查（勘验）笔录", kind="form",
       required=(*RECORD_HEADER, ("record.content", "检查（勘验）情况", "DOC-12"))),
    _t("inquiry_record", "询问笔录", kind="form",
       required=(*RECORD_HEADER, ("record.qa", "询问内容", "DOC-12"))),
    _t("preservation_notice", "证据先行登记保存通知书", numbered=True, number_prefix="先保", shows=("legal_basis",),
       required=(PARTY_NAME, ("items", "先行登记保存物品清单", "DOC-1"), ("legal_basis", "法律依据", "DOC-1"),
                 ("deadline", "处理期限", "DOC-1"))),
    _t("preservation_disposal_notice", "先行登记保存物品处理通知书", numbered=True, number_prefix="先处",
       shows=("reason",),
       required=(PARTY_NAME, ("items", "物品清单", "DOC-1"), ("reason", "处理决定", "DOC-1"))),
    _t("investigation_report", "调查终结报告", shows=("facts", "legal_basis"),
       required=(PARTY_NAME, ("facts", "违法事实", "DOC-1"), ("evidence", "证据", "DOC-1"),
                 ("legal_basis", "法律依据", "DOC-1"), ("opinion", "处理意见", "DOC-1"))),
    _t("prior_notice", "行政处罚事先告知书", numbered=True, number_prefix="罚告", shows=("facts", "legal_basis"),
       required=PRIOR_NOTICE),
    _t("hearing_right_notice", "行政处罚听证告知书", numbered=True, number_prefix="听告",
       shows=("facts", "legal_basis"), required=PRIOR_NOTICE),
    _t("defense_record", "陈述申辩笔录", kind="form",
       required=(PARTY_NAME, ("record.started_at", "开始时间", "DOC-12"), ("record.place", "地点", "DOC-12"),
                 ("record.content", "陈述申辩内容", "DOC-1"), ("officers", "执法人员", "DOC-12"))),
    _t("hearing_notice", "听证通知书", numbered=True, number_prefix="听通",
       required=(PARTY_NAME, ("hearing.date", "听证日期", "DOC-1"), ("hearing.place", "听证地点", "DOC-1"),
                 ("hearing.host", "听证主持人", "DOC-1"))),
    _t("hearing_record", "听证笔录", kind="form",
       required=(PARTY_NAME, ("hearing.date", "听证日期", "DOC-10"), ("hearing.place", "听证地点", "DOC-10"),
                 ("hearing.host", "听证主持人", "DOC-10"), ("hearing.participants", "听证参加人", "DOC-10"),
                 ("hearing.investigators_case", "调查人员提出的违法事实、证据和处罚建议", "DOC-10"),
                 ("hearing.defense", "当事人的陈述申辩和质证意见", "DOC-10"))),
    _t("legal_review_opinion", "法制审核意见书", kind="form",
       required=(("case.title", "案件名称", "DOC-14"), ("case.handling_unit", "送审机构", "DOC-14"),
                 ("review.items", "审核事项及结果", "DOC-14"), ("review.conclusion", "审核结论", "DOC-14"),
                 ("review.reviewer", "审核人员", "DOC-14"))),
    _t("collective_discussion_record", "重大案件集体讨论笔录", kind="form",
       required=(("case.title", "案件名称", "DOC-1"), ("record.started_at", "讨论时间", "DOC-1"),
                 ("record.place", "讨论地点", "DOC-1"), ("hearing.participants", "参加人员", "DOC-1"),
                 ("record.content", "讨论记录", "DOC-1"), ("opinion", "讨论决定", "DOC-1"))),
    _t("penalty_decision", "行政处罚决定书", numbered=True, number_prefix="罚决",
       shows=("facts", "legal_basis", "remedies"), required=CASE42),
    _t("no_penalty_decision", "不予行政处罚决定书", numbered=True, number_prefix="不罚",
       shows=("facts", "legal_basis", "remedies"),
       required=(*_rule(CASE42[:4], "DOC-1"), ("reason", "不予行政处罚的理由", "DOC-1"),
                 ("legal_basis", "不予行政处罚的依据", "DOC-1"),
                 ("remedies", "申请行政复议、提起行政诉讼的途径和期限", "DOC-1"),
                 ("agency.name", "作出决定的行政机关名称", "DOC-1"), ("decided_on", "作出决定的日期", "DOC-1"))),
    _t("on_site_decision", "当场行政处罚决定书", numbered=True, number_prefix="当罚",
       shows=("facts", "legal_basis", "remedies"), required=CASE6),
    _t("service_receipt", "送达回证", kind="form",
       required=(("service.document_name", "送达文书名称", "DOC-11"), ("service.recipient", "受送达人", "DOC-11"),
                 ("service.method_label", "送达方式", "DOC-11"), ("service.place", "送达地点", "DOC-11"))),
    _t("education_record", "批评教育记录", kind="form", shows=("facts",),
       required=(PARTY_NAME, ("facts", "违法事实", "DOC-1"), ("record.content", "批评教育内容", "DOC-1"))),
    _t("payment_reminder", "履行催告书", numbered=True, number_prefix="催告", shows=("performance",),
       required=(("party.name", "当事人名称或者姓名", "DOC-8"), ("performance", "履行义务的内容、方式和期限", "DOC-8"),
                 ("deadline", "履行期限", "DOC-8"), ("rights", "当事人依法享有的陈述权和申辩权", "DOC-8"))),
    _t("enforcement_application", "强制执行申请书", numbered=True, number_prefix="强申",
       shows=("facts", "legal_basis"),
       required=(("party.name", "被执行人名称或者姓名", "DOC-8"), ("party.address", "被执行人住址", "DOC-8"),
                 ("facts", "申请执行的事实和理由", "DOC-8"), ("penalty", "申请执行的内容", "DOC-8"),
                 ("legal_basis", "法律依据", "DOC-8"), ("agency.litigation_court", "受理申请的人民法院", "DOC-8"))),
    _t("transfer_letter", "涉嫌犯罪案件移送书", numbered=True, number_prefix="移送", shows=("facts", "legal_basis"),
       required=(PARTY_NAME, ("facts", "涉嫌犯罪的事实", "DOC-1"), ("legal_basis", "移送依据", "DOC-1"),
                 ("reason", "移送理由", "DOC-1"))),
    _t("closing_approval", "结案审批表", kind="form", shows=("reason",),
       required=(PARTY_NAME, ("case.reference", "案号", "DOC-1"), ("reason", "结案理由", "DOC-1"))),
    _t("inspection_check_record", "行政检查记录", kind="form",
       required=(*_rule(RECORD_HEADER, "DOC-12"), ("record.content", "检查情况", "DOC-2"))),
    _t("inspection_result_notice", "行政检查结果告知书", numbered=True, number_prefix="检告", shows=("reason",),
       required=(PARTY_NAME, ("reason", "检查结果", "DOC-2"), ("decided_on", "检查日期", "DOC-2"))),
]}


def lookup(context: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path ("party.name"); None if any step is absent."""
    value: Any = context
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        else:
            value = getattr(value, part, None)
        if value is None:
            return None
    return value


def is_empty(value: Any) -> bool:
    if value is None or value is False:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | dict | set):
        return len(value) == 0
    return False


def _path_missing(context: Mapping[str, Any], path: str) -> bool:
    if "[]." in path:
        head, sub = path.split("[].", 1)
        rows = lookup(context, head)
        if not isinstance(rows, list | tuple) or not rows:
            return True
        return any(is_empty(lookup(row, sub) if isinstance(row, Mapping) else None) for row in rows)
    return is_empty(lookup(context, path))


def missing_fields(code: str, context: Mapping[str, Any]) -> list[str]:
    """The Chinese labels of the required values of this type that are empty in `context`, in declaration order."""
    doc_type = DOCUMENT_TYPES[code]
    return [label for path, label, _rule_id in doc_type.required if _path_missing(context, path)]


def missing_rules(code: str, context: Mapping[str, Any]) -> list[str]:
    """The rule ids behind the missing values (for the error's `rule`)."""
    doc_type = DOCUMENT_TYPES[code]
    return list(dict.fromkeys(r for path, _l, r in doc_type.required if _path_missing(context, path)))
