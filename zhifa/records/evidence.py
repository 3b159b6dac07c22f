"""Evidence services and selectors (issue 3 parts 4, 5 and 7; architecture rules 1, 2 and 6; REC-8, REC-9, REC-12).

Writes: `evidence_create` stores a staged upload as a blob, appends an `evidence.added` ledger entry carrying the
BlobRef and the capture metadata, and creates the evidence row, all in one transaction; the blob file is linked
into place inside that transaction, before it commits, so a committed row never lacks its file (FC-2, FC-4).
There is no update or delete service: only `fixity_check` changes an evidence row, and only its integrity fields.

Reads: every selector takes the user and scopes to the agencies whose evidence that user may read (another
agency's evidence is a 404). The `*_read_for` selectors return evidence data and append the 调阅 entry first
(`access.record_access`); if that entry cannot be written they raise `AccessLogUnavailable` and return nothing.
"""

from __future__ import annotations

import json
import time
import unicodedata
import uuid
from collections.abc import Iterable, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Max, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from zhifa.accounts.roles import Role
from zhifa.accounts.scoping import ALL_AGENCIES, supervised_agency_ids, visible_agency_ids
from zhifa.common import errors
from zhifa.common.errors import NotAllowed
from zhifa.common.storage import hash_stream
from zhifa.records import access, integrity, ledger, merkle, signednote, streams
from zhifa.records.blobstore import TYPES, BlobStore, Staged, default_store, human_size
from zhifa.records.checkpoints import latest_checkpoint, log_signer
from zhifa.records.models import Blob, BlobSm3, Checkpoint, Evidence, IntegrityStatus, LedgerEntry

if TYPE_CHECKING:
    from zhifa.accounts.models import User

EVIDENCE_KIND = "evidence.added"
INTEGRITY_KIND = "evidence.integrity"

# Who may read evidence of their own agency; supervisors read the agencies they supervise (read-only).
EVIDENCE_READERS = frozenset({Role.OFFICER, Role.UNIT_HEAD, Role.AGENCY_HEAD, Role.ARCHIVIST, Role.LEGAL_REVIEWER})
EVIDENCE_UPLOADERS = frozenset({Role.OFFICER, Role.UNIT_HEAD})
# The 调阅 log itself (streams "access:<agency>") is for those who supervise reads (REC-12), not for every officer.
ACCESS_LOG_READERS = frozenset({Role.AGENCY_HEAD, Role.SUPERVISOR})
# The 调阅 log and the security log (denied attempts, issue 9 defect 9) are read by the same roles.
RESERVED_STREAM_PREFIXES = ("access:", "security:")

LATE_AFTER = timedelta(hours=24)  # REC-8
FUTURE_TOLERANCE = timedelta(minutes=10)  # device clocks drift; more than this is refused, not trusted
MAX_DURATION_SECONDS = 7 * 24 * 3600
STREAM_MAX = 128
TIMELINE_PAGE = 100


class InvalidInput(errors.InvalidInput):
    """Wrong input to an upload or an evidence form: HTTP 400 (the common class answers 422)."""

    status = 400


# ---------------------------------------------------------------------------------------------------------------
# Policies
# ---------------------------------------------------------------------------------------------------------------


def evidence_agency_ids(user: User) -> frozenset[int]:
    """The agencies whose evidence `user` may read. System administrators are not in the list on purpose: running
    the system does not entitle anyone to look at evidence (ADR 0010)."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    ids: set[int] = set()
    if user.agency_id is not None and user.has_role(*EVIDENCE_READERS):
        ids.add(user.agency_id)
    if user.has_role(Role.SUPERVISOR) and user.agency_id is not None:
        visible = visible_agency_ids(user)
        if visible is ALL_AGENCIES:  # a supervisor who is also a system administrator: still only supervised ones
            visible = supervised_agency_ids(user)
        ids.update(visible)
    return frozenset(ids)


def can_read_evidence(user: User) -> bool:
    return bool(evidence_agency_ids(user))


def can_upload(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.agency_id and user.has_role(*EVIDENCE_UPLOADERS))


def require_uploader(user: User) -> int:
    """The id of the agency the upload belongs to: always the uploader's own (a body naming another agency is
    ignored)."""
    if not can_upload(user):
        raise NotAllowed(_("只有本机关的执法人员或承办机构负责人可以上传证据。"))
    assert user.agency_id is not None  # can_upload checked it
    return user.agency_id


# ---------------------------------------------------------------------------------------------------------------
# Input cleaning
# ---------------------------------------------------------------------------------------------------------------


def _strip_controls(text: str) -> str:
    """Drop control and format characters (NUL, CR/LF, bidi overrides such as U+202E): they spoof or inject."""
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")


def stream_clean(raw: str) -> str:
    """A stream key: 1–128 printable characters, e.g. "case/<uuid>" (a case's stream) or a key the officer chooses."""
    stream = _strip_controls(unicodedata.normalize("NFC", raw or "")).strip()
    if not stream:
        raise InvalidInput(_("请填写记录流（例如案件编号）。"), code="invalid_stream")
    if len(stream) > STREAM_MAX:
        raise InvalidInput(_("记录流不能超过 %(n)d 个字符。") % {"n": STREAM_MAX}, code="invalid_stream")
    if stream.lower().startswith(RESERVED_STREAM_PREFIXES):
        raise InvalidInput(_("“access:”“security:”开头的记录流由系统保留，用于调阅记录和安全事件。"),
                           code="invalid_stream")
    return stream


def filename_clean(raw: str) -> str:
    """The uploader's file name, kept as metadata only: no path, no control/bidi characters, at most 255."""
    name = _strip_controls(unicodedata.normalize("NFC", raw or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:255]


_UNSAFE_NAME_CHARS = set('/\\:*?"<>|')


def download_filename(evidence: Evidence) -> str:
    """The name offered on download: the cleaned original stem with the extension of the detected type, so a
    renamed file can never come back as something it is not (BI-3)."""
    ftype = TYPES.get(evidence.content_type)
    ext = ftype.extension if ftype else "bin"
    stem = evidence.original_filename.rsplit(".", 1)[0] if "." in evidence.original_filename else \
        evidence.original_filename
    stem = "".join(
        ch for ch in stem
        if ch == " " or (ch not in _UNSAFE_NAME_CHARS and unicodedata.category(ch)[0] not in ("C", "Z"))
    ).strip(" .")[:80]
    return f"{stem or '证据-' + evidence.public_id.hex[:8]}.{ext}"


def ascii_filename(evidence: Evidence) -> str:
    ftype = TYPES.get(evidence.content_type)
    return f"evidence-{evidence.public_id.hex[:12]}.{ftype.extension if ftype else 'bin'}"


@dataclass(frozen=True)
class CaptureInfo:
    """What the device and the officer say about the recording (REC-16): it goes into the ledger entry."""

    captured_at: datetime | None
    captured_by: str = ""
    device_serial: str = ""
    gps_lat: Decimal | None = None
    gps_lon: Decimal | None = None
    duration_seconds: int | None = None


def _decimal(value: Any, label: str, limit: int) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError) as exc:
        raise InvalidInput(_("%(label)s格式有误。") % {"label": label}) from exc
    if not number.is_finite() or abs(number) > limit:
        raise InvalidInput(_("%(label)s超出范围。") % {"label": label})
    return number


def capture_clean(
    *, captured_at: datetime | None, captured_by: str = "", device_serial: str = "", gps_lat: Any = None,
    gps_lon: Any = None, duration_seconds: Any = None, now: datetime | None = None,
) -> CaptureInfo:
    """Validate capture metadata. The capture time is required: without it REC-8 (upload within 24 hours) cannot
    be checked. A time in the future beyond a small clock-drift tolerance is refused rather than trusted."""
    now = now or timezone.now()
    if captured_at is None:
        raise InvalidInput(_("请填写采集时间（拍摄、录音或形成文件的时间）。"), code="captured_at_required")
    if timezone.is_naive(captured_at):  # a form's local time: the deployment's zone (Asia/Shanghai)
        captured_at = timezone.make_aware(captured_at)
    if captured_at > now + FUTURE_TOLERANCE:
        raise InvalidInput(_("采集时间晚于当前时间，请核对设备时钟。"), code="captured_at_future")
    lat = _decimal(gps_lat, _("纬度"), 90)
    lon = _decimal(gps_lon, _("经度"), 180)
    if (lat is None) != (lon is None):
        raise InvalidInput(_("经纬度须同时填写或同时留空。"))
    duration: int | None = None
    if duration_seconds not in (None, ""):
        try:
            duration = int(duration_seconds)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(_("时长须为整数秒。")) from exc
        if not 0 <= duration <= MAX_DURATION_SECONDS:
            raise InvalidInput(_("时长超出范围。"))
    return CaptureInfo(
        captured_at=captured_at,
        captured_by=_strip_controls(captured_by or "").strip()[:100],
        device_serial=_strip_controls(device_serial or "").strip()[:64],
        gps_lat=lat, gps_lon=lon, duration_seconds=duration,
    )


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def is_late(*, captured_at: datetime, uploaded_at: datetime) -> bool:
    """REC-8: AV files are uploaded within 24 hours in principle; later ones are flagged (not refused)."""
    return uploaded_at - captured_at > LATE_AFTER


# ---------------------------------------------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------------------------------------------


def blob_record(staged: Staged, *, at: datetime) -> Blob:
    """The Blob row of a staged file (inside the caller's transaction). In SM mode the SM3 is stored beside the
    SHA-256; a blob first stored before SM mode was switched on gets its SM3 the next time it is stored."""
    blob, _created = Blob.objects.get_or_create(
        sha256=staged.sha256,
        defaults={"size": staged.size, "content_type": staged.content_type, "stored_at": at},
    )
    if staged.sm3:
        BlobSm3.objects.get_or_create(blob=blob, defaults={"sm3": staged.sm3, "recorded_at": at})
    return blob


def evidence_create(
    *, actor: User, stream: str, staged: Staged, original_filename: str, capture: CaptureInfo,
    method: str = "single", store: BlobStore | None = None, at: datetime | None = None,
) -> Evidence:
    """Store `staged` and record it. The caller discards the staged temp file afterwards, whatever happens."""
    agency_id = require_uploader(actor)
    stream = stream_clean(stream)
    streams.require_writable(actor, stream)  # another agency's or an unknown subject's stream: 404 (defect 1)
    if capture.captured_at is None:
        raise InvalidInput(_("请填写采集时间。"), code="captured_at_required")
    filename = filename_clean(original_filename)
    store = store or default_store()
    # Verifying an existing blob re-reads it; do that before the transaction, which holds the write lock.
    store.check_existing(staged)
    uploaded_at = at or timezone.now()
    late = is_late(captured_at=capture.captured_at, uploaded_at=uploaded_at)
    public_id = uuid.uuid4()
    payload = {
        "evidence_id": str(public_id),
        "original_filename": filename,
        "captured_at": _utc(capture.captured_at),
        "captured_by": capture.captured_by,
        "device_serial": capture.device_serial,
        "gps": None if capture.gps_lat is None else {"lat": str(capture.gps_lat), "lon": str(capture.gps_lon)},
        "duration_seconds": capture.duration_seconds,
        "late_upload": late,
        "upload": method,
    }
    with transaction.atomic():
        blob = blob_record(staged, at=uploaded_at)
        entry = ledger.ledger_append(
            kind=EVIDENCE_KIND, stream=stream, agency_id=agency_id, actor=actor, payload=payload,
            blobs=[ledger.BlobRef(staged.sha256, staged.size, staged.content_type, staged.sm3)], at=uploaded_at,
        )
        evidence = Evidence.objects.create(
            public_id=public_id, agency_id=agency_id, stream=stream, blob=blob, ledger_entry=entry,
            original_filename=filename, content_type=staged.content_type, size=staged.size,
            captured_at=capture.captured_at, uploaded_at=uploaded_at, uploaded_by=actor,
            captured_by=capture.captured_by, device_serial=capture.device_serial, gps_lat=capture.gps_lat,
            gps_lon=capture.gps_lon, duration_seconds=capture.duration_seconds, late_upload=late,
        )
        # Last step before commit: if linking fails, nothing is recorded; if the commit then fails, an
        # unreferenced file remains, which `zhifa fixity` reports. Never the other way round (a row without file).
        store.commit(staged)
    return evidence


# ---------------------------------------------------------------------------------------------------------------
# Selectors
# ---------------------------------------------------------------------------------------------------------------


def evidence_qs_for(*, user: User) -> QuerySet[Evidence]:
    return Evidence.objects.filter(agency_id__in=evidence_agency_ids(user)).select_related(
        "agency", "uploaded_by", "blob", "blob__sm3_digest"
    )


def evidence_get_for(*, user: User, public_id: uuid.UUID | str) -> Evidence:
    """The evidence row (metadata only, no access entry): for checks before a read. Another agency's is a 404."""
    try:
        return evidence_qs_for(user=user).get(public_id=public_id)
    except (Evidence.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def evidence_read_for(
    *, user: User, public_id: uuid.UUID | str, action: str, request: HttpRequest | None = None, result: str = "ok"
) -> Evidence:
    """Evidence for viewing or download: the 调阅 entry is written first (AccessLogUnavailable → no data)."""
    evidence = evidence_get_for(user=user, public_id=public_id)
    evidence_record_read(user=user, evidence=evidence, action=action, request=request, result=result)
    return evidence


def evidence_record_read(
    *, user: User, evidence: Evidence, action: str, request: HttpRequest | None = None, result: str = "ok"
) -> None:
    """The 调阅 entry for one evidence item (for callers that already hold the row from `evidence_get_for`)."""
    access.record_access(
        user=user, agency_id=evidence.agency_id, object_kind="evidence", object_id=str(evidence.public_id),
        action=action, request=request, result=result,
    )


def integrity_refusal_message() -> str:
    """Why a damaged file is not sent (the page and the API say the same)."""
    return _("该证据文件完整性受损（内容已改变或文件缺失），系统拒绝提供，以免使用被篡改的文件。请联系系统管理员。")


def evidence_serve_check(
    *, user: User, evidence: Evidence, action: str, request: HttpRequest | None = None, log: bool = True
) -> bool:
    """Before a file is sent: check it (`integrity.is_servable`) and write the 调阅 entry (result ok or
    refused_integrity); True if it may be sent. `log` false (playback within the viewer's media grant) skips the
    entry of a file that is served, never of a refusal. AccessLogUnavailable → nothing is sent (FC-5)."""
    servable = integrity.is_servable(evidence)
    if log or not servable:
        evidence_record_read(user=user, evidence=evidence, action=action, request=request,
                             result="ok" if servable else "refused_integrity")
    return servable


MEDIA_GRANT_SECONDS = 30 * 60  # after a logged view, the page's player may fetch ranges without new entries
_MEDIA_GRANTS_KEY = "records_media_grants"


def _media_grants(session: MutableMapping[str, Any]) -> dict[str, float]:
    now = time.time()
    return {k: v for k, v in session.get(_MEDIA_GRANTS_KEY, {}).items() if v > now}


def media_grant(session: MutableMapping[str, Any], evidence: Evidence) -> None:
    """After a logged view of the evidence page, its player may fetch ranges for a while without new entries."""
    grants = _media_grants(session)
    grants[str(evidence.public_id)] = time.time() + MEDIA_GRANT_SECONDS
    session[_MEDIA_GRANTS_KEY] = grants


def media_granted(session: MutableMapping[str, Any], evidence: Evidence) -> bool:
    return str(evidence.public_id) in _media_grants(session)


def stream_export_agency_ids_for(*, user: User, stream: str) -> set[int]:
    """Who may export a stream's archive package: the agencies whose entries make up the stream, if the user may
    read every one of them. A stream the user sees nothing of is a 404 (no existence oracle); one that also holds
    entries the user may not read is refused, since the package carries the whole stream (entries and files)."""
    visible = stream_entries_for(user=user, stream=stream)
    agency_ids = set(visible.order_by().values_list("agency_id", flat=True).distinct())
    if not agency_ids:
        raise Http404
    if LedgerEntry.objects.filter(stream=stream).exclude(agency_id__in=agency_ids).exists():
        raise PermissionDenied(_("该记录流含有您无权调阅的记录（其他机关或系统记录），不能导出归档包。"))
    return agency_ids  # type: ignore[return-value]


def _may_read_stream(user: User, stream: str) -> bool:
    if stream.lower().startswith(RESERVED_STREAM_PREFIXES):
        return user.has_role(*ACCESS_LOG_READERS)
    return True


def stream_entries_for(*, user: User, stream: str) -> QuerySet[LedgerEntry]:
    """Ledger entries of a stream in the agencies whose records the user may read, in order."""
    if not _may_read_stream(user, stream):
        return LedgerEntry.objects.none()
    return LedgerEntry.objects.filter(stream=stream, agency_id__in=evidence_agency_ids(user)).order_by("seq")


def stream_evidence_read_for(*, user: User, stream: str, request: HttpRequest | None = None) -> list[Evidence]:
    """All evidence of a stream the user may read (API list); one 调阅 entry per agency involved, written first."""
    rows = list(evidence_qs_for(user=user).filter(stream=stream).order_by("uploaded_at", "pk"))
    _record_stream_access(user=user, stream=stream, agency_ids={e.agency_id for e in rows}, action="list",
                          request=request)
    return rows


def _record_stream_access(
    *, user: User, stream: str, agency_ids: Iterable[int], action: str, request: HttpRequest | None
) -> None:
    for agency_id in sorted(agency_ids):
        access.record_access(
            user=user, agency_id=agency_id, object_kind="stream", object_id=stream, action=action, request=request,
        )


def streams_recent_for(*, user: User, limit: int = 50) -> list[dict[str, Any]]:
    """Streams with evidence in the user's agencies, latest first (metadata only: names, counts, times)."""
    rows = (
        Evidence.objects.filter(agency_id__in=evidence_agency_ids(user))
        .values("stream", "agency__name")
        .annotate(count=Count("pk"), last=Max("uploaded_at"))
        .order_by("-last")[:limit]
    )
    return [dict(row) for row in rows]


# ---------------------------------------------------------------------------------------------------------------
# Timeline and verification (part 7)
# ---------------------------------------------------------------------------------------------------------------


class ProofStatus:
    VERIFIED = "verified"  # 已验证 ✓
    PENDING = "pending"  # 未纳入检查点
    FAILED = "failed"  # 验证失败


@dataclass
class TimelineRow:
    seq: int
    kind: str
    recorded_at: datetime
    agency_id: int | None
    actor_name: str
    summary: str
    proof: str
    evidence: Evidence | None = None
    problems: list[str] = field(default_factory=list)


@dataclass
class Timeline:
    stream: str
    rows: list[TimelineRow]
    checkpoint: Checkpoint | None
    total: int
    deep: bool = False
    signature_ok: bool | None = None  # deep verification only
    root_ok: bool | None = None

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.proof == status)

    @property
    def verified(self) -> int:
        return self.count(ProofStatus.VERIFIED)

    @property
    def pending(self) -> int:
        return self.count(ProofStatus.PENDING)

    @property
    def failed(self) -> int:
        return self.count(ProofStatus.FAILED)


_ACTIONS = {"view": "查看", "download": "下载", "play": "播放", "timeline": "查看时间线", "verify": "验证",
            "list": "列表"}


def _summary(kind: str, payload: dict[str, Any], blobs: Sequence[dict[str, Any]]) -> str:
    """A one-line Chinese summary of an entry's payload for the timeline (escaped by the template)."""
    if kind == EVIDENCE_KIND:
        blob = blobs[0] if blobs else {}
        ftype = TYPES.get(str(blob.get("content_type", "")))
        parts = [
            _("文件“%(name)s”") % {"name": payload.get("original_filename") or "—"},
            ftype.label if ftype else str(blob.get("content_type", "")),
            human_size(int(blob.get("size", 0))),
            _("SHA-256 %(h)s…") % {"h": str(blob.get("sha256", ""))[:16]},
        ]
        if payload.get("device_serial"):
            parts.append(_("设备 %(s)s") % {"s": payload["device_serial"]})
        if payload.get("late_upload"):
            parts.append(_("超过24小时上传"))
        return "；".join(parts)
    if kind == access.ACCESS_KIND:
        return _("%(action)s %(kind)s %(id)s（%(result)s）") % {
            "action": _ACTIONS.get(str(payload.get("action")), str(payload.get("action"))),
            "kind": payload.get("object_kind", ""), "id": payload.get("object_id", ""),
            "result": payload.get("result", ""),
        }
    if kind == INTEGRITY_KIND:
        return _("完整性状态：%(old)s → %(new)s") % {"old": payload.get("from"), "new": payload.get("to")}
    text = "；".join(f"{k}：{v}" for k, v in payload.items() if not isinstance(v, dict | list))
    return text[:200]


def _verify_signature(cp: Checkpoint) -> bool:
    """The stored note parses, carries a valid signature by the log's key, and says what the row says. In SM mode
    an SM2 co-signature line, when the note has one, must verify too (notes signed before SM mode have none)."""
    from zhifa.records import sm
    from zhifa.records.checkpoints import sm2_key

    signer = log_signer()
    verifier = signednote.Verifier(signer.name, signednote.ALG_ED25519, signer.public_raw)
    try:
        note = signednote.parse_note(cp.note)
    except signednote.NoteError:
        return False
    ok = signednote.verify_signature(note, verifier) and note.size == cp.size and note.root == bytes(cp.root)
    if ok and sm.sm_mode():
        sm2 = signednote.Verifier(signer.name, signednote.ALG_SM2, sm2_key().public)
        if any(name == sm2.name and blob[:4] == sm2.id for name, blob in note.signatures):
            ok = signednote.verify_signature(note, sm2)
    return ok


def _build_timeline(entries: Sequence[LedgerEntry], *, stream: str, total: int, deep: bool) -> Timeline:
    cp = latest_checkpoint()
    evidence_by_seq = {
        e.ledger_entry_id: e
        for e in Evidence.objects.filter(ledger_entry_id__in=[x.seq for x in entries]).select_related("blob")
    }
    timeline = Timeline(stream=stream, rows=[], checkpoint=cp, total=total, deep=deep)
    cp_root = bytes(cp.root) if cp else b""
    if deep and cp is not None:
        timeline.signature_ok = _verify_signature(cp)
        try:
            timeline.root_ok = ledger.root_at(cp.size) == cp_root
        except ledger.LedgerError:
            timeline.root_ok = False
    store = default_store() if deep else None
    for entry in entries:
        data = json.loads(bytes(entry.canonical))
        payload = data.get("payload") or {}
        actor = data.get("actor") or {}
        leaf = bytes(entry.leaf_hash)
        problems: list[str] = []
        if deep:
            if merkle.leaf_hash(bytes(entry.canonical)) != leaf:
                problems.append(_("记录内容与叶哈希不符"))
            if data.get("seq") != entry.seq or data.get("stream") != entry.stream:
                problems.append(_("记录序号或记录流与内容不符"))
        if cp is None or entry.seq >= cp.size:
            proof = ProofStatus.PENDING
        else:
            try:
                path = ledger.inclusion_proof(entry.seq, cp.size)
                ok = merkle.verify_inclusion(leaf, entry.seq, cp.size, path, cp_root)
            except ledger.LedgerError:
                ok = False
            if not ok:
                problems.append(_("包含证明验证失败"))
            proof = ProofStatus.VERIFIED if ok and not problems else ProofStatus.FAILED
        evidence = evidence_by_seq.get(entry.seq)
        if evidence is not None:
            if not evidence.integrity_ok:
                problems.append(_("文件完整性受损（%(s)s）") % {"s": evidence.get_integrity_status_display()})
            if store is not None and store.size_on_disk(evidence.sha256) != evidence.size:
                problems.append(_("存储文件缺失或大小不符"))
        if problems and proof == ProofStatus.VERIFIED:
            proof = ProofStatus.FAILED
        timeline.rows.append(TimelineRow(
            seq=entry.seq, kind=entry.kind, recorded_at=entry.recorded_at, agency_id=entry.agency_id,
            actor_name=str(actor.get("name") or actor.get("username") or _("系统")),
            summary=_summary(entry.kind, payload, data.get("blobs") or []), proof=proof, evidence=evidence,
            problems=problems,
        ))
    return timeline


def stream_timeline_read_for(
    *, user: User, stream: str, page: int = 1, deep: bool = False, request: HttpRequest | None = None
) -> Timeline:
    """A page of a stream's entries with their proof status against the latest checkpoint. 404 if the user sees
    no entry of the stream (no existence oracle). The 调阅 entry is written before anything is read out.
    `deep` (the 验证 button) also checks the checkpoint signature, the signed root against the stored tree, each
    leaf hash against its canonical bytes, and each evidence file's presence and size."""
    qs = stream_entries_for(user=user, stream=stream)
    agency_ids = set(qs.order_by().values_list("agency_id", flat=True).distinct())
    if not agency_ids:
        raise Http404
    _record_stream_access(user=user, stream=stream, agency_ids=agency_ids,  # type: ignore[arg-type]
                          action="verify" if deep else "timeline", request=request)
    total = qs.count()
    pages = max(1, -(-total // TIMELINE_PAGE))
    page = min(max(1, page), pages)
    entries = list(qs[(page - 1) * TIMELINE_PAGE : page * TIMELINE_PAGE])
    return _build_timeline(entries, stream=stream, total=total, deep=deep)


# ---------------------------------------------------------------------------------------------------------------
# Fixity (FC-8)
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class FixityReport:
    checked: int = 0
    changed: list[tuple[str, str]] = field(default_factory=list)  # (path, actual sha256)
    missing: list[str] = field(default_factory=list)  # paths
    unexpected: list[str] = field(default_factory=list)  # paths
    status_changes: list[tuple[str, str, str]] = field(default_factory=list)  # (evidence id, old, new)

    @property
    def problems(self) -> int:
        return len(self.changed) + len(self.missing) + len(self.unexpected)


def _known_blobs(names: Sequence[str]) -> dict[str, tuple[int, str]]:
    return {sha: (size, sm3 or "") for sha, size, sm3 in
            Blob.objects.filter(sha256__in=list(names)).values_list("sha256", "size", "sm3_digest__sm3")}


def fixity_check(*, store: BlobStore | None = None, batch: int = 500) -> FixityReport:
    """Re-hash every stored blob; report changed, missing and unexpected files; set each evidence row's integrity
    status to match and record every change of status in the ledger (stream of the evidence). In SM mode a blob
    with a recorded SM3 must match that too (ADR 0020)."""
    from zhifa.records import sm
    sm_mode = sm.sm_mode()

    store = store or default_store()
    report = FixityReport()
    bad: dict[str, str] = {}

    def check_batch(pending: list[tuple[str, str]]) -> None:
        known = _known_blobs([name for _path, name in pending])
        for path, name in pending:
            if name not in known:
                report.unexpected.append(path)
                continue
            report.checked += 1
            known_size, known_sm3 = known[name]
            try:
                f = store.open(name)
            except FileNotFoundError:  # removed while we walked: the missing pass below reports it
                continue
            try:
                if sm_mode and known_sm3:
                    digest_sm3 = sm.sm3_new()
                    actual, size = hash_stream(f, digest_sm3)
                    actual_sm3 = digest_sm3.hexdigest()
                else:
                    (actual, size), actual_sm3 = hash_stream(f), known_sm3
            finally:
                f.close()
            if actual != name or size != known_size or actual_sm3 != known_sm3:
                report.changed.append((path, actual))
                bad[name] = IntegrityStatus.CHANGED

    pending: list[tuple[str, str]] = []
    for where, name in store.walk():
        if name is None:
            report.unexpected.append(where)
            continue
        pending.append((where, name))
        if len(pending) >= batch:
            check_batch(pending)
            pending = []
    if pending:
        check_batch(pending)

    for sha in Blob.objects.values_list("sha256", flat=True).iterator(chunk_size=2000):
        if not store.exists(sha):
            report.missing.append(store.location(sha))
            bad[sha] = IntegrityStatus.MISSING

    now = timezone.now()
    suspects = Evidence.objects.filter(blob_id__in=list(bad)) | Evidence.objects.exclude(
        integrity_status=IntegrityStatus.OK
    )
    for evidence in suspects.distinct().order_by("pk"):
        new = bad.get(evidence.sha256, IntegrityStatus.OK)
        if new == evidence.integrity_status:
            continue
        with transaction.atomic():
            Evidence.objects.filter(pk=evidence.pk).update(integrity_status=new, integrity_checked_at=now)
            ledger.ledger_append(
                kind=INTEGRITY_KIND, stream=evidence.stream, agency_id=evidence.agency_id, actor=None,
                payload={"evidence_id": str(evidence.public_id), "sha256": evidence.sha256,
                         "from": evidence.integrity_status, "to": str(new)},
                at=now,
            )
        report.status_changes.append((str(evidence.public_id), evidence.integrity_status, str(new)))
    Evidence.objects.update(integrity_checked_at=now)
    from zhifa.records.integrity import sync_flags

    sync_flags(bad)  # documents' files too: every download of a flagged file is refused (defect 5)
    return report
