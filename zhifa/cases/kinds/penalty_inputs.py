"""Inputs of the general-procedure actions (行政处罚 普通程序): one schema per action, shared by the API route, the
generated UI form and the engine's validation (ADR 0012)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from ninja import Field, Schema

from zhifa.records.personal import mask_name

PenaltyKindCode = Literal["warning", "circulated_criticism", "fine", "confiscate_gains", "confiscate_property",
                          "suspend_license", "lower_qualification", "revoke_license", "restrict_business",
                          "suspend_business", "close_down", "restrict_practice", "other"]


class FilingIn(Schema):
    filed_on: date | None = Field(None, title="立案日期", description="默认今天（CASE-2）")
    opinion: str = Field("同意立案", max_length=2000, title="审批意见")


class DeclineIn(Schema):
    reason: str = Field(min_length=1, max_length=2000, title="不予立案理由")


class PreservationIn(Schema):
    items: list[str] = Field(min_length=1, title="物品清单（每项：名称、规格、数量）")
    reason: str = Field(min_length=1, max_length=2000, title="先行登记保存理由（证据可能灭失或以后难以取得）")
    on: date | None = Field(None, title="申请日期")
    recordings: list[UUID] = Field(default_factory=list, title="音像记录（本案证据）")
    av_omitted_reason: str = Field("", max_length=200, title="未音像记录的理由（REC-5）")


class PreservationDecisionIn(Schema):
    preservation: UUID = Field(title="先行登记保存")
    on: date | None = Field(None, title="日期")
    disposal: str = Field("", max_length=500, title="处理决定（处理时填写：退还、移送检测、依法没收等）")


class ConcludeIn(Schema):
    report: str = Field(min_length=1, max_length=20000, title="调查终结报告")
    facts: str = Field(min_length=1, max_length=20000, title="违法事实")
    evidence_summary: str = Field(min_length=1, max_length=20000, title="证据（每行一项）")
    legal_basis_text: str = Field(min_length=1, max_length=5000, title="法律依据")
    opinion: str = Field(min_length=1, max_length=5000, title="处理意见")


class NoPenaltyIn(Schema):
    ground: Literal["minor_corrected", "first_violation", "no_fault", "under_fourteen", "mental_incapacity",
                    "facts_not_established"] = Field(title="不予处罚的情形")
    minor: bool = Field(False, title="违法行为轻微")
    corrected_in_time: bool = Field(False, title="及时改正")
    no_harm: bool = Field(False, title="没有造成危害后果")
    first_violation: bool = Field(False, title="初次违法")
    harm_minor: bool = Field(False, title="危害后果轻微")
    reasoning: str = Field(min_length=1, max_length=5000, title="理由")
    education_record: str = Field("", max_length=5000, title="批评教育记录（CASE-18）")
    education_on: date | None = Field(None, title="教育日期")
    decided_on: date | None = Field(None, title="决定日期")


class TransferIn(Schema):
    receiving_organ: str = Field(min_length=1, max_length=128, title="接收机关")
    reason: str = Field(min_length=1, max_length=5000, title="涉嫌犯罪的事实和理由")
    on: date | None = Field(None, title="移送日期")


class ProposalIn(Schema):
    """The proposed penalty (行政处罚事先告知, CASE-29)."""

    penalty_kinds: list[PenaltyKindCode] = Field(min_length=1, title="处罚种类")
    fine_amount: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2, title="罚款金额（元）")
    confiscation_amount: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2, title="没收金额（元）")
    penalty_text: str = Field("", max_length=2000, title="处罚内容说明")
    legal_basis_text: str = Field(min_length=1, max_length=5000, title="法律依据")
    articles: list[UUID] = Field(default_factory=list, title="依据条款（法律法规库）")
    benchmark: UUID | None = Field(None, title="适用的裁量基准（CASE-27）")
    mitigation_note: str = Field("", max_length=2000, title="从轻、减轻情节")
    reasoning: str = Field("", max_length=5000, title="拟作出行政处罚的理由（留空使用调查终结报告）")
    is_complex: bool = Field(False, title="案情疑难复杂")
    multiple_legal_relations: bool = Field(False, title="涉及多个法律关系")
    public_interest: bool = Field(False, title="涉及重大公共利益")
    high_attention: bool = Field(False, title="社会关注度高")


class NoticeIn(ProposalIn):
    served_on: date | None = Field(None, title="告知书送达日期")


class HearingRequestIn(Schema):
    requested_on: date | None = Field(None, title="当事人申请听证日期")


class DefenseIn(Schema):
    outcome: Literal["statement", "waived", "no_response"] = Field(
        title="陈述申辩情况", description="statement 提出陈述申辩；waived 书面放弃；no_response 期满未提出")
    text: str = Field("", max_length=20000, title="陈述申辩意见及复核意见")
    on: date | None = Field(None, title="日期")


class HearingNoticeIn(Schema):
    notice_on: date | None = Field(None, title="听证通知日期")
    hearing_on: date = Field(title="听证日期")
    place: str = Field(min_length=1, max_length=200, title="听证地点")
    host: UUID = Field(title="听证主持人")
    public: bool = Field(True, title="公开举行（涉及国家秘密、商业秘密或者个人隐私的除外）")


class HearingHeldIn(Schema):
    participants: str = Field(min_length=1, max_length=2000, title="参加人员")
    investigators_case: str = Field(min_length=1, max_length=20000, title="调查人员提出的事实、证据和处理建议")
    defense: str = Field(min_length=1, max_length=20000, title="当事人的申辩和质证")
    signed_note: str = Field(min_length=1, max_length=500, title="笔录签字情况（拒签的由主持人注明）")
    recordings: list[UUID] = Field(default_factory=list, title="音像记录（本案证据）")
    av_omitted_reason: str = Field("", max_length=200, title="未音像记录的理由（REC-5）")


class HearingTerminatedIn(Schema):
    reason: str = Field(min_length=1, max_length=500, title="终止理由（无正当理由拒不出席或者中途退出）")


class DiscussionIn(Schema):
    participants: str = Field(min_length=1, max_length=2000, title="参加人员")
    minutes: str = Field(min_length=1, max_length=20000, title="讨论记录")
    conclusion: str = Field(min_length=1, max_length=2000, title="结论")
    on: date | None = Field(None, title="日期")


class ExtensionIn(Schema):
    new_due: date = Field(title="延长至")
    reason: str = Field(min_length=1, max_length=2000, title="延期理由")
    legal_basis: str = Field(min_length=1, max_length=2000, title="延期依据（法律、法规、规章）")


class DecideIn(Schema):
    decided_on: date | None = Field(None, title="决定日期")
    performance_text: str = Field("", max_length=2000, title="履行方式和期限（留空按罚款十五日内缴纳）")


class ServeIn(Schema):
    method: Literal["direct", "relative", "refused_left", "electronic", "mail", "announcement"] = Field(
        title="送达方式")
    recipient: str = Field(min_length=1, max_length=128, title="受送达人（签收人）")
    signed_on: date | None = Field(None, title="签收、到达、回执或公告日期")
    place: str = Field(min_length=1, max_length=200, title="送达地点")
    note: str = Field("", max_length=2000, title="说明（留置送达的见证人、公告送达的原因和经过等）")
    recordings: list[UUID] = Field(default_factory=list, title="音像记录（本案证据）")
    av_omitted_reason: str = Field("", max_length=200, title="未音像记录的理由（REC-5）")

    def ledger_input(self) -> dict[str, Any]:
        return {**self.model_dump(mode="json"), "recipient": mask_name(self.recipient)}  # ADR 0018


class PublishIn(Schema):
    published_on: date | None = Field(None, title="公示日期")
    where: str = Field("本机关门户网站“行政执法公示”栏目", max_length=200, title="公示位置")


class PaymentIn(Schema):
    paid_on: date | None = Field(None, title="缴款日期")
    amount: Decimal = Field(ge=0, max_digits=14, decimal_places=2, title="缴款金额（元，含加处罚款）")
    receipt: str = Field(min_length=1, max_length=64, title="缴款凭证号")


class PerformedIn(Schema):
    on: date | None = Field(None, title="履行日期")
    note: str = Field(min_length=1, max_length=2000, title="履行情况")


class PauseIn(Schema):
    kind: Literal["reconsideration", "litigation"] = Field(title="期间")
    start: date = Field(title="开始日期（受理日）")
    note: str = Field("", max_length=200, title="说明")


class PauseEndIn(Schema):
    end: date = Field(title="结束日期")


class ReminderIn(Schema):
    served_on: date | None = Field(None, title="催告书送达日期")


class CourtIn(Schema):
    applied_on: date | None = Field(None, title="申请日期")
    court: str = Field(min_length=1, max_length=128, title="人民法院")


class CorrectionIn(Schema):
    on: date | None = Field(None, title="日期")
    reason: str = Field(min_length=1, max_length=5000, title="理由和依据")
