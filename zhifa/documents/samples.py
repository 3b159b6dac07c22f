"""Realistic sample contexts, one per document type (synthetic Chinese data: a water-administration case about
unlicensed sand dredging). Used by the render tests, the benchmark (bench/documents.py), demos, and as the
reference for what the cases app passes in (see the key table in `types.py`)."""

from __future__ import annotations

import copy
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from zhifa.documents.types import DOCUMENT_TYPES

TZ = ZoneInfo("Asia/Shanghai")

PARTY = {
    "kind_label": "法人或者其他组织",
    "name": "临湘市鑫源砂石有限公司",
    "id_label": "统一社会信用代码",
    "id_number": "91430682MA4L8X2Q7K",
    "address": "湖南省临湘市长安街道滨江路88号",
    "phone": "0730-3721188",
    "legal_representative": "周建华",
    "age_note": "",
}

FACTS = (
    "经查，当事人于2026年9月12日至2026年9月18日期间，未经水行政主管部门许可，擅自使用“湘临采018”号采砂船"
    "在长江临湘段江南镇黄盖湖出口下游约800米水域从事河道采砂活动，累计采挖河砂约1200立方米。"
)
LEGAL_BASIS = (
    "当事人的行为违反了《中华人民共和国长江保护法》第二十八条第一款的规定。依据《中华人民共和国长江保护法》"
    "第九十一条的规定，参照《湖南省水行政处罚裁量基准》第三十二条"
)
PENALTY = "1. 责令停止违法行为；2. 没收违法所得人民币贰万肆仟元；3. 处罚款人民币伍万元。"
REMEDIES = (
    "当事人如不服本决定，可以在收到本决定书之日起六十日内向临湘市人民政府申请行政复议，"
    "也可以在收到本决定书之日起六个月内直接向临湘市人民法院提起行政诉讼。"
)
PERFORMANCE = (
    "当事人应当自收到本决定书之日起十五日内，持本决定书到临湘市农村商业银行各营业网点缴纳罚没款，"
    "或者通过“湖南省非税收入缴款平台”电子缴款。逾期不缴纳罚款的，每日按罚款数额的百分之三加处罚款。"
)
EVIDENCE = [
    "现场检查（勘验）笔录1份、现场照片12张，证明当事人在上述水域从事采砂作业",
    "执法记录仪音像记录2段（编号LX-AV-2026-0912-01、02），证明现场检查过程",
    "对当事人法定代表人周建华的询问笔录2份，证明采砂时间、数量及未取得许可的事实",
    "当事人营业执照复印件、采砂船登记证书复印件各1份，证明当事人主体资格",
]
RIGHTS = (
    "根据《中华人民共和国行政处罚法》第四十四条、第四十五条的规定，你（单位）享有陈述、申辩的权利。"
    "如需陈述、申辩，请于收到本告知书之日起五个工作日内向本机关提出，逾期视为放弃上述权利。"
)


def common_context() -> dict[str, Any]:
    """The keys every document shares (agency, case, party, officers), as the cases app builds them."""
    return {
        "agency": {
            "name": "临湘市水利局", "short_name": "临水", "address": "湖南省临湘市长安大道168号",
            "phone": "0730-3722110", "reconsideration_body": "临湘市人民政府", "litigation_court": "临湘市人民法院",
        },
        "issued_on": date(2026, 11, 22),
        "case": {
            "reference": "临水罚〔2026〕第017号", "title": "临湘市鑫源砂石有限公司未经许可河道采砂案",
            "cause": "未经许可在长江从事采砂活动", "filed_on": date(2026, 9, 19), "source": "日常巡查发现",
            "place": "长江临湘段江南镇黄盖湖出口下游约800米水域", "act_date": date(2026, 9, 12),
            "handling_unit": "临湘市水政监察大队",
        },
        "party": dict(PARTY),
        "parties": [dict(PARTY)],
        "officers": [
            {"name": "李明", "certificate_number": "湘43060020260118"},
            {"name": "王芳", "certificate_number": "湘43060020260125"},
        ],
    }


def _record(content: str = "", qa: list[dict[str, str]] | None = None, subject: str = "周建华") -> dict[str, Any]:
    return {
        "started_at": datetime(2026, 9, 18, 9, 30, tzinfo=TZ), "ended_at": datetime(2026, 9, 18, 10, 45, tzinfo=TZ),
        "place": "长江临湘段江南镇黄盖湖出口下游“湘临采018”号采砂船上", "recorder": "王芳", "subject": subject,
        "certificate_shown": True, "content": content, "qa": qa or [], "refusal_note": "",
        "av_reference": "LX-AV-2026-0918-01",
    }


QA = [
    {"q": "我们是临湘市水利局的执法人员，这是我们的执法证件，请过目。你是否看清楚了？", "a": "看清楚了。"},
    {"q": "依法你有申请执法人员回避的权利，你是否申请回避？", "a": "不申请。"},
    {"q": "你公司是否取得了河道采砂许可证？", "a": "没有取得，去年申请过但没批下来。"},
    {"q": "这艘采砂船在这里采砂多长时间了？采了多少河砂？", "a": "从9月12日开始，到今天大概采了1200立方米。"},
    {"q": "以上笔录你看一下，是否与你所说的一致？", "a": "我看过了，和我说的一样。"},
]

APPROVALS = [
    {"role": "承办机构意见", "name": "张强", "opinion": "同意，请局领导审批。", "date": date(2026, 11, 18)},
    {"role": "法制审核机构意见", "name": "陈静", "opinion": "经审核，事实清楚，证据确凿，适用依据正确，程序合法。",
     "date": date(2026, 11, 19)},
    {"role": "行政机关负责人意见", "name": "刘卫国", "opinion": "同意。", "date": date(2026, 11, 20)},
]

CONTENT: dict[str, dict[str, Any]] = {
    "case_source_register": {
        "facts": "2026年9月12日上午，水政监察大队巡查至江南镇黄盖湖出口时，发现一艘采砂船正在江中采砂，疑似未经许可。",
        "opinion": "建议立案调查。", "approvals": APPROVALS[:1],
    },
    "filing_approval": {
        "facts": FACTS, "legal_basis": "《中华人民共和国行政处罚法》第五十四条",
        "opinion": "当事人涉嫌违反《中华人民共和国长江保护法》第二十八条第一款，建议立案调查。", "approvals": APPROVALS,
    },
    "not_filing_approval": {
        "facts": "群众反映有船只在黄盖湖出口采砂，经现场核查，该船为航道管理部门的疏浚作业船，持有合法手续。",
        "reason": "经核查未发现违法事实，依据《中华人民共和国行政处罚法》第五十四条，不予立案。", "approvals": APPROVALS,
    },
    "inspection_record": {"record": _record(
        content="现场有“湘临采018”号采砂船一艘，正在进行采砂作业，船上堆存河砂约200立方米；当事人未能出示河道采砂许可证。"
                "执法人员对现场进行了拍照和录像。")},
    "inquiry_record": {"record": _record(qa=QA)},
    "preservation_notice": {
        "legal_basis": "《中华人民共和国行政处罚法》第五十六条",
        "items": [
            {"name": "采砂船", "spec": "湘临采018，钢质", "quantity": "1艘", "note": "就地保存"},
            {"name": "河砂", "spec": "中粗砂", "quantity": "约200立方米", "note": "船上堆存"},
        ],
        "deadline": date(2026, 9, 25), "reason": "为防止证据灭失",
    },
    "preservation_disposal_notice": {
        "items": [{"name": "采砂船", "spec": "湘临采018，钢质", "quantity": "1艘", "note": ""}],
        "reason": "经调查，解除对上述物品的先行登记保存，退还当事人。",
    },
    "investigation_report": {
        "facts": FACTS, "evidence": EVIDENCE, "legal_basis": LEGAL_BASIS, "penalty": PENALTY,
        "opinion": "建议给予当事人没收违法所得人民币贰万肆仟元、罚款人民币伍万元的行政处罚。",
    },
    "prior_notice": {
        "facts": FACTS, "reason": "当事人未取得河道采砂许可擅自采砂，采砂量较大，属于一般违法情节。",
        "legal_basis": LEGAL_BASIS, "penalty": PENALTY, "fine_amount": Decimal("50000"), "rights": RIGHTS,
        "deadline": date(2026, 11, 29),
    },
    "hearing_right_notice": {
        "facts": FACTS, "reason": "当事人未取得河道采砂许可擅自采砂，采砂量较大。", "legal_basis": LEGAL_BASIS,
        "penalty": PENALTY, "fine_amount": Decimal("50000"),
        "rights": RIGHTS + "因拟作出较大数额罚款的决定，你（单位）有权要求举行听证。如要求听证，请于收到本告知书之日起"
                           "五日内提出。",
        "deadline": date(2026, 11, 27),
    },
    "defense_record": {"record": _record(content="当事人称：采砂是为了公司自用，并非出售；请求从轻处罚。")},
    "hearing_notice": {"hearing": {
        "date": date(2026, 12, 5), "time": "9时30分", "place": "临湘市水利局三楼听证室", "host": "赵敏",
        "public": True, "participants": "", "investigators_case": "", "defense": "", "record": "", "signed_note": "",
    }},
    "hearing_record": {"hearing": {
        "date": date(2026, 12, 5), "time": "9时30分", "place": "临湘市水利局三楼听证室", "host": "赵敏", "public": True,
        "participants": "听证主持人赵敏，书记员孙丽；调查人员李明、王芳；当事人委托代理人周建华（法定代表人）。",
        "investigators_case": "调查人员陈述了当事人未经许可采砂的事实、证据和拟处罚意见。",
        "defense": "当事人对事实无异议，但认为采砂量计算偏高，请求减轻罚款。",
        "record": "双方就采砂量的计算方法进行了质证。", "signed_note": "当事人已阅读笔录并签字。",
    }},
    "legal_review_opinion": {"review": {
        "conclusion": "同意", "reviewer": "陈静、黄磊", "received_on": date(2026, 11, 16),
        "opinion": "建议按拟定意见作出行政处罚决定。",
        "items": [
            {"label": "执法主体是否合法", "result": "合法", "note": ""},
            {"label": "事实是否清楚、证据是否确凿", "result": "是", "note": "证据链完整"},
            {"label": "适用法律依据是否正确", "result": "正确", "note": ""},
            {"label": "程序是否合法", "result": "合法", "note": "已履行告知程序"},
            {"label": "裁量是否适当", "result": "适当", "note": "符合裁量基准"},
        ],
    }},
    "collective_discussion_record": {
        "record": _record(content="李明汇报案情；与会人员讨论认为事实清楚、证据确凿。"),
        "hearing": {"participants": "刘卫国（主持）、张强、陈静、李明、王芳"},
        "opinion": "同意给予没收违法所得贰万肆仟元、罚款伍万元的行政处罚。",
    },
    "penalty_decision": {
        "facts": FACTS, "evidence": EVIDENCE, "legal_basis": LEGAL_BASIS, "penalty": PENALTY,
        "fine_amount": Decimal("50000"), "performance": PERFORMANCE, "remedies": REMEDIES,
        "decided_on": date(2026, 11, 22),
    },
    "no_penalty_decision": {
        "facts": "当事人于2026年9月12日在黄盖湖出口水域试采河砂约5立方米，发现后立即停止并主动清理。",
        "evidence": EVIDENCE[:2], "reason": "当事人违法行为轻微并及时改正，没有造成危害后果。",
        "legal_basis": "《中华人民共和国行政处罚法》第三十三条第一款", "remedies": REMEDIES,
        "decided_on": date(2026, 11, 22),
    },
    "on_site_decision": {
        "facts": "当事人在长江临湘段禁渔区内使用电鱼器具捕鱼，被执法人员当场查获。",
        "legal_basis": "《中华人民共和国渔业法》第三十八条第一款", "penalty": "罚款人民币伍拾元",
        "fine_amount": Decimal("50"), "performance": "当场缴纳罚款", "remedies": REMEDIES,
        "decided_on": date(2026, 11, 22),
    },
    "service_receipt": {"service": {
        "document_name": "行政处罚决定书", "document_number": "临水罚决〔2026〕3号", "recipient": "临湘市鑫源砂石有限公司",
        "method_label": "直接送达", "place": "湖南省临湘市长安街道滨江路88号", "served_on": date(2026, 11, 23),
        "refusal_note": "", "witnesses": "",
    }},
    "education_record": {
        "facts": "当事人在长江临湘段游泳区域随意停靠小型船只，影响防洪安全。",
        "record": _record(content="执法人员向当事人宣讲了《中华人民共和国防洪法》的相关规定，当事人表示认识到错误，立即将船只驶离。"),
    },
    "payment_reminder": {
        "performance": "缴纳罚款人民币伍万元、没收违法所得人民币贰万肆仟元（临水罚决〔2026〕3号）",
        "fine_amount": Decimal("50000"), "deadline": date(2027, 1, 15),
        "rights": "你（单位）有权进行陈述和申辩，请于收到本催告书之日起三日内提出。",
        "legal_basis": "《中华人民共和国行政强制法》第三十五条",
    },
    "enforcement_application": {
        "facts": "被执行人在法定期限内既未申请行政复议或者提起行政诉讼，又不履行临水罚决〔2026〕3号行政处罚决定，"
                 "经催告仍未履行。",
        "penalty": "罚款人民币伍万元、加处罚款人民币伍万元", "fine_amount": Decimal("100000"),
        "legal_basis": "《中华人民共和国行政强制法》第五十三条、第五十四条",
    },
    "transfer_letter": {
        "facts": FACTS + "经测算，采砂价值已达到刑事立案追诉标准。", "legal_basis": "《行政执法机关移送涉嫌犯罪案件的规定》第三条",
        "reason": "当事人涉嫌非法采矿罪。", "evidence": EVIDENCE,
    },
    "closing_approval": {
        "reason": "行政处罚决定已执行完毕，罚没款已全部缴纳。", "penalty": PENALTY, "approvals": APPROVALS,
    },
    "inspection_check_record": {"record": _record(
        content="检查当事人河道采砂许可证及采砂作业记录，未发现违规采砂行为；采砂船GPS监控设备运行正常。")},
    "inspection_result_notice": {
        "reason": "经检查，你单位河道采砂作业符合许可要求，未发现违法行为。", "decided_on": date(2026, 11, 22),
    },
}


def sample_context(code: str) -> dict[str, Any]:
    """A complete context for `code` (a fresh copy: callers may change it)."""
    if code not in DOCUMENT_TYPES:
        raise KeyError(code)
    context = common_context()
    context.update(copy.deepcopy(CONTENT.get(code, {})))
    return context


def all_samples() -> dict[str, dict[str, Any]]:
    return {code: sample_context(code) for code in DOCUMENT_TYPES}
