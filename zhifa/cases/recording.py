"""The 音像记录事项清单 decides which steps need audio/video (REC-4, REC-6).

An action names the steps it performs. For each step the agency's published list marks as required, the action
must attach at least one audio or video recording from the case's own evidence; for a step marked "according to
circumstances" it must attach one or record why none was made (REC-5).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from zhifa.cases.engine import Ctx
from zhifa.records.models import Evidence
from zhifa.registry.models import AvRecordingItem, PublicationStatus, RecordingRequirement

AV_TYPES = ("video/", "audio/")


def listed_steps(agency_id: int, steps: Sequence[str]) -> dict[str, str]:
    """step → requirement, for the steps on the agency's published list (the strictest row wins)."""
    found: dict[str, str] = {}
    rows = AvRecordingItem.objects.filter(agency_id=agency_id, step__in=steps,
                                          publication_status=PublicationStatus.PUBLISHED)
    for step, requirement in rows.values_list("step", "requirement"):
        if found.get(step) != RecordingRequirement.REQUIRED:
            found[step] = requirement
    return found


def case_recordings(ctx: Ctx, ids: Sequence[Any]) -> list[Evidence]:
    """The attached recordings: the case's own audio/video evidence (same agency, same stream)."""
    if not ids:
        return []
    rows = list(Evidence.objects.filter(public_id__in=list(ids), agency_id=ctx.case.agency_id,
                                        stream=ctx.case.stream))
    if len(rows) != len(set(ids)):
        ctx.block("REC-9", _("所附音像记录不属于本案件，请先将音像文件上传到本案件"))
    if not all(r.content_type.startswith(AV_TYPES) for r in rows):
        ctx.block("REC-4", _("所附文件不是音频或视频"))
    return rows


def require_recordings(ctx: Ctx, steps: Sequence[str]) -> None:
    if not steps:
        return
    data = ctx.data
    ids = list(getattr(data, "recordings", []) or [])
    reason = (getattr(data, "av_omitted_reason", "") or "").strip()
    attached = case_recordings(ctx, ids)
    for step, requirement in listed_steps(ctx.case.agency_id, steps).items():
        if attached:
            continue
        if requirement == RecordingRequirement.REQUIRED:
            ctx.block("REC-4", _("本机关音像记录事项清单要求“%(step)s”全程音像记录，请先上传并附上音像记录") % {"step": step})
        if not reason:
            ctx.block("REC-5", _("“%(step)s”应根据实际情况音像记录；未记录的，请写明理由") % {"step": step})
    if attached:
        ctx.payload["recordings"] = [
            {"evidence_id": str(e.public_id), "sha256": e.blob_id,
             "ledger_seq": e.ledger_entry_id} for e in attached
        ]
