"""Publication of enforcement decisions (issue 12, ADR 0044): the draft made at the decision, its deadlines across
the 2026 National Day holiday, the masks and their log, the internal review, fail-closed publication, correction
and withdrawal. Rules: DISC-1, DISC-9, DISC-10, DISC-11, DISC-12, DISC-17, DISC-20…25."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from zhifa.accounts.roles import Role
from zhifa.accounts.services import api_token_create
from zhifa.cases.engine import GateBlocked, case_act
from zhifa.cases.models import Case, Deadline, DeadlineState, PenaltyDetail
from zhifa.cases.testing import (
    actor_for,
    make_case_world,
    new_penalty_case,
    org_party,
    person_party,
    proposal,
    resident_id,
    walk_to,
)
from zhifa.common.errors import InvalidInput, InvalidState, NotAllowed
from zhifa.disclosure import selectors
from zhifa.disclosure.decisions import services as pub
from zhifa.disclosure.decisions.periods import publicity_end
from zhifa.disclosure.decisions.text import apply_masks
from zhifa.disclosure.models import (
    DecisionDraft,
    DraftState,
    EntryKind,
    PublicationEvent,
    PublicEntry,
    RedactionLog,
)
from zhifa.disclosure.search import invalidate_search_index
from zhifa.disclosure.services import public_entry_publish
from zhifa.records.models import LedgerEntry

pytestmark = pytest.mark.django_db

# Tue 2026-09-29: 9/30 (1), National Day 10/1–10/7 off, 10/8 (2), 10/9 (3), make-up Sat 10/10 (4), 10/12 (5),
# 10/13 (6), 10/14 (7).
DECIDED = date(2026, 9, 29)
SEVEN_WD = date(2026, 10, 14)
TWENTY_WD = date(2026, 11, 2)
ORG = "临湘市刘德明砂石经营部"


@pytest.fixture
def world(agency_a, settings):  # noqa: ANN001, ANN201
    settings.DISCLOSURE_USE_MODEL = False  # the rules alone: fast and deterministic
    return make_case_world(agency_a)


def act(world, case: Case, action: str, data: dict, day: date) -> Case:  # noqa: ANN001
    return case_act(actor=actor_for(world, action), case_id=case.public_id, action=action, data=data, today=day).case


def decided(world, day: date = DECIDED, facts: str = "", **extra) -> Case:  # noqa: ANN001, ANN003
    parties = extra.pop("parties", [org_party(ORG, legal_representative="刘德明", phone="13912345678")])
    case = new_penalty_case(world, day=date(2026, 9, 1), parties=parties,
                            act_date=date(2026, 8, 20), discovered_on=date(2026, 8, 21))
    case = walk_to(world, case, "investigation_concluded", day=date(2026, 9, 1))
    if facts:
        PenaltyDetail.objects.filter(case=case).update(facts=facts)
    case = act(world, case, "issue_prior_notice", proposal(fine="500", served_on=date(2026, 9, 2)), date(2026, 9, 2))
    case = act(world, case, "close_defense", {"outcome": "waived", "on": date(2026, 9, 3)}, date(2026, 9, 3))
    return act(world, case, "decide", {"decided_on": day}, day)


def served(world, case: Case, day: date = date(2026, 9, 30)) -> Case:  # noqa: ANN001
    return act(world, case, "serve", {"method": "direct", "recipient": "刘德明", "place": "当事人住所",
                                      "signed_on": day}, day)


def draft_of(case: Case) -> DecisionDraft:
    return DecisionDraft.objects.get(case=case)


def approved(world, case: Case) -> DecisionDraft:  # noqa: ANN001
    draft = draft_of(case)
    pub.decision_submit(actor=world["disclosure_officer"], draft_id=draft.public_id)
    return pub.decision_review(actor=world["agency_head"], draft_id=draft.public_id, approve=True)


# --- 1. the draft at the decision ------------------------------------------------------------------------------


def test_disc_9_disc_12_disc_20_a_decision_leaves_a_desensitized_draft_with_its_deadline(world):
    case = decided(world)
    draft = draft_of(case)
    assert draft.state == DraftState.DRAFT and draft.period_rule == "DISC-9"
    # DISC-12: body, target, category, conclusion (plus number, date, basis)
    assert (draft.enforcement_body, draft.target, draft.category) == (world.agency.name, ORG, "penalty")
    assert draft.conclusion and draft.decision_number and draft.decided_on == DECIDED
    assert "水法" in draft.legal_basis
    text = apply_masks(draft.original_text, draft.masks)
    # DISC-20: identical to the served text except for the masks
    # layer (a): the legal representative's name is masked everywhere, inside the organization's name too (a
    # wrong mask the officer takes off below); the agency's own address stays
    assert ORG.replace("刘德明", "刘某某") in text and "刘德明" not in text
    assert world.agency.address in text and "未经许可" in text and "当事人应当" in text
    rebuilt, pos = [], 0
    for m in sorted(draft.masks, key=lambda m: m["start"]):
        rebuilt.append(draft.original_text[pos:m["start"]] + m["replacement"])
        pos = m["end"]
    assert "".join(rebuilt) + draft.original_text[pos:] == text
    # each mask has its rule; the auto masks are logged (DISC-21)
    assert all(m["rule"] for m in draft.masks)
    assert RedactionLog.objects.filter(draft=draft, action="auto").count() == len(draft.masks)
    row = Deadline.objects.get(case=case, code="publication")
    assert (row.rule, row.start, row.due, row.day_kind) == ("DISC-9", DECIDED, SEVEN_WD, "working")


def test_disc_10_an_inspection_result_gets_20_working_days_across_national_day(world):
    from zhifa.cases.services import case_create
    from zhifa.cases.testing import record_input

    officer = world["officer"]
    case = case_create(actor=officer, kind="inspection", today=DECIDED, data={
        "title": "河道采砂专项检查", "source_kind": "inspection", "source_detail": "年度检查计划",
        "violation_place": "临湘市长江干流江南段", "violation_region_code": "430682", "registered_on": DECIDED,
        "parties": [org_party(ORG)]})
    case = case_act(actor=officer, case_id=case.public_id, action="record_check", today=DECIDED,
                    data=record_input(world, on=DECIDED)).case
    case_act(actor=officer, case_id=case.public_id, action="record_result", today=DECIDED,
             data={"result": "no_problem", "content": "未发现违法行为。"})
    draft = draft_of(case)
    assert draft.period_rule == "DISC-10" and draft.category == "inspection"
    assert Deadline.objects.get(case=case, code="publication").due == TWENTY_WD


def test_disc_17_one_deadline_per_channel(world, settings):
    settings.DISCLOSURE_CHANNELS = ["portal", "credit", "gsxt"]
    case = decided(world)
    rows = {d.code: d for d in Deadline.objects.filter(case=case, code__startswith="publication")}
    assert rows["publication"].due == rows["publication:credit"].due == SEVEN_WD
    assert rows["publication:gsxt"].rule == "DISC-16" and rows["publication:gsxt"].due == TWENTY_WD


def test_disc_9_warning_yellow_two_working_days_before_red_when_missed(world):
    case = decided(world)
    due = SEVEN_WD
    # 10/12 Mon: 10/13 and 10/14 left → yellow; 10/9 Fri: make-up Sat 10/10, 10/12, 10/13, 10/14 → none
    assert pub.warning_level(case=case, due=due, today=date(2026, 10, 12)) == "yellow"
    assert pub.warning_level(case=case, due=due, today=date(2026, 10, 9)) == ""
    assert pub.working_days_left(case=case, due=due, today=date(2026, 10, 9)) == 4
    assert pub.warning_level(case=case, due=due, today=date(2026, 10, 15)) == "red"
    from zhifa.cases.deadlines import deadlines_tick

    deadlines_tick(today=date(2026, 10, 14))
    assert Deadline.objects.get(case=case, code="publication").state == DeadlineState.RUNNING
    deadlines_tick(today=date(2026, 10, 15))
    assert Deadline.objects.get(case=case, code="publication").state == DeadlineState.MISSED


def test_disc_11_exemption_with_a_reason_closes_the_deadline(world):
    case = decided(world)
    draft = draft_of(case)
    with pytest.raises(InvalidInput):
        pub.decision_exempt(actor=world["disclosure_officer"], draft_id=draft.public_id, reason=" ")
    pub.decision_exempt(actor=world["disclosure_officer"], draft_id=draft.public_id,
                        reason="涉及国家秘密，依《中华人民共和国保守国家秘密法》不予公开", today=date(2026, 10, 9))
    row = Deadline.objects.get(case=case, code="publication")
    assert row.state == DeadlineState.MET and "DISC-11" in row.history[-1]["reason"]
    assert draft_of(case).state == DraftState.EXEMPT


# --- 2. review and publish -------------------------------------------------------------------------------------


def test_disc_21_masks_added_and_removed_with_reasons_are_logged(world):
    case = decided(world)
    draft = draft_of(case)
    officer = world["disclosure_officer"]
    inside = draft.original_text.index(ORG) + 3  # 刘德明 inside the organization's name
    wrong = next(m for m in draft.masks if m["start"] == inside)
    assert wrong["rule"] == "known"
    with pytest.raises(InvalidInput):
        pub.decision_mask_remove(actor=officer, draft_id=draft.public_id, start=inside, reason="")
    pub.decision_mask_remove(actor=officer, draft_id=draft.public_id, start=inside,
                             reason="系企业名称的一部分，应当公开")
    n = pub.decision_mask_add(actor=officer, draft_id=draft.public_id, text="长江干流江南段", category="other",
                              reason="涉及尚未公开的执法部署")
    assert n >= 1
    draft.refresh_from_db()
    text = apply_masks(draft.original_text, draft.masks)
    assert "长江干流江南段" not in text and ORG in text and "（负责人）：刘某某" in text
    log = list(RedactionLog.objects.filter(draft=draft).exclude(action="auto").order_by("id"))
    assert [r.action for r in log][:2] == ["remove", "add"]
    assert log[0].operator == officer and log[0].reason and log[0].field.startswith("text[")
    assert log[1].rule == "manual" and log[1].category == "other"
    with pytest.raises(NotAllowed):  # an officer of the case is not the disclosure officer
        pub.decision_mask_add(actor=world["officer"], draft_id=draft.public_id, text="采砂", category="other",
                              reason="x")


def test_disc_1_review_before_release_and_disc_20_publish_after_service(world):
    case = decided(world)
    draft = draft_of(case)
    officer, head = world["disclosure_officer"], world["agency_head"]
    with pytest.raises(InvalidState):
        pub.decision_publish(actor=officer, draft_id=draft.public_id, today=date(2026, 10, 8))
    pub.decision_submit(actor=officer, draft_id=draft.public_id)
    with pytest.raises(InvalidInput):
        pub.decision_review(actor=head, draft_id=draft.public_id, approve=False, opinion="")
    pub.decision_review(actor=head, draft_id=draft.public_id, approve=False, opinion="请核对当事人名称")
    assert draft_of(case).state == DraftState.RETURNED
    pub.decision_submit(actor=officer, draft_id=draft.public_id)
    pub.decision_review(actor=head, draft_id=draft.public_id, approve=True)
    with pytest.raises(GateBlocked) as exc:  # not yet served
        pub.decision_publish(actor=officer, draft_id=draft.public_id, today=date(2026, 9, 30))
    assert exc.value.rule == "DISC-20"
    case = served(world, case)
    pub.decision_publish(actor=officer, draft_id=draft.public_id, today=date(2026, 10, 8))
    case.refresh_from_db()
    assert case.state == "published"  # the case's own publish step is completed
    row = Deadline.objects.get(case=case, code="publication")
    assert row.state == DeadlineState.MET and row.closed_on == date(2026, 10, 8)
    entry = PublicEntry.objects.get(kind=EntryKind.DECISION, is_current=True)
    assert entry.body["decision_number"] == draft.decision_number and entry.body["target"] == ORG
    assert "13912345678" not in entry.search_text


def test_publication_fails_closed_on_an_id_number_or_phone_left_in_clear(world):
    number = resident_id(date(1990, 3, 7))
    facts = f"当事人于2026年5月20日未经许可采砂，证人（公民身份号码{number}）在场。"
    case = served(world, decided(world, parties=[person_party("张三")], facts=facts))
    draft = draft_of(case)
    officer = world["disclosure_officer"]
    assert number in draft.original_text
    idmask = next(m for m in draft.masks if draft.original_text[m["start"]:m["end"]] == number)
    pub.decision_mask_remove(actor=officer, draft_id=draft.public_id, start=idmask["start"], reason="误操作")
    draft = approved(world, case)
    before = draft_of(case).masks
    with pytest.raises(GateBlocked) as exc:
        pub.decision_publish(actor=officer, draft_id=draft.public_id, today=date(2026, 10, 8))
    assert "身份证件号码" in str(exc.value) and number not in str(exc.value) and exc.value.rule == "DISC-21"
    assert draft_of(case).state == DraftState.APPROVED and draft_of(case).masks == before  # nothing lost
    assert not PublicEntry.objects.filter(kind=EntryKind.DECISION).exists()


def published(world, case: Case | None = None) -> DecisionDraft:  # noqa: ANN001
    case = case or served(world, decided(world))
    draft = approved(world, case)
    return pub.decision_publish(actor=world["disclosure_officer"], draft_id=draft.public_id, today=date(2026, 10, 8))


def test_disc_22_correction_is_a_new_version_with_a_note_and_history(world):
    draft = published(world)
    officer = world["disclosure_officer"]
    pub.decision_mask_add(actor=officer, draft_id=draft.public_id, text="长江干流江南段", category="other",
                          reason="更正：地点属于内部信息")
    pub.decision_correct(actor=officer, draft_id=draft.public_id, note="更正了违法地点的公开方式")
    versions = list(PublicEntry.objects.filter(kind=EntryKind.DECISION, source_id=draft.pk).order_by("version"))
    assert [(v.version, v.is_current) for v in versions] == [(1, False), (2, True)]
    assert versions[1].body["correction_note"] == "更正了违法地点的公开方式"
    assert "长江干流江南段" in versions[0].body["text"] and "长江干流江南段" not in versions[1].body["text"]


def test_disc_23_24_25_withdrawal_with_a_public_reason_keeps_everything(world):
    draft = published(world)
    case = draft.case
    act(world, case, "revoke", {"on": date(2026, 10, 9), "reason": "经行政复议决定撤销"}, date(2026, 10, 9))
    row = Deadline.objects.get(case=case, code="withdrawal")
    assert row.due == date(2026, 10, 13)  # 3 WD: make-up Sat 10/10, Mon 10/12, Tue 10/13
    with pytest.raises(InvalidInput):
        pub.decision_withdraw(actor=world["disclosure_officer"], draft_id=draft.public_id, reason="")
    pub.decision_withdraw(actor=world["disclosure_officer"], draft_id=draft.public_id, reason="原处罚决定已被行政复议机关撤销",
                          today=date(2026, 10, 12))
    assert Deadline.objects.get(case=case, code="withdrawal").state == DeadlineState.MET
    entry = PublicEntry.objects.get(kind=EntryKind.DECISION, source_id=draft.pk)
    assert not entry.is_current and entry.withdrawn_at and entry.withdrawal_reason == "原处罚决定已被行政复议机关撤销"
    assert entry.body["text"]  # DISC-25: the published version stays
    d = draft_of(case)
    assert d.withdrawn_by == world["disclosure_officer"] and d.withdrawn_at
    assert selectors.decision_withdrawn(public_id=entry.public_id).withdrawal_reason


def test_public_entry_publish_keeps_its_old_signature(world):
    # backward compatible: the registry listener calls it without the new keyword arguments
    entry = public_entry_publish(obj=world.agency, agency_id=world.agency.pk, version=1,
                                 actor=world["agency_admin"])
    assert entry.is_current


def test_staff_pages_show_the_draft_with_its_highlighted_masks(world):
    case = decided(world)
    draft = draft_of(case)
    client = Client()
    client.force_login(world["disclosure_officer"])
    page = client.get(reverse("decisions:desk"))
    assert page.status_code == 200 and draft.decision_number in page.content.decode()
    detail = client.get(reverse("decisions:detail", args=[draft.public_id])).content.decode()
    assert "<mark" in detail and "案件登记的个人信息" in detail


# --- 3./4. the portal and the public API -----------------------------------------------------------------------


@pytest.fixture
def public_decision(world, settings):  # noqa: ANN001, ANN201
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    invalidate_search_index()
    public_entry_publish(obj=world.agency, agency_id=world.agency.pk, version=1, actor=world["agency_admin"])
    draft = published(world)
    return draft, PublicEntry.objects.get(kind=EntryKind.DECISION, source_id=draft.pk, is_current=True)


def test_portal_finds_the_decision_by_the_party_and_filters_it(world, public_decision):
    draft, entry = public_decision
    client = Client()
    page = client.get(reverse("portal:search"), {"q": ORG}).content.decode()
    assert reverse("portal:entry", args=[entry.public_id]) in page and "行政执法决定" in page
    for params, found in (({"year": 2026}, True), ({"year": 2025}, False), ({"penalty_kind": "fine"}, True),
                          ({"penalty_kind": "warning"}, False), ({"sector": world.agency.sector}, True),
                          ({"kind": "decision"}, True), ({"kind": "officer"}, False)):
        page = client.get(reverse("portal:search"), {"q": ORG, **params}).content.decode()
        assert (reverse("portal:entry", args=[entry.public_id]) in page) is found, params
    # browse without a keyword: the category alone lists it
    page = client.get(reverse("portal:search"), {"kind": "decision", "year": 2026}).content.decode()
    assert entry.title in page
    section = client.get(reverse("portal:agency_section", args=[world.agency.public_id, "decisions"]))
    assert section.status_code == 200 and entry.title in section.content.decode() and "执法结果" in section.content.decode()
    detail = client.get(reverse("portal:entry", args=[entry.public_id])).content.decode()
    assert draft.decision_number in detail and "决定书全文" in detail and "刘某某" in detail
    rest = detail.replace(ORG, "")
    assert "刘德明" not in rest, rest[rest.find("刘德明") - 200:rest.find("刘德明") + 50]


def test_public_api_lists_and_shows_decisions(world, public_decision):
    draft, entry = public_decision
    client = Client()
    data = client.get("/api/v1/public/decisions", {"year": 2026, "penalty_kind": "fine"}).json()
    assert data["count"] == 1 and data["items"][0]["decision_number"] == draft.decision_number
    assert data["items"][0]["penalty_kinds"] == ["罚款"] and data["items"][0]["target"] == ORG
    assert client.get("/api/v1/public/decisions", {"year": 2025}).json()["count"] == 0
    assert client.get("/api/v1/public/decisions", {"q": ORG}).json()["count"] == 1
    one = client.get(f"/api/v1/public/decisions/{entry.public_id}").json()
    assert one["body"]["text"] and "刘德明" not in one["body"]["text"].replace(ORG, "")


def test_disc_23_withdrawn_decision_leaves_search_and_keeps_a_public_notice(world, public_decision):
    draft, entry = public_decision
    client = Client()
    pub.decision_withdraw(actor=world["disclosure_officer"], draft_id=draft.public_id, reason="原处罚决定已依法撤销")
    assert reverse("portal:entry", args=[entry.public_id]) not in client.get(
        reverse("portal:search"), {"q": ORG}).content.decode()
    assert client.get("/api/v1/public/decisions").json()["count"] == 0
    page = client.get(reverse("portal:entry", args=[entry.public_id]))
    assert page.status_code == 410
    body = page.content.decode()
    assert "该行政执法决定已撤下" in body and "原处罚决定已依法撤销" in body and "决定书全文" not in body
    section = client.get(reverse("portal:agency_section", args=[world.agency.public_id, "decisions"])).content.decode()
    assert entry.title not in section


def test_demo_county_has_decision_drafts_waiting(settings):
    from zhifa.cases.demo import load_demo_cases
    from zhifa.registry.demo import load_demo

    settings.DISCLOSURE_USE_MODEL = False
    load_demo()
    load_demo_cases()
    drafts = DecisionDraft.objects.filter(state=DraftState.DRAFT)
    assert {d.case.kind for d in drafts} >= {"penalty_simple", "inspection"}
    simple = drafts.filter(case__kind="penalty_simple").first()
    assert simple.period_rule == "DISC-9" and "王某某" in simple.target
    assert Deadline.objects.filter(case=simple.case, code="publication", state=DeadlineState.RUNNING).exists()


# --- 5. publicity periods ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("decided_on", "kinds", "sector", "until", "version"), [
    (date(2026, 9, 29), ["warning"], "water", date(2026, 12, 29), "DISC-28"),  # slight: 3 months
    (date(2026, 9, 29), ["fine"], "water", date(2027, 9, 29), "DISC-28"),  # general: 1 year
    (date(2026, 9, 29), ["fine", "revoke_license"], "water", date(2029, 9, 29), "DISC-28"),  # serious: 3 years
    (date(2026, 3, 31), ["fine"], "water", date(2029, 3, 31), "DISC-27"),  # before 2026-04-01: max 3 years
    (date(2026, 3, 31), ["warning"], "food", date(2027, 3, 31), "DISC-27"),  # food: at least one year
    (date(2026, 8, 31), ["warning"], "water", date(2026, 11, 30), "DISC-28"),  # no 31 Nov: the month's last day
])
def test_disc_26_27_28_publicity_period_per_record_with_rule_version(decided_on, kinds, sector, until, version):
    end, rule = publicity_end(category="penalty", decided_on=decided_on, penalty_kinds=kinds, sector=sector)
    assert end == until and rule.startswith(version)
    assert publicity_end(category="inspection", decided_on=decided_on, penalty_kinds=[], sector=sector) == (None, "")


def test_disc_26_the_tick_takes_expired_decisions_off_the_portal_without_deleting(world, public_decision):
    draft, entry = public_decision
    draft.refresh_from_db()
    assert draft.public_until == date(2027, 9, 29) and draft.period_version.startswith("DISC-28")
    assert entry.body["public_until"] == "2027-09-29"
    assert pub.decisions_expire(today=date(2027, 9, 29)) == 0  # the last day is still public
    assert pub.decisions_expire(today=date(2027, 9, 30)) == 1
    draft.refresh_from_db()
    entry.refresh_from_db()
    assert draft.state == DraftState.EXPIRED and draft.expired_at
    assert not entry.is_current and entry.body["text"] and "公示期满" in entry.withdrawal_reason
    assert Client().get(reverse("portal:entry", args=[entry.public_id])).status_code == 410


def test_disc_9_missed_and_near_deadlines_are_shown_to_the_head_and_the_supervising_bureau(world, supervisor,
                                                                                          agency_b, monkeypatch):
    case = decided(world)
    draft = draft_of(case)
    from zhifa.disclosure.decisions import views

    for today, badge in ((date(2026, 10, 12), "剩2个工作日"), (date(2026, 10, 15), "已逾期")):
        monkeypatch.setattr(views, "today_in_china", lambda today=today: today)
        for user in (world["agency_head"], supervisor, world["disclosure_officer"]):
            client = Client()
            client.force_login(user)
            page = client.get(reverse("decisions:desk")).content.decode()
            assert draft.decision_number in page and badge in page, (user, today)
    client = Client()
    client.force_login(agency_b["disclosure_officer"])  # another agency: not listed, and its page is a 404
    assert draft.decision_number not in client.get(reverse("decisions:desk")).content.decode()
    assert client.get(reverse("decisions:detail", args=[draft.public_id])).status_code == 404
    client.force_login(supervisor)  # read-only: the bureau cannot act
    client.post(reverse("decisions:act", args=[draft.public_id, "submit"]))
    assert draft_of(case).state == DraftState.DRAFT


def test_disc_26_27_credit_repair_stops_publication_early_only_when_the_rules_allow(world, public_decision):
    """DISC-26: early stop on application only with all four conditions, never for suspension/restriction/
    revocation penalties; DISC-27: not before the minimum period (3 months from the decision)."""
    draft, entry = public_decision
    officer = world["disclosure_officer"]
    every = list(pub.CREDIT_REPAIR_CONDITIONS)
    with pytest.raises(InvalidInput, match="未被列入经营异常名录"):
        pub.decision_credit_repair(actor=officer, draft_id=draft.public_id, application="2027-01-05 申请",
                                   confirmed=every[:3], today=date(2027, 1, 5))
    with pytest.raises(InvalidState, match="最短公示期未满"):
        pub.decision_credit_repair(actor=officer, draft_id=draft.public_id, application="2026-11-05 申请",
                                   confirmed=every, today=date(2026, 12, 28))  # 2026-09-29 + 3 months = 12-29
    DecisionDraft.objects.filter(pk=draft.pk).update(penalty_kinds=["fine", "suspend_license"])
    with pytest.raises(InvalidState, match="不得提前停止公示"):
        pub.decision_credit_repair(actor=officer, draft_id=draft.public_id, application="申请", confirmed=every,
                                   today=date(2027, 1, 5))
    DecisionDraft.objects.filter(pk=draft.pk).update(penalty_kinds=["fine"])
    entry.refresh_from_db()
    assert entry.is_current  # every refusal changed nothing

    # Over the staff page, on today's date: a decision old enough for the minimum period.
    DecisionDraft.objects.filter(pk=draft.pk).update(decided_on=date(2026, 6, 1))
    client = Client()
    client.force_login(officer)
    response = client.post(reverse("decisions:act", args=[draft.public_id, "credit-repair"]),
                           {"application": "当事人提交信用修复申请及履行证明", "condition": every}, follow=True)
    assert "已提前停止公示（信用修复）" in response.content.decode()
    draft.refresh_from_db()
    entry.refresh_from_db()
    assert draft.state == DraftState.EXPIRED and not entry.is_current  # off the portal, nothing deleted (DISC-25)
    assert "信用修复" in entry.withdrawal_reason
    assert Client().get(reverse("portal:entry", args=[entry.public_id])).status_code == 410
    assert PublicationEvent.objects.filter(entry=entry, action="expire").exists()  # in the history (ADR 0045)


def test_the_whole_draft_flow_over_the_staff_api(world, agency_b):
    """DISC-1/20/21/23 over /api/v1/disclosure/decisions: read with 调阅, masks with reasons, review, publish,
    withdraw; refusals are 4xx with the rule; another agency's draft is a 404 for reads and writes."""
    case = served(world, decided(world))
    draft = draft_of(case)

    def client(user):  # noqa: ANN001, ANN202
        _row, token = api_token_create(user=user, name="decisions api test")
        return Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    officer, head = client(world["disclosure_officer"]), client(world["agency_head"])
    base = f"/api/v1/disclosure/decisions/drafts/{draft.public_id}"
    listed = officer.get("/api/v1/disclosure/decisions/drafts").json()
    assert [d["id"] for d in listed] == [str(draft.public_id)] and listed[0]["deadlines"][0]["rule"] == "DISC-9"
    reads = LedgerEntry.objects.filter(kind="access.read").count()
    detail = officer.get(base).json()
    assert LedgerEntry.objects.filter(kind="access.read").count() == reads + 1  # the draft read is a 调阅
    assert "13912345678" not in detail["published_text"] and detail["masks"]

    def step(c, name, **body):  # noqa: ANN001, ANN003, ANN202
        return c.post(f"{base}/{name}", body, content_type="application/json")

    assert step(officer, "mask-add", text="长江干流江南段", category="other", reason="").status_code == 422
    assert step(officer, "mask-add", text="长江干流江南段", category="other", reason="内部地点").status_code == 200
    start = next(m["start"] for m in officer.get(base).json()["masks"] if m["original"] == "长江干流江南段")
    assert step(officer, "mask-remove", start=start, reason="地点可以公开").status_code == 200
    refused = step(officer, "publish")
    assert refused.status_code == 409, refused.content  # DISC-1: not reviewed yet
    assert step(officer, "submit").status_code == 200
    assert step(officer, "approve").status_code == 403  # the officer is not the reviewer
    assert step(head, "approve", opinion="同意").json()["state"] == "approved"
    published = step(officer, "publish").json()
    assert published["state"] == "published" and published["version"] == 1
    assert step(officer, "withdraw", reason="").status_code == 422
    assert step(officer, "withdraw", reason="经复议撤销").json()["state"] == "withdrawn"
    assert step(officer, "no-such-step").status_code == 404

    other = client(agency_b[Role.DISCLOSURE_OFFICER])
    assert other.get(base).status_code == 404
    assert step(other, "withdraw", reason="x").status_code == 404
    assert other.get("/api/v1/disclosure/decisions/drafts").json() == []
