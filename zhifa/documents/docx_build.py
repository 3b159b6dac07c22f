"""Builds the DOCX templates in docx_templates/ (one per document type) with python-docx, so that they are
reproducible and reviewable as code. Run after changing a layout:

    .venv/bin/python -m zhifa.documents.docx_build

The templates hold docxtpl (Jinja) tags; loops use paragraph tags (`{%p for %}` … `{%p endfor %}`), which remove
their own paragraphs. Jinja reads dict keys as attributes, except where a key shadows a dict method: `review.items`
must be written `review["items"]`. Fonts: Word users get 仿宋/黑体 (East Asian) with Times New Roman for Latin text;
the deploying agency may swap in its licensed GB/T 9704 fonts.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from zhifa.documents.types import DOCUMENT_TYPES

OUT = Path(__file__).resolve().parent / "docx_templates"

Block = str | tuple[str, ...]

PARTY: list[Block] = [
    "当事人：{{ party.name }}",
    "{% if party.id_number %}{{ party.id_label }}：{{ party.id_number }}{% endif %}",
    "{% if party.legal_representative %}法定代表人（负责人）：{{ party.legal_representative }}{% endif %}",
    "住所（住址）：{{ party.address }}",
    "{% if party.phone %}联系电话：{{ party.phone }}{% endif %}",
]
OFFICERS = "执法人员：{% for o in officers %}{{ o.name }}（执法证号{{ o.certificate_number }}）{% if not loop.last %}、{% endif %}{% endfor %}"
RECORD_HEAD: list[Block] = [
    "时间：{{ record.started_at|cn_datetime }} 至 {{ record.ended_at|cn_datetime }}",
    "地点：{{ record.place }}",
    OFFICERS,
    "记录人：{{ record.recorder }}　音像记录编号：{{ record.av_reference }}",
    *PARTY,
    "执法人员{% if record.certificate_shown %}已{% else %}未{% endif %}向当事人出示执法证件，告知当事人依法享有陈述权、申辩权"
    "以及申请执法人员回避的权利。",
]
RECORD_CLOSE: list[Block] = [
    "以上笔录{% if record.refusal_note %}当事人拒绝签字：{{ record.refusal_note }}{% else %}已交当事人核对，确认无误。{% endif %}",
    "当事人（签名）：　　　　　　执法人员（签名）：　　　　　　记录人（签名）：",
]
EVIDENCE: list[Block] = [("loop", "e in evidence", "{{ loop.index }}. {{ e }}")]
APPROVALS: list[Block] = [("loop", "a in approvals", "{{ a.role }}：{{ a.opinion }}　{{ a.name }}　{{ a.date|cn_date }}")]
ITEMS: list[Block] = [("loop", "it in items", "{{ loop.index }}. {{ it.name }}　{{ it.spec }}　{{ it.quantity }}　{{ it.note }}")]
SEAL: list[Block] = [("right", "{{ agency.name }}"), ("right", "{{ (decided_on or issued_on)|cn_date }}")]
CASE: list[Block] = ["案件名称：{{ case.title }}", "案由：{{ case.cause }}", "案件来源：{{ case.source }}",
                     "立案日期：{{ case.filed_on|cn_date }}"]
NOTICE: list[Block] = [
    *PARTY, ("indent", "{{ facts }}"), *EVIDENCE, ("indent", "{{ reason }}"),
    ("indent", "{{ legal_basis }}，本机关拟对你（单位）作出如下行政处罚：{{ penalty }}"
               "{% if fine_amount %}（罚款金额大写：{{ fine_amount|rmb_upper }}）{% endif %}"),
    ("indent", "{{ rights }}"), ("indent", "行使上述权利的期限：请于{{ deadline|cn_date }}前向本机关提出。"), *SEAL,
]

LAYOUTS: dict[str, list[Block]] = {
    "case_source_register": ["案件来源：{{ case.source }}", *PARTY, "违法地点：{{ case.place }}", ("h", "基本案情"),
                             ("indent", "{{ facts }}"), "处理意见：{{ opinion }}", *APPROVALS],
    "filing_approval": [*CASE, *PARTY, ("h", "简要案情"), ("indent", "{{ facts }}"), "立案依据：{{ legal_basis }}",
                        OFFICERS, "承办人意见：{{ opinion }}", *APPROVALS],
    "not_filing_approval": ["线索来源：{{ case.source }}", *PARTY, ("h", "简要案情"), ("indent", "{{ facts }}"),
                            ("h", "不予立案理由"), ("indent", "{{ reason }}"), *APPROVALS],
    "inspection_record": [*RECORD_HEAD, ("h", "检查（勘验）情况"), ("indent", "{{ record.content }}"), *RECORD_CLOSE],
    "inquiry_record": [*RECORD_HEAD, ("loop", "item in record.qa", "问：{{ item.q }}\n答：{{ item.a }}"),
                       "{{ record.content }}", *RECORD_CLOSE],
    "preservation_notice": [*PARTY, ("indent", "因你（单位）涉嫌{{ case.cause }}，依据{{ legal_basis }}的规定，决定对你（单位）"
                                               "的下列物品予以先行登记保存："), *ITEMS,
                            ("indent", "本机关将于{{ deadline|cn_date }}前作出处理决定。"), *SEAL],
    "preservation_disposal_notice": [*PARTY, ("indent", "本机关对你（单位）先行登记保存的下列物品作出如下处理决定："), *ITEMS,
                                     ("indent", "{{ reason }}"), *SEAL],
    "investigation_report": ["案件名称：{{ case.title }}", *PARTY, OFFICERS, ("h", "一、违法事实"),
                             ("indent", "{{ facts }}"), ("h", "二、证据"), *EVIDENCE, ("h", "三、法律依据"),
                             ("indent", "{{ legal_basis }}"), ("h", "四、处罚建议"), ("indent", "{{ penalty }}"),
                             ("h", "五、处理意见"), ("indent", "{{ opinion }}"),
                             ("right", "承办人员：{% for o in officers %}{{ o.name }} {% endfor %}"),
                             ("right", "{{ issued_on|cn_date }}")],
    "prior_notice": NOTICE,
    "hearing_right_notice": NOTICE,
    "defense_record": ["案件名称：{{ case.title }}", "时间：{{ record.started_at|cn_datetime }}", "地点：{{ record.place }}",
                       *PARTY, OFFICERS, "记录人：{{ record.recorder }}", ("h", "陈述申辩内容"),
                       ("indent", "{{ record.content }}"), *RECORD_CLOSE],
    "hearing_notice": [*PARTY, ("indent", "本机关定于{{ hearing.date|cn_date }}{{ hearing.time }}在{{ hearing.place }}"
                                          "{% if hearing.public %}公开{% else %}不公开{% endif %}举行听证。"),
                       ("indent", "听证主持人：{{ hearing.host }}。你（单位）有权申请回避。"), *SEAL],
    "hearing_record": ["案件名称：{{ case.title }}", "听证时间：{{ hearing.date|cn_date }}{{ hearing.time }}",
                       "听证地点：{{ hearing.place }}", "听证主持人：{{ hearing.host }}", *PARTY,
                       "听证参加人：{{ hearing.participants }}", ("h", "调查人员提出的事实、证据和处罚建议"),
                       ("indent", "{{ hearing.investigators_case }}"), ("h", "当事人陈述、申辩和质证"),
                       ("indent", "{{ hearing.defense }}"), ("indent", "{{ hearing.record }}"),
                       "{{ hearing.signed_note }}", "听证主持人（签名）：　　　　记录人（签名）："],
    "legal_review_opinion": ["案件名称：{{ case.title }}", "案号：{{ case.reference }}", "送审机构：{{ case.handling_unit }}",
                             "当事人：{{ party.name }}", "收到送审材料日期：{{ review.received_on|cn_date }}",
                             ("loop", 'it in review["items"]', "{{ loop.index }}. {{ it.label }}：{{ it.result }}　{{ it.note }}"),
                             "审核结论：{{ review.conclusion }}", "审核意见：{{ review.opinion or opinion }}",
                             "审核人员：{{ review.reviewer }}", ("right", "{{ issued_on|cn_date }}")],
    "collective_discussion_record": ["案件名称：{{ case.title }}", "当事人：{{ party.name }}",
                                     "讨论时间：{{ record.started_at|cn_datetime }}", "讨论地点：{{ record.place }}",
                                     "参加人员：{{ hearing.participants }}", "记录人：{{ record.recorder }}",
                                     ("h", "讨论记录"), ("indent", "{{ record.content }}"), ("h", "讨论决定"),
                                     ("indent", "{{ opinion }}"), "参加人员（签名）："],
    "penalty_decision": [*PARTY, ("indent", "{{ facts }}"), ("indent", "以上事实有以下证据证明："), *EVIDENCE,
                         ("indent", "{{ legal_basis }}，本机关决定对你（单位）作出如下行政处罚："),
                         ("indent", "{{ penalty }}{% if fine_amount %}（罚款金额大写：{{ fine_amount|rmb_upper }}）{% endif %}"),
                         ("indent", "{{ performance }}"), ("indent", "{{ remedies }}"), *SEAL],
    "no_penalty_decision": [*PARTY, ("indent", "{{ facts }}"), *EVIDENCE,
                            ("indent", "本机关认为：{{ reason }}依据{{ legal_basis }}的规定，决定对你（单位）不予行政处罚。"),
                            ("indent", "{{ remedies }}"), *SEAL],
    "on_site_decision": [*PARTY, "违法行为：{{ facts }}", "时间、地点：{{ decided_on|cn_date }}，{{ case.place }}",
                         "处罚依据：{{ legal_basis }}",
                         "处罚决定：{{ penalty }}{% if fine_amount %}（大写：{{ fine_amount|rmb_upper }}）{% endif %}",
                         "{% if performance %}履行方式和期限：{{ performance }}{% endif %}", ("indent", "{{ remedies }}"),
                         OFFICERS, "当事人（签名）：", *SEAL],
    "service_receipt": ["送达文书名称：{{ service.document_name }}", "送达文书文号：{{ service.document_number }}",
                        "受送达人：{{ service.recipient }}", "送达地点：{{ service.place }}",
                        "送达方式：{{ service.method_label }}", "受送达人签名或者盖章：　　　　　　年　　月　　日",
                        "送达人：{% for o in officers %}{{ o.name }} {% endfor %}",
                        "拒收事由和日期：{{ service.refusal_note }}", "见证人：{{ service.witnesses }}", *SEAL],
    "education_record": [*PARTY, "时间：{{ record.started_at|cn_datetime }}", "地点：{{ record.place }}",
                         "违法事实：{{ facts }}", ("h", "批评教育内容"), ("indent", "{{ record.content }}"),
                         "当事人（签名）：　　　　　　执法人员（签名）："],
    "payment_reminder": [*PARTY, ("indent", "你（单位）至今未履行下列义务：{{ performance }}"
                                            "{% if fine_amount %}（金额大写：{{ fine_amount|rmb_upper }}）{% endif %}"),
                         ("indent", "现催告你（单位）于{{ deadline|cn_date }}前履行上述义务。"), ("indent", "{{ rights }}"),
                         *SEAL],
    "enforcement_application": ["申请人：{{ agency.name }}", "被申请人：{{ party.name }}", "住所（住址）：{{ party.address }}",
                                ("indent", "申请执行内容：{{ penalty }}"), ("indent", "事实和理由：{{ facts }}"),
                                ("indent", "依据{{ legal_basis }}的规定，特申请人民法院强制执行。"), "此致",
                                "{{ agency.litigation_court }}", *SEAL],
    "transfer_letter": ["{{ recipient or '临湘市公安局' }}：", ("indent", "本机关在查处{{ case.title }}一案中，发现当事人"
                                                                    "{{ party.name }}涉嫌犯罪。{{ reason }}"),
                        ("indent", "{{ facts }}"), *EVIDENCE, ("indent", "依据{{ legal_basis }}的规定，现将该案移送你单位。"),
                        *SEAL],
    "closing_approval": [*CASE, "案号：{{ case.reference }}", *PARTY, "处理结果：{{ penalty }}", ("h", "结案理由"),
                         ("indent", "{{ reason }}"), *APPROVALS],
    "inspection_check_record": [*RECORD_HEAD, "检查事项：{{ case.title }}", ("h", "检查情况"),
                                ("indent", "{{ record.content }}"), *RECORD_CLOSE],
    "inspection_result_notice": [*PARTY, ("indent", "本机关于{{ decided_on|cn_date }}依法对你（单位）进行了行政检查。"
                                                    "现将检查结果告知如下："), ("indent", "{{ reason }}"), *SEAL],
}


def _font(run: Any, east_asia: str, size: float | None = None, bold: bool = False) -> None:
    run.font.name = "Times New Roman"
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asia)
    if size:
        run.font.size = Pt(size)
    run.bold = bold


def build(code: str) -> Any:
    doc_type = DOCUMENT_TYPES[code]
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    normal = document.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(14)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "仿宋")

    def para(text: str, *, align: WD_ALIGN_PARAGRAPH | None = None, bold: bool = False, size: float | None = None,
             indent: bool = False, font: str = "仿宋") -> None:
        p = document.add_paragraph()
        if align is not None:
            p.alignment = align
        if indent:
            p.paragraph_format.first_line_indent = Pt(28)
        _font(p.add_run(text), font, size, bold)

    para("{{ agency.name }}", align=WD_ALIGN_PARAGRAPH.CENTER, bold=True, size=20, font="黑体")
    para(doc_type.name, align=WD_ALIGN_PARAGRAPH.CENTER, bold=True, size=20, font="黑体")
    if doc_type.numbered:
        para("{% if draft %}（草稿，未编号）{% else %}{{ number }}{% endif %}", align=WD_ALIGN_PARAGRAPH.RIGHT, size=12)
    else:
        para("{% if draft %}（草稿）{% endif %}{% if case.reference %}案号：{{ case.reference }}{% endif %}",
             align=WD_ALIGN_PARAGRAPH.RIGHT, size=12)
    for block in LAYOUTS[code]:
        if isinstance(block, str):
            para(block)
        elif block[0] == "loop":
            para("{%p for " + block[1] + " %}")
            para(block[2], indent=True)
            para("{%p endfor %}")
        elif block[0] == "h":
            para(block[1], bold=True)
        elif block[0] == "indent":
            para(block[1], indent=True)
        elif block[0] == "right":
            para(block[1], align=WD_ALIGN_PARAGRAPH.RIGHT)
        else:  # pragma: no cover
            raise ValueError(block)
    return document


def build_all(folder: Path = OUT) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for code, doc_type in DOCUMENT_TYPES.items():
        path = folder / f"{doc_type.template}.docx"
        build(code).save(str(path))
        written.append(path)
    return written


def main() -> int:
    import django

    django.setup()
    for path in build_all():
        sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
