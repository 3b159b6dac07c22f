"""Test and benchmark helpers for cases: an agency with certified officers and its lists, valid parties, and
`walk_to`, which drives a case through the services to any state of its table (used by the transition-pair tests,
scenario tests and bench/cases.py)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from zhifa.accounts.models import User
from zhifa.cases.engine import case_act
from zhifa.cases.models import AgencyCaseSettings, Case
from zhifa.cases.services import case_create
from zhifa.common.identifiers import resident_id_check_char
from zhifa.records.blobstore import default_store
from zhifa.records.evidence import CaptureInfo, evidence_create
from zhifa.registry import models as reg
from zhifa.registry.testing import AgencyPersonas, make_uscc
from zhifa.review.services import ALL_CHECKS_PASSED

_serial = itertools.count(1)
SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 6, 1)  # a Monday with working days around it


def resident_id(birth: date, region: str = "430682", seq: int | None = None) -> str:
    seq = (next(_serial) % 499) * 2 + 1 if seq is None else seq
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + resident_id_check_char(first17)


def person_party(name: str = "张三", birth: date = date(1980, 5, 1), **extra: Any) -> dict[str, Any]:
    return {"kind": "person", "name": name, "id_number": resident_id(birth), "address": "临湘市长安街道河滨路8号",
            "phone": "13800000000", **extra}


def org_party(name: str = "临湘市河口砂石有限公司", **extra: Any) -> dict[str, Any]:
    return {"kind": "organization", "name": name, "uscc": make_uscc(), "legal_representative": "李四",
            "address": "临湘市江南镇河口村", "phone": "0730-0000000", **extra}


def penalty_case_data(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "未经批准在河道管理范围内采砂案", "source_kind": "inspection", "source_detail": "日常巡查发现",
        "violation_place": "临湘市长江干流江南段", "violation_region_code": "430682",
        "act_date": date(2026, 5, 20), "discovered_on": date(2026, 5, 21), "summary": "巡查发现采砂船正在作业。",
        "registered_on": DAY, "parties": [person_party()],
    }
    data.update(extra)
    return data


def proposal(fine: str = "5000", **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "penalty_kinds": ["fine"], "fine_amount": fine,
        "legal_basis_text": "《中华人民共和国水法》第六十五条第一款",
        "served_on": None,
    }
    data.update(extra)
    return data


@dataclass
class CaseWorld:
    """One agency (from the personas) with three certified officers (the first is the officer user's), an
    auxiliary, an officer with an expired certificate, a hearing host, and the reviewer's staff row."""

    personas: AgencyPersonas
    officers: list[reg.Staff] = field(default_factory=list)
    auxiliary: reg.Staff | None = None
    expired: reg.Staff | None = None
    host: reg.Staff | None = None

    def __getitem__(self, role: str) -> User:
        return self.personas[role]

    @property
    def agency(self) -> reg.Agency:
        return self.personas.agency

    @property
    def officer_ids(self) -> list[str]:
        return [str(s.public_id) for s in self.officers[:2]]


def _staff(agency: reg.Agency, name: str, *, valid_to: date = date(2029, 12, 31), auxiliary: bool = False,
           user: User | None = None, reviewer: bool = False) -> reg.Staff:
    staff = reg.Staff.objects.create(agency=agency, name=name, is_auxiliary=auxiliary, user=user,
                                     is_legal_reviewer=reviewer, has_legal_qualification=reviewer)
    if not auxiliary:
        reg.Certificate.objects.create(
            staff=staff, number=f"T{agency.pk}-{next(_serial):05d}", certificate_type="provincial",
            issuer="湖南省人民政府", valid_from=date(2021, 4, 1), valid_to=valid_to, domains="水行政",
        )
    return staff


def make_case_world(personas: AgencyPersonas, *, av: str = "", review_threshold: str = "10000") -> CaseWorld:
    """`av`: "" no 音像记录事项清单; "required" or "conditional" for the on-site steps. The review catalog
    requires review from `review_threshold` CNY (persons) and ten times that (organizations)."""
    agency = personas.agency
    agency.short_name = agency.short_name or agency.name[:2]
    agency.reconsideration_body = agency.reconsideration_body or "临湘市人民政府"
    agency.litigation_court = agency.litigation_court or "临湘市人民法院"
    agency.address = agency.address or "临湘市长安街道政府路1号"
    agency.save()
    world = CaseWorld(personas)
    world.officers = [
        _staff(agency, "王建国", user=personas["officer"]),
        _staff(agency, "李秀英", user=personas["unit_head"]),
        _staff(agency, "赵志强"),
    ]
    world.auxiliary = _staff(agency, "钱协管", auxiliary=True)
    world.expired = _staff(agency, "孙过期", valid_to=date(2026, 3, 31))
    world.host = _staff(agency, "周主持")
    _staff(agency, "吴审核", user=personas["legal_reviewer"], reviewer=True)
    AgencyCaseSettings.objects.update_or_create(agency=agency, defaults={
        "hearing_fine_person": Decimal("10000"), "hearing_fine_organization": Decimal("100000")})
    published = reg.PublicationStatus.PUBLISHED
    reg.ReviewCatalogItem.objects.create(
        agency=agency, title="较大数额罚没款的行政处罚决定", action_type=reg.ActionType.PENALTY,
        amount_threshold_person=Decimal(review_threshold),
        amount_threshold_organization=Decimal(review_threshold) * 10, publication_status=published)
    reg.ReviewCatalogItem.objects.create(
        agency=agency, title="经过听证程序作出的行政处罚决定", action_type=reg.ActionType.PENALTY,
        when_hearing_held=True, publication_status=published)
    if av:
        for step in ("现场检查（现场勘查）", "调查取证", "举行听证", "留置送达", "公告送达"):
            reg.AvRecordingItem.objects.create(agency=agency, step=step, requirement=av, publication_status=published)
    return world


def record_input(world: CaseWorld, on: date = DAY, **extra: Any) -> dict[str, Any]:
    data = {"started_at": datetime.combine(on, time(9, 30), tzinfo=SHANGHAI),
            "ended_at": datetime.combine(on, time(10, 15), tzinfo=SHANGHAI), "place": "临湘市长江干流江南段", "staff": world.officer_ids, "certificate_shown": True,
            "subject": "张三", "content": "现场发现采砂船一艘正在作业，未能出示河道采砂许可证。"}
    data.update(extra)
    return data


# The shortest path to each state of the general procedure: (action, input builder) pairs.
def _penalty_path(world: CaseWorld, day: date) -> list[tuple[str, str, dict[str, Any], date]]:
    hearing_day = date(2026, 6, 15)
    assert world.host is not None, "make_case_world names a hearing host"
    return [
        ("filed", "approve_filing", {"filed_on": day}, day),
        ("investigating", "assign_officers", {"staff": world.officer_ids, "on": day}, day),
        ("", "record_inspection", record_input(world, day), day),
        ("investigation_concluded", "conclude_investigation", {
            "report": "经调查，当事人未经许可在河道管理范围内采砂，事实清楚。", "facts": "当事人于2026年5月20日未经许可在长江干流江南段采砂。",
            "evidence_summary": "现场检查笔录\n询问笔录\n现场照片", "legal_basis_text": "《中华人民共和国水法》第六十五条第一款",
            "opinion": "建议给予罚款处罚。"}, day),
        ("pre_notice_issued", "issue_prior_notice", proposal(served_on=day), day),
        ("hearing_requested", "request_hearing", {"requested_on": day}, day),
        ("hearing_noticed", "notice_hearing", {"notice_on": day, "hearing_on": hearing_day, "place": "本局听证室",
                                               "host": str(world.host.public_id)}, day),
        ("hearing_held", "hold_hearing", {"participants": "当事人张三，调查人员王建国、李秀英",
                                          "investigators_case": "调查人员陈述违法事实和证据。",
                                          "defense": "当事人对事实无异议，请求从轻处罚。", "signed_note": "当事人已签字"},
         hearing_day),
        ("legal_review", "submit_legal_review", {"materials": "调查终结报告、证据材料、听证笔录"}, hearing_day),
        ("", "assign_reviewer", {"reviewer": "<reviewer>"}, hearing_day),
        ("legal_review_passed", "pass_legal_review", {**ALL_CHECKS_PASSED,
                                                      "opinion": "事实清楚，证据确凿，适用依据正确，程序合法，同意。"},
         hearing_day),
        ("decided", "decide", {"decided_on": hearing_day}, hearing_day),
        ("served", "serve", {"method": "direct", "recipient": "张三", "signed_on": hearing_day, "place": "当事人住所"}, hearing_day),
        ("published", "publish", {"published_on": hearing_day}, hearing_day),
        ("performed", "record_payment", {"paid_on": hearing_day, "amount": "30000", "receipt": "HN-0001"},
         hearing_day),
        ("closed", "close", {"on": hearing_day, "summary": "当事人已全额缴纳罚款。"}, hearing_day),
        ("archived", "archive", {"note": ""}, hearing_day),
    ]


ROLE_FOR = {
    "approve_filing": "agency_head", "decline_filing": "agency_head", "assign_officers": "unit_head",
    "issue_prior_notice": "agency_head", "renotify": "agency_head", "notice_hearing": "unit_head",
    "pass_legal_review": "legal_reviewer", "assign_reviewer": "legal_reviewer",
    "request_review_materials": "legal_reviewer", "extend_review": "agency_head", "return_legal_review": "legal_reviewer", "decide": "agency_head",
    "publish": "disclosure_officer", "close": "agency_head", "archive": "archivist",
    "decide_no_penalty": "agency_head", "transfer": "agency_head", "collective_discussion": "agency_head",
    "extend_decision_limit": "agency_head", "apply_court_enforcement": "agency_head", "revoke": "agency_head",
    "change": "agency_head", "confirm_illegal": "agency_head", "confirm_void": "agency_head",
    "approve_preservation": "agency_head", "dispose_preservation": "agency_head", "decide_recusal": "agency_head",
}


def actor_for(world: CaseWorld, action: str) -> User:
    return world[ROLE_FOR.get(action, "officer")]


def new_penalty_case(world: CaseWorld, *, day: date = DAY, **extra: Any) -> Case:
    return case_create(actor=world["officer"], kind="penalty", data=penalty_case_data(registered_on=day, **extra),
                       today=day)


def walk_to(world: CaseWorld, case: Case, state: str, *, day: date = DAY, fine: str = "20000") -> Case:
    """Drive a general-procedure case along the hearing path until it reaches `state` (one of the path's)."""
    for target, action, data, on in _penalty_path(world, day):
        if case.state == state:
            break
        if action == "issue_prior_notice":
            data = proposal(fine=fine, served_on=day)
        if action == "assign_reviewer":
            data = {"reviewer": str(world["legal_reviewer"].public_id)}
        case = case_act(actor=actor_for(world, action), case_id=case.public_id, action=action, data=data, today=on).case
        if target and case.state != target:
            raise AssertionError(f"{action} led to {case.state}, expected {target}")
    if case.state != state:
        raise AssertionError(f"{state} is not on the walk path (stopped at {case.state})")
    return case


def wav_bytes(seconds: int = 1, rate: int = 8000) -> bytes:
    """A real (silent) WAV recording, for tests and the demo's body-camera stand-in."""
    import io
    import wave

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * rate * seconds)
    return buf.getvalue()


def upload_recording(user: User, case: Case, captured_at: datetime | None = None, *, name: str = "执法记录仪.wav"):  # noqa: ANN201
    """Store a recording in the case's stream through the evidence service (as an upload would)."""
    store = default_store()
    writer = store.writer(limit=10 * 1024 * 1024, prefix="test-")
    try:
        writer.write(wav_bytes())
        staged = writer.finish()
        captured = captured_at or datetime.combine(DAY, time(9, 30), tzinfo=SHANGHAI)
        return evidence_create(actor=user, stream=case.stream, staged=staged, original_filename=name,
                               capture=CaptureInfo(captured_at=captured, captured_by=user.full_name,
                                                   device_serial="DSJ-0001"), at=captured)
    finally:
        writer.discard()


def pass_review(world: CaseWorld, case: Case, day: date = DAY, *, submit: bool = True) -> Case:
    """Submit (unless already in review), assign the agency's reviewer and pass with every check ticked."""
    if submit:
        case = case_act(actor=world["officer"], case_id=case.public_id, action="submit_legal_review",
                        data={"materials": "调查终结报告、证据材料、告知及陈述申辩材料"}, today=day).case
    case = case_act(actor=world["legal_reviewer"], case_id=case.public_id, action="assign_reviewer",
                    data={"reviewer": str(world["legal_reviewer"].public_id)}, today=day).case
    return case_act(actor=world["legal_reviewer"], case_id=case.public_id, action="pass_legal_review",
                    data={**ALL_CHECKS_PASSED, "opinion": "同意"}, today=day).case
