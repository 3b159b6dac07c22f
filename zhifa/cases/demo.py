"""Demo cases for the demo county (`zhifa demo_cases`, run by `zhifa run` and `make demo` after `zhifa demo`).

Real cases through the real services, at different stages, for 临湘市水利局 (whose 音像记录事项清单 requires
recordings: the demo attaches a short silent WAV standing in for a body-camera clip) and 开原市水利局 (whose list
says "according to circumstances": the demo records why no recording was made, REC-5).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from zhifa.accounts.models import User
from zhifa.cases.engine import case_act
from zhifa.cases.models import Case
from zhifa.cases.services import case_create
from zhifa.cases.testing import org_party, person_party, upload_recording
from zhifa.registry import models as reg
from zhifa.registry.selectors import certified_officers
from zhifa.workdays.calendar import load_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class DemoAgency:
    agency: reg.Agency
    key: str
    officer: User
    unit_head: User
    head: User
    reviewer: User
    publisher: User
    staff_ids: list[str]
    needs_recording: bool


def _user(key: str, suffix: str) -> User:
    return User.objects.get(username=f"{key}.{suffix}")


def _agency(key: str) -> DemoAgency | None:
    officer = User.objects.filter(username=f"{key}.officer").select_related("agency").first()
    if officer is None or officer.agency is None:
        return None
    agency = officer.agency
    today = timezone.localdate()
    own: reg.Staff | None = getattr(officer, "staff", None)  # the reverse one-to-one; absent → no staff row
    if own is None:
        return None
    others = [s for s in certified_officers(agency, today).exclude(pk=own.pk)
              if not s.is_legal_reviewer and s.unit_id == own.unit_id]
    if not others:
        return None
    needs = reg.AvRecordingItem.objects.filter(agency=agency, requirement=reg.RecordingRequirement.REQUIRED,
                                               publication_status=reg.PublicationStatus.PUBLISHED).exists()
    return DemoAgency(agency, key, officer, _user(key, "unithead"), _user(key, "head"), _user(key, "reviewer"),
                      _user(key, "disclosure"), [str(own.public_id), str(others[0].public_id)], needs)


def _workday_before(agency: reg.Agency, day: date, back: int) -> date:
    cal = load_calendar(agency.region_code)
    d = day - timedelta(days=back)
    while not cal.is_workday(d):
        d -= timedelta(days=1)
    return d


def _record(ctx: DemoAgency, case: Case, day: date, content: str, subject: str) -> dict[str, object]:
    start = datetime.combine(day, time(9, 30), tzinfo=SHANGHAI)
    data: dict[str, object] = {
        "started_at": start, "ended_at": start + timedelta(minutes=40), "place": case.violation_place,
        "staff": ctx.staff_ids, "certificate_shown": True, "subject": subject, "content": content,
    }
    if ctx.needs_recording:
        data["recordings"] = [str(upload_recording(ctx.officer, case, start).public_id)]
    else:
        data["av_omitted_reason"] = "现场情况简单，笔录已完整记录执法过程"
    return data


def _general(ctx: DemoAgency, day: date, title: str, party: dict[str, object], place: str) -> Case:
    case = case_create(actor=ctx.officer, kind="penalty", today=day, data={
        "title": title, "source_kind": "inspection", "source_detail": "水政监察大队日常巡查发现",
        "violation_place": place, "violation_region_code": ctx.agency.region_code, "act_date": day - timedelta(days=2),
        "discovered_on": day - timedelta(days=1), "summary": f"巡查发现{title[:-1]}。", "registered_on": day,
        "parties": [party]})
    case = case_act(actor=ctx.head, case_id=case.public_id, action="approve_filing", data={"filed_on": day},
                    today=day).case
    case = case_act(actor=ctx.unit_head, case_id=case.public_id, action="assign_officers",
                    data={"staff": ctx.staff_ids, "on": day}, today=day).case
    return case_act(actor=ctx.officer, case_id=case.public_id, action="record_inspection", today=day,
                    data=_record(ctx, case, day, "现场发现当事人正在实施违法行为，执法人员当场责令停止。", str(party["name"]))).case


def _conclude(ctx: DemoAgency, case: Case, day: date, basis: str) -> Case:
    return case_act(actor=ctx.officer, case_id=case.public_id, action="conclude_investigation", today=day, data={
        "report": "经调查，当事人违法事实清楚，证据确凿。", "facts": case.summary or case.title,
        "evidence_summary": "现场检查笔录\n现场照片\n执法记录仪音像记录", "legal_basis_text": basis,
        "opinion": "建议依法给予罚款处罚。"}).case


def load_demo_cases(today: date | None = None) -> int:
    """Create the demo cases once (returns how many; 0 when cases exist already or the demo is not loaded)."""
    if Case.objects.exists():
        return 0
    today = today or timezone.localdate()
    made = 0
    for key in ("linxiang", "kaiyuan"):
        ctx = _agency(key)
        if ctx is None:
            continue
        with transaction.atomic():
            made += _load(ctx, today)
    return made


def _load(ctx: DemoAgency, today: date) -> int:
    basis = "《中华人民共和国河道管理条例》第四十四条、第二十五条"
    place = f"{ctx.agency.region_name}长江干流河段"
    d40 = _workday_before(ctx.agency, today, 40)
    d20 = _workday_before(ctx.agency, today, 20)
    d3 = _workday_before(ctx.agency, today, 3)
    # 1. investigating
    _general(ctx, d40, "未经批准在河道管理范围内采砂案", person_party("陈建华", birth=date(1978, 3, 12)), place)
    # 2. prior notice with a hearing right (fine ≥ the configured 较大数额)
    case = _general(ctx, d20, "在河道管理范围内弃置砂石案", org_party("临江砂石贸易有限公司"), place)
    case = _conclude(ctx, case, d20, basis)
    case_act(actor=ctx.head, case_id=case.public_id, action="issue_prior_notice", today=d3, data={
        "penalty_kinds": ["fine"], "fine_amount": "120000", "legal_basis_text": basis, "served_on": d3})
    # 3. waiting for legal review (amount in the review catalog)
    case = _general(ctx, d20, "未经许可取水案", person_party("刘桂兰", birth=date(1969, 8, 2)), place)
    case = _conclude(ctx, case, d20, "《取水许可和水资源费征收管理条例》第四十八条")
    case = case_act(actor=ctx.head, case_id=case.public_id, action="issue_prior_notice", today=d20, data={
        "penalty_kinds": ["fine"], "fine_amount": "20000", "legal_basis_text": "《中华人民共和国水法》第六十九条",
        "served_on": d20}).case
    case = case_act(actor=ctx.officer, case_id=case.public_id, action="close_defense", today=d3,
                    data={"outcome": "statement", "text": "当事人称不知需要办理取水许可。复核：不影响违法事实认定，不予采纳。"}).case
    if case.legal_review_required:
        case_act(actor=ctx.officer, case_id=case.public_id, action="submit_legal_review", today=d3,
                 data={"materials": "调查终结报告、证据清单、事先告知书及送达回证、陈述申辩笔录"})
    # 4. an on-the-spot warning and fine
    simple = case_create(actor=ctx.officer, kind="penalty_simple", today=d3, data={
        "title": "在堤防上违规取土案", "source_kind": "inspection", "violation_place": f"{ctx.agency.region_name}长江大堤",
        "violation_region_code": ctx.agency.region_code, "act_date": d3, "discovered_on": d3, "registered_on": d3,
        "parties": [person_party("王小军", birth=date(1990, 1, 15))]})
    simple_data: dict[str, object] = {
        "on": d3, "place": f"{ctx.agency.region_name}长江大堤", "staff": ctx.staff_ids, "certificate_shown": True,
        "facts": "当事人在堤防上取土约0.5立方米，事实清楚，当事人承认。", "legal_basis_text": "《中华人民共和国防洪法》第六十条",
        "penalty_kinds": ["warning", "fine"], "fine_amount": "200", "party_signed": True,
        "av_omitted_reason": "" if ctx.needs_recording else "现场情况简单，决定书已完整记录"}
    if ctx.needs_recording:
        simple_data["recordings"] = [str(upload_recording(ctx.officer, simple,
                                                          datetime.combine(d3, time(15), tzinfo=SHANGHAI)).public_id)]
    case_act(actor=ctx.officer, case_id=simple.public_id, action="decide_on_spot", data=simple_data, today=d3)
    # 5. an inspection without findings, closed
    check = case_create(actor=ctx.officer, kind="inspection", today=d20, data={
        "title": "河道采砂专项检查", "source_kind": "random_check", "violation_place": place,
        "violation_region_code": ctx.agency.region_code, "registered_on": d20,
        "parties": [org_party("长江河道采砂管理站")]})
    case_act(actor=ctx.officer, case_id=check.public_id, action="record_check", today=d20,
             data=_record(ctx, check, d20, "检查采砂许可证、采砂船只和作业范围，未发现违法行为。", "长江河道采砂管理站"))
    case_act(actor=ctx.officer, case_id=check.public_id, action="record_result", today=d20,
             data={"result": "no_problem", "content": "经检查，未发现违法行为。"})
    case_act(actor=ctx.unit_head, case_id=check.public_id, action="close", today=d20,
             data={"summary": "检查未发现问题，予以办结。"})
    return 5
