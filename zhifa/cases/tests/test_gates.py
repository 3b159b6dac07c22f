"""Each legal gate of the case kinds, tested at its transition with its rule ID (../shared/domain/rules.md §2, §10).

A refused action must leave nothing behind: same state, no ledger entry, no document, no number consumed.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from zhifa.cases.engine import GateBlocked, case_act
from zhifa.cases.kinds import penalty
from zhifa.cases.models import Case, Deadline, Party, Preservation
from zhifa.cases.services import case_create
from zhifa.cases.testing import (
    DAY,
    actor_for,
    make_case_world,
    new_penalty_case,
    org_party,
    pass_review,
    penalty_case_data,
    person_party,
    proposal,
    record_input,
    walk_to,
)
from zhifa.common.errors import NotAllowed
from zhifa.documents.models import Document, DocumentCounter
from zhifa.documents.services import DocumentIncomplete
from zhifa.records.ledger import tree_head
from zhifa.review.services import ALL_CHECKS_PASSED

pytestmark = pytest.mark.django_db


def footprint(case: Case) -> tuple[object, ...]:
    case.refresh_from_db()
    return (case.state, tree_head()[0], Document.objects.count(),
            tuple(DocumentCounter.objects.order_by("pk").values_list("last_serial", flat=True)))


def act(world, case: Case, action: str, data: dict[str, Any], day: date = DAY) -> Case:  # noqa: ANN001
    return case_act(actor=actor_for(world, action), case_id=case.public_id, action=action, data=data, today=day).case


def refused(world, case: Case, action: str, data: dict[str, Any], rule: str, day: date = DAY,  # noqa: ANN001
            error: type[Exception] = GateBlocked) -> str:
    before = footprint(case)
    with pytest.raises(error) as exc:
        act(world, case, action, data, day)
    assert getattr(exc.value, "rule", rule) == rule or rule in str(getattr(exc.value, "rule", "")), exc.value
    assert footprint(case) == before, f"{action} refused but changed something"
    return str(exc.value)


@pytest.fixture
def world(agency_a):  # noqa: ANN001, ANN201
    return make_case_world(agency_a)


# ------------------------------------------------------------------------------------------------ filing, officers


def test_case_1_violation_outside_the_area_needs_a_jurisdiction_basis(world):
    case = new_penalty_case(world, violation_region_code="110105")
    message = refused(world, case, "approve_filing", {}, "CASE-1")
    assert "管辖依据" in message
    act(world, case, "update_details", {"jurisdiction_basis": "上级机关指定管辖（示范市水利局〔2026〕5号）"})
    assert act(world, case, "approve_filing", {}).state == "filed"


def test_case_2_filing_sets_the_date_and_starts_the_90_day_clock(world):
    case = act(world, new_penalty_case(world), "approve_filing", {"filed_on": DAY})
    assert case.penalty.filed_on == DAY
    row = Deadline.objects.get(case=case, code="decision")
    assert (row.rule, row.due, row.day_kind) == ("CASE-44", date(2026, 8, 30), "calendar")  # 90 CD, no CAL-4 shift
    assert Document.objects.filter(subject_id=case.public_id, doc_type="filing_approval").exists()


def test_case_23_limitation_two_years_and_five_for_safety_harm(world):
    old = new_penalty_case(world, act_date=date(2024, 5, 20), discovered_on=date(2026, 5, 21))
    assert "2年内未被发现" in refused(world, old, "approve_filing", {}, "CASE-23")
    safety = new_penalty_case(world, act_date=date(2024, 5, 20), discovered_on=date(2026, 5, 21),
                              safety_or_financial_harm=True)
    assert act(world, safety, "approve_filing", {}).state == "filed"
    # continuing act: counted from its end
    continuing = new_penalty_case(world, act_date=date(2023, 1, 1), act_continuing=True,
                                  act_end_date=date(2025, 1, 1), discovered_on=date(2026, 5, 1))
    assert act(world, continuing, "approve_filing", {}).state == "filed"
    # exactly two years is still within ("以内" includes the end day)
    edge = new_penalty_case(world, act_date=date(2024, 5, 21), discovered_on=date(2026, 5, 21))
    assert act(world, edge, "approve_filing", {}).state == "filed"


def test_reg_8_9_two_certified_officers_auxiliary_and_expired_never_count(world):
    case = act(world, new_penalty_case(world), "approve_filing", {})
    one = [str(world.officers[0].public_id)]
    refused(world, case, "assign_officers", {"staff": one}, "REG-9")
    aux = one + [str(world.auxiliary.public_id)]
    assert "辅助人员" in refused(world, case, "assign_officers", {"staff": aux}, "REG-8")
    expired = one + [str(world.expired.public_id)]
    assert "没有有效的行政执法证件" in refused(world, case, "assign_officers", {"staff": expired}, "REG-8")
    # the expired certificate was valid before 2026-03-31: an activity on that earlier date counts it
    assert act(world, case, "assign_officers", {"staff": world.officer_ids}).state == "investigating"


def test_reg_11_certificate_must_be_shown_and_recorded(world):
    case = walk_to(world, new_penalty_case(world), "investigating")
    refused(world, case, "record_inspection", record_input(world, certificate_shown=False), "REG-11")
    act(world, case, "record_inspection", record_input(world))
    assert case.activities.get().certificate_shown is True


def test_reg_17_recusal_granted_removes_the_officer_from_the_quorum(world):
    """REG-17: a granted recusal takes the officer out of the case and out of the REG-9 count."""
    case = walk_to(world, new_penalty_case(world), "investigating")
    officer = str(world.officers[1].public_id)
    act(world, case, "apply_recusal", {"staff": officer, "applicant": "张三", "grounds": "执法人员系当事人近亲属"})
    act(world, case, "decide_recusal", {"staff": officer, "granted": True})
    assert "已回避" in refused(world, case, "record_inspection", record_input(world), "REG-8")
    refused(world, case, "conclude_investigation", {"report": "r", "facts": "f", "evidence_summary": "e",
                                                    "legal_basis_text": "b", "opinion": "o"}, "REG-9")


# --------------------------------------------------------------------------------------------------- investigation


def test_case_9_and_11_conclusion_needs_a_record_and_disposed_preservations(world):
    case = walk_to(world, new_penalty_case(world), "investigating")
    conclude = {"report": "调查终结", "facts": "事实", "evidence_summary": "笔录", "legal_basis_text": "《水法》第六十五条",
                "opinion": "罚款"}
    refused(world, case, "conclude_investigation", conclude, "CASE-9")
    act(world, case, "record_inquiry", record_input(world, content="问：你是否取得采砂许可？\n答：没有。"))
    act(world, case, "request_preservation", {"items": ["采砂船一艘"], "reason": "证据可能灭失"})
    pres = Preservation.objects.get(case=case)
    refused(world, case, "dispose_preservation", {"preservation": str(pres.public_id), "disposal": "退还"}, "CASE-11")
    act(world, case, "approve_preservation", {"preservation": str(pres.public_id)})
    pres.refresh_from_db()
    assert pres.disposal_due == date(2026, 6, 10)  # 7 working days after Mon 2026-06-01
    assert "1项先行登记保存" in refused(world, case, "conclude_investigation", conclude, "CASE-11")
    act(world, case, "dispose_preservation", {"preservation": str(pres.public_id), "disposal": "解除登记保存，退还当事人"})
    assert act(world, case, "conclude_investigation", conclude).state == "investigation_concluded"
    assert Deadline.objects.get(case=case, code__startswith="preservation").state == "met"


# ------------------------------------------------------------------------------------------------------ no penalty


def test_case_15_to_18_no_penalty_conditions_and_education_record(world):
    case = walk_to(world, new_penalty_case(world), "investigation_concluded")
    base = {"ground": "minor_corrected", "minor": True, "corrected_in_time": True, "no_harm": False,
            "reasoning": "违法行为轻微并及时改正", "education_record": "已对当事人进行批评教育。"}
    refused(world, case, "decide_no_penalty", base, "CASE-15")
    refused(world, case, "decide_no_penalty", {**base, "no_harm": True, "education_record": ""}, "CASE-18")
    first = {**base, "ground": "first_violation", "first_violation": True, "harm_minor": False}
    refused(world, case, "decide_no_penalty", first, "CASE-16")
    case = act(world, case, "decide_no_penalty", {**base, "no_harm": True})
    assert case.state == "no_penalty"
    names = set(Document.objects.filter(subject_id=case.public_id).values_list("doc_type", flat=True))
    assert {"education_record", "no_penalty_decision"} <= names
    assert act(world, case, "close", {"summary": "不予处罚，已教育。"}).state == "closed"


def test_case_19_minors_under_14_not_penalized_14_to_18_mitigated(world):
    young = new_penalty_case(world, parties=[person_party("小明", birth=date(2013, 1, 1))])
    young = walk_to(world, young, "investigation_concluded")
    assert Party.objects.get(case=young).age_at_act == 13
    assert "不满十四周岁" in refused(world, young, "issue_prior_notice", proposal(), "CASE-19")
    teen = walk_to(world, new_penalty_case(world, parties=[person_party("小刚", birth=date(2010, 5, 20))]),
                   "investigation_concluded")
    # born 2010-05-20, act on 2026-05-20: the 16th birthday itself is still 15 (age reached the day after)
    assert Party.objects.get(case=teen).age_at_act == 15
    assert "从轻或者减轻" in refused(world, teen, "issue_prior_notice", proposal(), "CASE-19")
    case = act(world, teen, "issue_prior_notice", proposal(fine="1000", mitigation_note="未成年人，减轻处罚"))
    assert case.state == "pre_notice_issued"


# ---------------------------------------------------------------------------------------------- notice and hearing


def test_case_33_34_hearing_right_from_configured_threshold_by_party_type(world):
    """CASE-29 prior notice with the hearing right of CASE-33 when the fine reaches the agency's CASE-34
    较大数额 for the party type (inclusive), or for licence revocation."""
    small = act(world, walk_to(world, new_penalty_case(world), "investigation_concluded"), "issue_prior_notice",
                proposal(fine="9999.99"))
    assert small.penalty.hearing_right is False
    refused(world, small, "request_hearing", {}, "CASE-33")
    big = act(world, walk_to(world, new_penalty_case(world), "investigation_concluded"), "issue_prior_notice",
              proposal(fine="10000"))  # "以上" includes the threshold
    assert big.penalty.hearing_right is True
    org = walk_to(world, new_penalty_case(world, parties=[org_party()]), "investigation_concluded")
    org = act(world, org, "issue_prior_notice", proposal(fine="10000"))
    assert org.penalty.hearing_right is False  # organizations: 100,000
    licence = act(world, walk_to(world, new_penalty_case(world), "investigation_concluded"), "issue_prior_notice",
                  proposal(penalty_kinds=["revoke_license"], fine_amount=None))
    assert licence.penalty.hearing_right is True
    assert Document.objects.filter(subject_id=big.public_id, doc_type="hearing_right_notice").exists()


def test_case_35_hearing_request_within_5_working_days(world):
    case = act(world, walk_to(world, new_penalty_case(world), "investigation_concluded"), "issue_prior_notice",
               proposal(fine="20000", served_on=date(2025, 4, 29)), day=date(2025, 5, 20))
    row = Deadline.objects.get(case=case, code="hearing_request")
    assert row.due == date(2025, 5, 9)  # CAL-T4
    refused(world, case, "request_hearing", {"requested_on": date(2025, 5, 12)}, "CASE-35", day=date(2025, 5, 20))
    assert act(world, case, "request_hearing", {"requested_on": date(2025, 5, 9)},
               day=date(2025, 5, 20)).state == "hearing_requested"


def test_case_36_notice_at_least_7_working_days_before_and_reg_18_host(world):
    case = walk_to(world, new_penalty_case(world), "hearing_requested")
    data = {"notice_on": date(2026, 2, 11), "hearing_on": date(2026, 2, 26), "place": "听证室",
            "host": str(world.host.public_id)}
    assert "2026-02-10" in refused(world, case, "notice_hearing", data, "CASE-36")  # CAL-T3
    investigator = {**data, "notice_on": date(2026, 2, 10), "host": world.officer_ids[0]}
    refused(world, case, "notice_hearing", investigator, "REG-18")
    assert act(world, case, "notice_hearing", {**data, "notice_on": date(2026, 2, 10)}).state == "hearing_noticed"


def test_case_38_no_show_terminates_and_still_needs_review(world):
    """CASE-38: a no-show ends the hearing (HEARING_TERMINATED); REV-2 still requires review."""
    case = walk_to(world, new_penalty_case(world), "hearing_noticed")
    case = act(world, case, "terminate_hearing", {"reason": "当事人无正当理由未出席"})
    assert case.state == "hearing_terminated" and case.legal_review_required
    refused(world, case, "decide", {}, "CASE-59", error=Exception)  # decide is not even offered from here


def test_case_31_defense_window_must_close_before_deciding_without_a_word(world):
    """CASE-31 with the agency's CASE-32 defense window (default 5 working days)."""
    case = act(world, walk_to(world, new_penalty_case(world), "investigation_concluded"), "issue_prior_notice",
               proposal(fine="500"))
    refused(world, case, "close_defense", {"outcome": "no_response"}, "CASE-31")
    refused(world, case, "close_defense", {"outcome": "statement", "text": ""}, "CASE-30")
    later = date(2026, 6, 9)  # the 5-working-day defense window ended 2026-06-08
    assert act(world, case, "close_defense", {"outcome": "no_response", "on": later}, day=later).state == \
        "defense_review"


def test_case_30_no_heavier_penalty_after_defense(world):
    case = act(world, walk_to(world, new_penalty_case(world), "investigation_concluded"), "issue_prior_notice",
               proposal(fine="3000"))
    case = act(world, case, "close_defense", {"outcome": "statement", "text": "当事人称系初次违法，请求从轻。复核：部分采纳。"})
    heavier = proposal(fine="3500")
    heavier.pop("served_on")
    refused(world, case, "revise_proposal", heavier, "CASE-30")
    refused(world, case, "revise_proposal", {**heavier, "penalty_kinds": ["fine", "warning"], "fine_amount": "100"},
            "CASE-30")
    lighter = {**heavier, "fine_amount": "2000"}
    act(world, case, "revise_proposal", lighter)
    case = act(world, case, "decide", {})
    assert case.state == "decided" and case.penalty.fine_amount == Decimal("2000")


# ---------------------------------------------------------------------------------------------------- review gate


def test_rev_1_decision_waits_for_a_passed_review_and_rev_13_a_changed_proposal(world):
    case = walk_to(world, new_penalty_case(world), "hearing_held")
    assert case.legal_review_required
    d15, d16 = date(2026, 6, 15), date(2026, 6, 16)
    case = act(world, case, "submit_legal_review", {"materials": "全部案卷"}, day=d15)
    act(world, case, "assign_reviewer", {"reviewer": str(world["legal_reviewer"].public_id)}, day=d15)
    problem = {**ALL_CHECKS_PASSED, "evidence_ok": False, "evidence_note": "证据不足，应补充询问笔录",
               "opinion": "存在问题：证据不足"}
    case = act(world, case, "return_legal_review", problem, day=d15)
    assert case.state == "legal_review_returned"
    refused(world, case, "decide", {}, "CASE-59", day=d15, error=Exception)
    lighter = {k: v for k, v in proposal(fine="15000").items() if k != "served_on"}
    act(world, case, "revise_proposal", lighter, day=d15)
    case = act(world, case, "submit_legal_review", {"materials": "补充后的案卷"}, day=d16)
    assert case.review_rounds.count() == 2
    with pytest.raises(NotAllowed):  # only a legal reviewer gives the opinion
        case_act(actor=world["officer"], case_id=case.public_id, action="pass_legal_review",
                 data={**ALL_CHECKS_PASSED, "opinion": "同意"}, today=d16)
    case = pass_review(world, case, d16, submit=False)
    assert act(world, case, "decide", {}, day=date(2026, 6, 16)).state == "decided"


def test_rev_1_gate_on_a_case_required_by_amount(world):
    """The catalog's 10,000 CNY threshold (REV-3): a 12,000 CNY fine needs review; defense_review → decide is
    refused (REV-1) until a review round passes on the same proposal."""
    case = act(world, walk_to(world, new_penalty_case(world), "investigation_concluded"), "issue_prior_notice",
               proposal(fine="12000"))
    assert case.legal_review_required and "较大数额罚没款" in "".join(case.legal_review_reasons)
    case = act(world, case, "close_defense", {"outcome": "waived"})
    refused(world, case, "decide", {}, "REV-1")
    case = pass_review(world, case)
    assert act(world, case, "decide", {}).state == "decided"


# -------------------------------------------------------------------------------------------------------- decision


def test_case_42_decision_document_blocks_when_party_address_missing(world):
    case = new_penalty_case(world, parties=[person_party(address="")])
    case = act(world, walk_to(world, case, "investigation_concluded"), "issue_prior_notice", proposal(fine="500"))
    case = act(world, case, "close_defense", {"outcome": "waived"})
    message = refused(world, case, "decide", {}, "CASE-42", error=DocumentIncomplete)
    assert "当事人住址" in message or "住址" in message


def test_case_44_decision_after_90_days_needs_an_approved_extension(world):
    case = act(world, walk_to(world, new_penalty_case(world), "investigation_concluded"), "issue_prior_notice",
               proposal(fine="500"))
    case = act(world, case, "close_defense", {"outcome": "waived"})
    late = date(2026, 8, 31)  # filed 2026-06-01: day 90 is 2026-08-30
    assert "2026-08-30" in refused(world, case, "decide", {"decided_on": late}, "CASE-44", day=late)
    act(world, case, "extend_decision_limit", {"new_due": date(2026, 9, 30), "reason": "案情复杂，需检测鉴定",
                                               "legal_basis": "《水行政处罚实施办法》相关规定"}, day=late)
    assert act(world, case, "decide", {"decided_on": late}, day=late).state == "decided"


# ------------------------------------------------------------------------------------------- service and payment


def _decided(world, fine: str = "10000", parties=None) -> Case:  # noqa: ANN001
    case = new_penalty_case(world, **({"parties": parties} if parties else {}))
    case = act(world, walk_to(world, case, "investigation_concluded"), "issue_prior_notice", proposal(fine=fine))
    case = act(world, case, "close_defense", {"outcome": "waived"})
    if case.legal_review_required:
        case = pass_review(world, case)
    return act(world, case, "decide", {})


def test_case_47_electronic_service_needs_the_partys_confirmation(world):
    case = _decided(world, fine="500")
    serve = {"method": "electronic", "recipient": "张三", "place": "电子邮箱 zs@example.com"}
    refused(world, case, "serve", serve, "CASE-47")
    Party.objects.filter(case=case).update(electronic_service_consent=True)
    assert act(world, case, "serve", serve).state == "served"


def test_case_48_announcement_is_served_30_days_after_publication(world):
    case = _decided(world, fine="500")
    refused(world, case, "serve", {"method": "announcement", "recipient": "张三", "place": "公告栏"}, "CASE-48")
    case = act(world, case, "serve", {"method": "announcement", "recipient": "张三", "place": "本局公告栏",
                                      "note": "当事人下落不明，经多方查找无果，依法公告送达。", "signed_on": DAY})
    assert case.served_on == date(2026, 7, 1)
    assert case.penalty.payment_due == date(2026, 7, 16)


@pytest.mark.parametrize(("received", "due"), [(date(2025, 9, 16), date(2025, 10, 9)),
                                               (date(2026, 2, 1), date(2026, 2, 24))])
def test_cal_t6_payment_due_15_days_after_service_moves_past_holidays(world, received, due):
    case = _decided(world, fine="500")
    Case.objects.filter(pk=case.pk).update(decided_on=received)
    case = act(world, case, "serve", {"method": "direct", "recipient": "张三", "place": "当事人住所",
                                      "signed_on": received}, day=max(received, DAY))
    assert case.penalty.payment_due == due
    assert Deadline.objects.get(case=case, code="payment").rule == "CASE-51"


def test_case_52_53_surcharge_3_percent_capped_and_paused_during_reconsideration(world):
    case = _decided(world, fine="10000")
    case = act(world, case, "serve", {"method": "direct", "recipient": "张三", "place": "当事人住所"})
    case = act(world, case, "publish", {})
    due = case.penalty.payment_due  # 2026-06-16
    day33 = date.fromordinal(due.toordinal() + 33)
    refused(world, case, "record_payment", {"paid_on": day33, "amount": "19800", "receipt": "R1"}, "CASE-52",
            day=day33)  # CAL-T7: day 33 → 9,900 surcharge, 19,900 due
    day40 = date.fromordinal(due.toordinal() + 40)
    refused(world, case, "record_payment", {"paid_on": day40, "amount": "19999", "receipt": "R1"}, "CASE-52",
            day=day40)  # capped at the fine: 20,000
    # a reconsideration pending for 10 days stops the clock
    act(world, case, "start_remedy_pause", {"kind": "reconsideration", "start": date.fromordinal(due.toordinal() + 1)},
        day=day33)
    act(world, case, "end_remedy_pause", {"end": date.fromordinal(due.toordinal() + 10)}, day=day33)
    refused(world, case, "record_payment", {"paid_on": day33, "amount": "16899", "receipt": "R1"}, "CASE-52",
            day=day33)  # 23 accruing days → 6,900
    assert act(world, case, "record_payment", {"paid_on": day33, "amount": "16900", "receipt": "R1"},
               day=day33).state == "performed"


def test_case_56_court_application_after_reminder_and_in_the_window(world):
    case = _decided(world, fine="500")
    case = act(world, case, "serve", {"method": "direct", "recipient": "张三", "place": "当事人住所"})
    case = act(world, case, "publish", {})
    early = date(2026, 6, 10)
    refused(world, case, "send_reminder", {"served_on": early}, "CASE-56", day=early)
    reminder = date(2026, 12, 1)
    case = act(world, case, "send_reminder", {"served_on": reminder}, day=reminder)
    refused(world, case, "apply_court_enforcement", {"court": "临湘市人民法院", "applied_on": date(2026, 12, 10)},
            "CASE-56", day=date(2026, 12, 10))  # within 10 working days of the reminder
    ok = date(2026, 12, 16)  # service 2026-06-01 + 6 months = 12-01; window 12-02 … 2027-03-01; reminder + 10 WD
    assert act(world, case, "apply_court_enforcement", {"court": "临湘市人民法院", "applied_on": ok},
               day=ok).state == "enforcement_applied"
    too_late = walk_to(world, new_penalty_case(world), "decided")
    assert too_late.state == "decided"


# ------------------------------------------------------------------------------------------------ simple procedure


def _on_spot(world, fine: str, party: dict[str, Any]) -> tuple[Case, dict[str, Any]]:  # noqa: ANN001
    case = case_create(actor=world["officer"], kind="penalty_simple",
                       data=penalty_case_data(parties=[party]), today=DAY)
    data = {"place": "长江大堤3公里处", "staff": world.officer_ids, "certificate_shown": True,
            "facts": "当事人在堤防上违规取土。", "legal_basis_text": "《中华人民共和国防洪法》第五十六条",
            "penalty_kinds": ["fine"], "fine_amount": fine, "party_signed": True}
    return case, data


@pytest.mark.parametrize(("fine", "party", "allowed"), [
    ("200", "person", True), ("201", "person", False), ("3000", "organization", True),
    ("3001", "organization", False),
])
def test_case_5_on_the_spot_limits_inclusive(world, fine, party, allowed):
    case, data = _on_spot(world, fine, person_party() if party == "person" else org_party())
    if allowed:
        case = act(world, case, "decide_on_spot", data)
        doc = Document.objects.get(subject_id=case.public_id, doc_type="on_site_decision")
        assert doc.number and case.state == "decided_on_site"
    else:
        assert "普通程序" in refused(world, case, "decide_on_spot", data, "CASE-5")


def test_case_6_signature_or_refusal_note_and_case_7_collection(world):
    case, data = _on_spot(world, "150", person_party())
    refused(world, case, "decide_on_spot", {**data, "party_signed": False}, "CASE-6")
    case = act(world, case, "decide_on_spot", {**data, "party_signed": False, "refusal_note": "当事人拒绝签收"})
    refused(world, case, "collect_on_spot", {"ground": "small", "amount": "150", "receipt": "F-001"}, "CASE-7")
    case = act(world, case, "collect_on_spot", {"ground": "remote_request", "amount": "150", "receipt": "F-001"})
    assert case.state == "performed"
    assert Deadline.objects.get(case=case, code="cash_handover").due == date(2026, 6, 3)


def test_simple_case_converted_to_general_procedure(world):
    case, _data = _on_spot(world, "201", person_party())
    case = act(world, case, "convert_to_general", {"reason": "罚款超过当场处罚限额"})
    new = Case.objects.get(source_case=case)
    assert (new.kind, new.state, new.parties.count()) == ("penalty", "lead_registered", 1)


# ------------------------------------------------------------------------------------------------------ inspection


def test_inspection_record_result_and_penalty_case_from_it(world):
    case = case_create(actor=world["officer"], kind="inspection",
                       data=penalty_case_data(title="河道采砂专项检查", parties=[org_party()]), today=DAY)
    refused(world, case, "record_result", {"result": "violation_found", "content": "发现超范围采砂"}, "CASE-9")
    refused(world, case, "record_check", record_input(world, staff=[world.officer_ids[0]]), "REG-9")
    act(world, case, "record_check", record_input(world))
    case = act(world, case, "record_result", {"result": "violation_found", "content": "发现超范围采砂"})
    case = act(world, case, "open_penalty_case", {"title": "超范围采砂案"})
    derived = Case.objects.get(source_case=case)
    assert (derived.source_kind, derived.title, derived.state) == ("inspection", "超范围采砂案", "lead_registered")
    fine = case_create(actor=world["officer"], kind="inspection", data=penalty_case_data(parties=[org_party()]),
                       today=DAY)
    act(world, fine, "record_check", record_input(world))
    fine = act(world, fine, "record_result", {"result": "no_problem", "content": "未发现问题"})
    refused(world, fine, "open_penalty_case", {"title": "x案"}, "CASE-2")
    assert act(world, fine, "close", {"summary": "检查未发现问题"}).state == "closed"


# -------------------------------------------------------------------------------------------- audio/video (REC-4)


def test_rec_4_required_recording_and_rec_5_reason_when_conditional(agency_a):
    from zhifa.cases.testing import make_case_world as make

    world = make(agency_a, av="required")
    case = walk_to(world, new_penalty_case(world), "investigating")
    assert "全程音像记录" in refused(world, case, "record_inspection", record_input(world), "REC-4")
    from zhifa.registry.models import AvRecordingItem

    AvRecordingItem.objects.filter(agency=world.agency).update(requirement="conditional")
    refused(world, case, "record_inspection", record_input(world), "REC-5")
    act(world, case, "record_inspection", record_input(world, av_omitted_reason="执法记录仪故障，已书面记录"))
    assert penalty.PENALTY.actions["hold_hearing"].av_steps == ("举行听证",)


def test_rec_4_an_attached_recording_of_the_case_satisfies_the_list(agency_a, agency_b):
    from zhifa.cases.testing import make_case_world as make
    from zhifa.cases.testing import upload_recording

    world = make(agency_a, av="required")
    case = walk_to(world, new_penalty_case(world), "investigating")
    other = walk_to(world, new_penalty_case(world), "investigating")
    foreign = upload_recording(world["officer"], other)  # another case's recording does not count
    refused(world, case, "record_inspection", record_input(world, recordings=[str(foreign.public_id)]), "REC-9")
    mine = upload_recording(world["officer"], case)
    act(world, case, "record_inspection", record_input(world, recordings=[str(mine.public_id)]))
    assert case.activities.get().recordings == [str(mine.public_id)]
