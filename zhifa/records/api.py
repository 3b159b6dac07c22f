"""Evidence API (django-ninja) for body-camera docks and other systems; token auth like the registry API.

Mount in zhifa/api.py `_register_routers()`:  api.add_router("/records", records_router)  →  /api/v1/records/...

Resumable upload: POST /uploads (metadata, size) → PUT /uploads/{id} with the raw bytes of each chunk and its
start in the `Upload-Offset` header (or ?offset=); a wrong offset is a 409 whose body and Upload-Offset header say
where to resume; GET /uploads/{id} asks the same after a crash → POST /uploads/{id}/finish stores the file.
Small files: POST /evidence as multipart (metadata fields + `file`). Bodies are streamed to disk, never held whole.
"""

from __future__ import annotations

import base64
import datetime
import uuid
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any

from django.http import HttpRequest, JsonResponse
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.decorators import decorate_view
from ninja.security import django_auth

from zhifa.accounts.auth import ApiTokenAuth
from zhifa.common.errors import ServiceError
from zhifa.records import evidence as ev
from zhifa.records import security, uploads
from zhifa.records.access import api_fail_closed
from zhifa.records.checkpoints import latest_checkpoint, public_key, sm2_public_key
from zhifa.records.http import blob_response, chunk_offset, content_length
from zhifa.records.models import Evidence, UploadSession

router = Router(tags=["记录与证据（需令牌）"], auth=[ApiTokenAuth(), django_auth])


def _json(body: dict[str, Any], status: int) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


_fail_closed = api_fail_closed  # a read whose 调阅 entry cannot be written returns 503 and nothing else (FC-5)


def _streaming_upload(run: Callable[..., Any]) -> Callable[..., Any]:
    """Install the evidence upload handler before ninja (or the session-auth CSRF check) reads the body, and
    remove the temporary file whatever happens."""

    @wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            handler = uploads.install_upload_handler(request)
        except ServiceError as exc:
            return _json({"code": exc.code, "message": exc.message}, exc.status)
        try:
            return run(request, *args, **kwargs)
        except ServiceError as exc:  # raised while the auth check parsed the body, before ninja's handlers apply
            return _json({"code": exc.code, "message": exc.message}, exc.status)
        finally:
            handler.cleanup()

    return wrapper


class ErrorOut(Schema):
    code: str
    message: str


class OffsetErrorOut(ErrorOut):
    offset: int


class CaptureIn(Schema):
    stream: str = Field(..., max_length=128, description="记录流；案件证据用案件详情中的 stream，即 case/<案件 UUID>")
    captured_at: datetime.datetime = Field(..., description="采集时间（ISO 8601；无时区按北京时间）")
    captured_by: str = Field("", max_length=100, description="采集人员")
    device_serial: str = Field("", max_length=64, description="执法记录仪等设备编号")
    gps_lat: Decimal | None = Field(None, description="纬度（WGS-84）")
    gps_lon: Decimal | None = Field(None, description="经度（WGS-84）")
    duration_seconds: int | None = Field(None, ge=0, description="音视频时长（秒）")

    def capture(self) -> ev.CaptureInfo:
        return ev.capture_clean(
            captured_at=self.captured_at, captured_by=self.captured_by, device_serial=self.device_serial,
            gps_lat=self.gps_lat, gps_lon=self.gps_lon, duration_seconds=self.duration_seconds,
        )


class SessionIn(CaptureIn):
    filename: str = Field("", max_length=1000, description="原文件名（仅作记录）")
    size: int = Field(..., ge=1, description="文件总字节数")
    content_type: str = Field("", max_length=200, description="声明的类型（仅供参考，系统按内容识别）")
    sha256: str = Field("", max_length=64, description="可选：文件的 SHA-256，完成时核对")


class SessionOut(Schema):
    id: uuid.UUID
    offset: int
    size: int
    state: str
    evidence: uuid.UUID | None


class EvidenceOut(Schema):
    public_id: uuid.UUID
    agency: uuid.UUID
    agency_name: str
    stream: str
    sha256: str
    sm3: str = Field("", description="SM3 校验值（仅 SM 模式；否则为空）")
    size: int
    content_type: str
    original_filename: str
    captured_at: datetime.datetime
    uploaded_at: datetime.datetime
    uploaded_by: str
    captured_by: str
    device_serial: str
    gps_lat: Decimal | None
    gps_lon: Decimal | None
    duration_seconds: int | None
    late_upload: bool = Field(..., description="REC-8：采集后超过24小时才上传")
    integrity_status: str = Field(..., description="ok / changed / missing")
    ledger_seq: int


class CheckpointOut(Schema):
    origin: str
    size: int
    root_hash: str = Field(..., description="根哈希（base64，与检查点正文一致）")
    root_hex: str
    note: str = Field(..., description="C2SP 签名检查点全文")
    public_key: str = Field(..., description="验证公钥（vkey）")
    sm2_public_key: str = Field("", description="SM2 联署签名公钥（vkey；仅 SM 模式）")
    created_at: datetime.datetime


def serialize(evidence: Evidence) -> dict[str, Any]:
    return {
        "public_id": evidence.public_id, "agency": evidence.agency.public_id, "agency_name": evidence.agency.name,
        "stream": evidence.stream, "sha256": evidence.sha256, "sm3": evidence.sm3, "size": evidence.size,
        "content_type": evidence.content_type, "original_filename": evidence.original_filename,
        "captured_at": evidence.captured_at, "uploaded_at": evidence.uploaded_at,
        "uploaded_by": str(evidence.uploaded_by), "captured_by": evidence.captured_by,
        "device_serial": evidence.device_serial, "gps_lat": evidence.gps_lat, "gps_lon": evidence.gps_lon,
        "duration_seconds": evidence.duration_seconds, "late_upload": evidence.late_upload,
        "integrity_status": evidence.integrity_status, "ledger_seq": evidence.ledger_seq,
    }


def _session(session: UploadSession) -> dict[str, Any]:
    return {
        "id": session.public_id, "offset": session.received, "size": session.expected_size, "state": session.state,
        "evidence": session.evidence.public_id if session.evidence_id else None,  # type: ignore[union-attr]
    }


def _offset_error(exc: uploads.OffsetMismatch) -> JsonResponse:
    response = _json({"code": exc.code, "message": exc.message, "offset": exc.offset}, exc.status)
    response["Upload-Offset"] = str(exc.offset)
    return response


# ---------------------------------------------------------------------------------------------------------------
# Uploads
# ---------------------------------------------------------------------------------------------------------------


@router.post("/uploads", response={201: SessionOut}, operation_id="evidence_upload_session_create",
             summary="创建分片上传（大文件，可断点续传）")
def upload_session_create(request: HttpRequest, payload: SessionIn) -> Any:
    session = uploads.upload_session_create(actor=request.user, request=uploads.SessionRequest(  # type: ignore[arg-type]
        stream=payload.stream, filename=payload.filename, size=payload.size, capture=payload.capture(),
        declared_type=payload.content_type, sha256=payload.sha256,
    ))
    return Status(201, _session(session))


@router.get("/uploads/{public_id}", response=SessionOut, operation_id="evidence_upload_session_get",
            summary="查询分片上传进度（续传位置）")
def upload_session_get(request: HttpRequest, public_id: uuid.UUID) -> Any:
    session = uploads.upload_session_get_for(user=request.user, public_id=public_id)  # type: ignore[arg-type]
    return _session(session)


@router.put("/uploads/{public_id}", response={200: SessionOut, 409: OffsetErrorOut},
            operation_id="evidence_upload_chunk", summary="上传一个分片（请求体为原始字节，Upload-Offset 为起始位置）")
def upload_chunk(request: HttpRequest, public_id: uuid.UUID,
                 offset: int | None = Query(None, ge=0, description="分片起始位置；也可用 Upload-Offset 请求头")) -> Any:
    session = uploads.upload_session_get_for(user=request.user, public_id=public_id)  # type: ignore[arg-type]
    try:
        uploads.upload_session_append(
            actor=request.user, session=session,  # type: ignore[arg-type]
            offset=chunk_offset(request) if offset is None else offset, body=request, length=content_length(request),
        )
    except uploads.OffsetMismatch as exc:
        return _offset_error(exc)
    return _session(session)


@router.post("/uploads/{public_id}/finish", response={201: EvidenceOut}, operation_id="evidence_upload_finish",
             summary="完成分片上传：核对哈希、入库并记入账本")
def upload_finish(request: HttpRequest, public_id: uuid.UUID) -> Any:
    session = uploads.upload_session_get_for(user=request.user, public_id=public_id)  # type: ignore[arg-type]
    evidence = uploads.upload_session_finish(actor=request.user, session=session)  # type: ignore[arg-type]
    evidence = ev.evidence_get_for(user=request.user, public_id=evidence.public_id)  # type: ignore[arg-type]
    return Status(201, serialize(evidence))


@router.delete("/uploads/{public_id}", response={204: None}, operation_id="evidence_upload_abort",
               summary="取消分片上传")
def upload_abort(request: HttpRequest, public_id: uuid.UUID) -> Any:
    session = uploads.upload_session_get_for(user=request.user, public_id=public_id)  # type: ignore[arg-type]
    uploads.upload_session_abort(actor=request.user, session=session)  # type: ignore[arg-type]
    return Status(204, None)


@router.post("/evidence", response={201: EvidenceOut}, operation_id="evidence_upload",
             summary="一次性上传证据（multipart：元数据字段 + file）")
@decorate_view(_streaming_upload)
def evidence_upload(request: HttpRequest, meta: Form[CaptureIn], file: File[UploadedFile]) -> Any:
    if not isinstance(file, uploads.StagedUpload):  # pragma: no cover - the handler above always produces one
        raise ev.InvalidInput("请选择要上传的文件。")
    evidence = ev.evidence_create(
        actor=request.user, stream=meta.stream, staged=file.staged,  # type: ignore[arg-type]
        original_filename=file.original_name, capture=meta.capture(), method="single",
    )
    evidence = ev.evidence_get_for(user=request.user, public_id=evidence.public_id)  # type: ignore[arg-type]
    return Status(201, serialize(evidence))


# ---------------------------------------------------------------------------------------------------------------
# Reads (each writes a 调阅 entry first)
# ---------------------------------------------------------------------------------------------------------------


@router.get("/evidence", response=list[EvidenceOut], operation_id="evidence_list", summary="某记录流的证据列表")
@decorate_view(_fail_closed)
def evidence_list(request: HttpRequest, stream: str = Query(..., max_length=128)) -> Any:
    rows = ev.stream_evidence_read_for(user=request.user, stream=stream, request=request)  # type: ignore[arg-type]
    return [serialize(e) for e in rows]


@router.get("/evidence/{public_id}", response=EvidenceOut, operation_id="evidence_get", summary="证据详情")
@decorate_view(_fail_closed)
def evidence_get(request: HttpRequest, public_id: uuid.UUID) -> Any:
    evidence = ev.evidence_read_for(user=request.user, public_id=public_id, action="view",  # type: ignore[arg-type]
                                    request=request)
    return serialize(evidence)


@router.get("/evidence/{public_id}/download", response={200: None, 206: None, 409: ErrorOut},
            operation_id="evidence_download", summary="下载证据文件（支持 Range 断点续传）")
@decorate_view(_fail_closed)
def evidence_download(request: HttpRequest, public_id: uuid.UUID) -> Any:
    evidence = ev.evidence_get_for(user=request.user, public_id=public_id)  # type: ignore[arg-type]
    servable = ev.evidence_serve_check(user=request.user, evidence=evidence, action="download",  # type: ignore[arg-type]
                                       request=request)
    if not servable:
        return _json({"code": "integrity", "message": ev.integrity_refusal_message()}, 409)
    return blob_response(request, evidence, attachment=True)


class SecurityEventOut(Schema):
    seq: int
    time: str
    agency_id: int | None
    actor: str
    username: str
    method: str
    route: str
    path: str
    status: int
    channel: str
    source: str


class SecurityPageOut(Schema):
    total: int
    items: list[SecurityEventOut]


@router.get("/security", response={200: SecurityPageOut, 403: ErrorOut}, operation_id="security_events",
            summary="安全事件：被拒绝的访问（机关负责人、监督人员、系统管理员可读）")
def security_events(request: HttpRequest, limit: int = Query(100, ge=1, le=500),
                    offset: int = Query(0, ge=0, le=1_000_000)) -> Any:
    if not security.can_read_security(request.user):  # type: ignore[arg-type]
        return Status(403, {"code": "forbidden", "message": "您的角色无权查看安全事件。"})
    qs = security.security_events_for(user=request.user)  # type: ignore[arg-type]
    return {"total": qs.count(), "items": security.security_rows(list(qs[offset:offset + limit]))}


# ---------------------------------------------------------------------------------------------------------------
# Public
# ---------------------------------------------------------------------------------------------------------------


@router.get("/checkpoint", auth=None, response={200: CheckpointOut, 404: ErrorOut}, tags=["公开"],
            operation_id="ledger_checkpoint_latest", summary="最新签名检查点与验证公钥（公开，无需令牌）")
def checkpoint_latest(request: HttpRequest) -> Any:
    cp = latest_checkpoint()
    if cp is None:
        return Status(404, {"code": "no_checkpoint", "message": "尚未签发检查点。"})
    root = bytes(cp.root)
    return {
        "origin": cp.note.split("\n", 1)[0], "size": cp.size, "root_hash": base64.b64encode(root).decode(),
        "root_hex": root.hex(), "note": cp.note, "public_key": public_key(), "sm2_public_key": sm2_public_key(),
        "created_at": cp.created_at,
    }
