"""Getting evidence bytes in: a streaming Django upload handler for single-request uploads, and resumable upload
sessions for large body-camera files (issue 3 part 4; reliability.md BI-1, BI-2, FC-4).

Neither path ever holds a file in memory: the multipart handler receives the body in `chunk_size` pieces and
writes them to a hashing temporary file (`blobstore.TempWriter`); a session chunk is copied from the request stream
into the storage backend's part writer `RAW_CHUNK` bytes at a time (local: the upload's one file, ADR 0043). Temporary files are removed on every error path; files
left by a killed process are swept by `upload_sweep` (run by `zhifa fixity`).

Changing a request's upload handlers only works before anything reads request.POST/FILES, which includes the CSRF
check. Views that accept uploads are therefore `csrf_exempt` and call `csrf_protect` themselves after installing the
handler (the pattern in Django's "Modifying upload handlers on the fly").
"""

from __future__ import annotations

import re
import shutil
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.db import transaction
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from zhifa.common.errors import InvalidState, ServiceError
from zhifa.common.storage import StorageError
from zhifa.records import filecheck, scanning, sm
from zhifa.records.blobstore import (
    HEAD_BYTES,
    BlobStore,
    Staged,
    TempWriter,
    UnsupportedType,
    UploadTooLarge,
    default_store,
    detect_type,
    refusal_message,
    remove_if_abandoned,
    too_large_message,
    upload_limit,
)
from zhifa.records.evidence import (
    CaptureInfo,
    InvalidInput,
    evidence_create,
    filename_clean,
    require_uploader,
    stream_clean,
)
from zhifa.records.models import Evidence, UploadSession, UploadState
from zhifa.records.streams import require_writable

if TYPE_CHECKING:
    from zhifa.accounts.models import User

HANDLER_CHUNK = 256 * 1024  # bytes per multipart read: bounds memory per upload
RAW_CHUNK = 256 * 1024  # bytes per read of a session chunk body
FORM_OVERHEAD = 1024 * 1024  # room for the metadata fields and multipart framing beside the file
SINGLE_TMP_MAX_AGE = timedelta(hours=6)  # an untouched archive export folder this old belongs to a dead process
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


def session_ttl() -> timedelta:
    """Open sessions idle longer than this expire and their part files are removed (FC-4 sweep window)."""
    return timedelta(hours=settings.ZHIFA_UPLOAD_SESSION_HOURS)


def check_staged(staged: Staged, *, filename: str, declared_type: str, user: object = None) -> None:
    """The checks that need more than the bytes (issue 9 defect 13): the declared name and type must agree with
    the detected type, and a configured virus scanner must call the file clean. Raises a ServiceError; the caller
    removes the temporary file."""
    filecheck.check_declared(staged.content_type, filename=filename, declared_type=declared_type)
    scanning.scan_upload(staged.path, sha256=staged.sha256, size=staged.size, user=user)


class TooManyFiles(ServiceError):
    code = "one_file_only"


class LengthRequired(ServiceError):
    code = "length_required"
    status = 411


class HashMismatch(ServiceError):
    code = "hash_mismatch"
    status = 422


class Busy(InvalidState):
    code = "busy"


class OffsetMismatch(InvalidState):
    """The chunk does not start where the server's copy ends; `offset` tells the client where to resume."""

    code = "offset_mismatch"

    def __init__(self, offset: int) -> None:
        super().__init__(_("分片位置不符：服务器已收到 %(n)d 字节，请从该位置继续上传。") % {"n": offset})
        self.offset = offset


# ---------------------------------------------------------------------------------------------------------------
# Single-request uploads (browser form without JavaScript, API multipart)
# ---------------------------------------------------------------------------------------------------------------


class StagedUpload(UploadedFile):
    """What the handler puts into request.FILES: a complete, hashed, type-checked temporary file."""

    def __init__(self, staged: Staged, name: str) -> None:
        super().__init__(file=None, name=name, content_type=staged.content_type, size=staged.size)
        self.staged = staged
        self.original_name = name

    def temporary_file_path(self) -> str:
        return str(self.staged.path)

    def close(self) -> None:
        """Nothing is open (the file was closed when the upload completed); Django calls this at request end."""


class EvidenceUploadHandler(FileUploadHandler):
    """Streams the one file of a multipart request into a hashing temporary file with a size limit."""

    chunk_size = HANDLER_CHUNK

    def __init__(self, request: HttpRequest | None = None, *, store: BlobStore | None = None,
                 limit: int | None = None) -> None:
        super().__init__(request)
        self.store = store or default_store()
        self.limit = upload_limit() if limit is None else limit
        self.writer: TempWriter | None = None
        self.files = 0

    def new_file(self, field_name: str, file_name: str, content_type: str, content_length: int | None,
                 charset: str | None = None, content_type_extra: dict[str, Any] | None = None) -> None:
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        self.files += 1
        if self.files > 1:
            raise TooManyFiles(_("每次只能上传一个文件。"))
        if content_length is not None and content_length > self.limit:
            raise UploadTooLarge(too_large_message(self.limit))
        self.writer = self.store.writer(limit=self.limit)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        assert self.writer is not None
        self.writer.write(raw_data)  # raises UploadTooLarge past the limit; the view then cleans up

    def file_complete(self, file_size: int) -> StagedUpload:
        assert self.writer is not None
        staged = self.writer.finish()  # raises UnsupportedType / EmptyUpload
        check_staged(staged, filename=filename_clean(self.file_name or ""), declared_type=self.content_type or "",
                     user=getattr(self.request, "user", None))
        return StagedUpload(staged, self.file_name or "")

    def upload_interrupted(self) -> None:
        self.cleanup()

    def cleanup(self) -> None:
        """Remove the temporary file. After a successful store the blob is a separate link, so this is always
        right at the end of a request, whatever happened."""
        if self.writer is not None:
            self.writer.discard()


def install_upload_handler(request: HttpRequest) -> EvidenceUploadHandler:
    """Replace the request's upload handlers, refusing an oversized body before a byte of it is read."""
    limit = upload_limit()
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit + FORM_OVERHEAD:
        raise UploadTooLarge(too_large_message(limit))
    handler = EvidenceUploadHandler(request, limit=limit)
    request.upload_handlers = [handler]
    return handler


# ---------------------------------------------------------------------------------------------------------------
# Resumable upload sessions
# ---------------------------------------------------------------------------------------------------------------


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


def upload_key(session: UploadSession) -> str:
    """The name of the session's parts in the storage backend (ADR 0027)."""
    return str(session.public_id)


@dataclass(frozen=True)
class SessionRequest:
    stream: str
    filename: str
    size: int
    capture: CaptureInfo
    declared_type: str = ""
    sha256: str = ""


def upload_session_create(*, actor: User, request: SessionRequest, store: BlobStore | None = None) -> UploadSession:
    agency_id = require_uploader(actor)
    stream = stream_clean(request.stream)
    require_writable(actor, stream)  # another agency's or an unknown subject's stream: 404 (issue 9 defect 1)
    captured_at = request.capture.captured_at
    if captured_at is None:
        raise InvalidInput(_("请填写采集时间。"), code="captured_at_required")
    limit = upload_limit()
    if request.size < 1:
        raise InvalidInput(_("文件为空。"))
    if request.size > limit:
        raise UploadTooLarge(too_large_message(limit))
    sha256 = (request.sha256 or "").strip().lower()
    if sha256 and not SHA256_RE.match(sha256):
        raise InvalidInput(_("SHA-256 校验值应为 64 位十六进制数字。"))
    store = store or default_store()
    now = timezone.now()
    c = request.capture
    with transaction.atomic():
        session = UploadSession.objects.create(
            agency_id=agency_id, created_by=actor, stream=stream, filename=filename_clean(request.filename),
            declared_type=request.declared_type[:100], expected_size=request.size, expected_sha256=sha256,
            captured_at=captured_at, captured_by=c.captured_by, device_serial=c.device_serial, gps_lat=c.gps_lat,
            gps_lon=c.gps_lon, duration_seconds=c.duration_seconds, created_at=now, updated_at=now,
        )
    return session


def upload_session_get_for(*, user: User, public_id: Any) -> UploadSession:
    """A session of this user's (sessions are personal: anyone else's is a 404)."""
    try:
        return UploadSession.objects.select_related("evidence").get(public_id=public_id, created_by=user)
    except (UploadSession.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def _require_open(session: UploadSession) -> None:
    if session.state == UploadState.FINISHED:
        raise InvalidState(_("该上传已完成。"), code="finished")
    if session.state != UploadState.OPEN:
        raise InvalidState(_("该上传已取消或已过期，请重新上传。"), code="closed")


def _early_refusal(head: bytes, complete: bool) -> str | None:
    """Refuse a wrong type at the first chunk rather than after gigabytes. A zip could still be a DOCX (its
    directory is at the end), so only the finish can decide that case."""
    if len(head) < 16 and not complete:
        return None
    if detect_type(head, None) is not None or head[:4] == b"PK\x03\x04":
        return None
    return refusal_message(head)


def _abort(session: UploadSession, store: BlobStore, state: str = UploadState.ABORTED) -> None:
    UploadSession.objects.filter(pk=session.pk, state=UploadState.OPEN).update(state=state, updated_at=timezone.now())
    store.backend.parts_delete(upload_key(session))
    session.state = state


def upload_session_append(
    *, actor: User, session: UploadSession, offset: int | None, body: Readable, length: int | None,
    store: BlobStore | None = None,
) -> UploadSession:
    """Write one chunk at `offset`, which must equal the bytes already received (else OffsetMismatch, so the
    client resumes there). `received` advances only after the bytes are fsynced; bytes of an interrupted chunk
    that did arrive are kept, so a retry resumes after them."""
    store = store or default_store()
    if session.created_by_id != actor.pk:
        raise Http404
    _require_open(session)
    if offset is None:
        raise InvalidInput(_("请提供分片起始位置（Upload-Offset 请求头或 offset 参数）。"), code="offset_required")
    if length is None:
        raise LengthRequired(_("请提供 Content-Length。"))
    if offset != session.received:
        raise OffsetMismatch(session.received)
    if offset + length > session.expected_size:
        raise UploadTooLarge(_("分片超出了创建上传时声明的文件大小。"))
    # The storage backend receives the chunk (ADR 0043): the local backend writes it at its offset into the
    # upload's one file, holding the upload's lock; S3 receives it into a temporary file of this request and stores
    # it as one part (ADR 0027). `received` advances in the database only after the bytes are durable, so
    # consecutive chunks may reach different app servers and a restarted server resumes from `received`.
    _append(session, store, offset, body, length)
    if session.received < offset + length:
        raise InvalidInput(
            _("分片不完整：收到 %(got)d 字节，应为 %(want)d 字节；请从 %(at)d 字节处继续。")
            % {"got": session.received - offset, "want": length, "at": session.received},
            code="incomplete_chunk",
        )
    return session


def _append(session: UploadSession, store: BlobStore, offset: int, body: Readable, length: int) -> None:
    key = upload_key(session)
    written = 0
    head = b""
    with store.backend.part_writer(key, offset, store.tmp_dir) as writer:
        # Read again under the writer: a request for the same range that waited for the lock now sees where the
        # one before it ended, and its bytes never touch acknowledged ones.
        session.refresh_from_db(fields=["received", "state"])
        _require_open(session)
        if offset != session.received:
            raise OffsetMismatch(session.received)
        try:
            while written < length:
                data = body.read(min(RAW_CHUNK, length - written))
                if not data:
                    break
                if offset == 0 and len(head) < HEAD_BYTES:
                    head += data[: HEAD_BYTES - len(head)]
                    refusal = _early_refusal(head, complete=written + len(data) >= session.expected_size)
                    if refusal:
                        _abort(session, store)
                        raise UnsupportedType(refusal)
                writer.write(data)
                written += len(data)
        finally:
            # Bytes of an interrupted chunk that did arrive are kept, so a retry resumes after them.
            if session.state == UploadState.OPEN and written:
                writer.commit()
                updated = UploadSession.objects.filter(
                    pk=session.pk, received=offset, state=UploadState.OPEN
                ).update(received=offset + written, updated_at=timezone.now())
                if updated:
                    session.received = offset + written
                    writer.acknowledge()
                else:  # another request stored this range first: the client resumes where that one ended
                    session.refresh_from_db(fields=["received", "state"])
                    raise OffsetMismatch(session.received)


def upload_session_finish(*, actor: User, session: UploadSession, store: BlobStore | None = None) -> Evidence:
    """Hash the complete part file, check its type (and the client's SHA-256 if given), store it as a blob and
    record the evidence. Idempotent: finishing a finished session returns its evidence (a lost response is safe)."""
    store = store or default_store()
    if session.created_by_id != actor.pk:
        raise Http404
    if session.state == UploadState.FINISHED and session.evidence is not None:
        return session.evidence
    _require_open(session)
    if session.received != session.expected_size:
        raise InvalidState(
            _("上传尚未完成：已收到 %(got)d / %(want)d 字节。") % {"got": session.received, "want": session.expected_size},
            code="incomplete",
        )
    chain = store.backend.parts_chain(upload_key(session), session.expected_size)
    if chain is None:  # parts swept or removed behind our back
        _abort(session, store, UploadState.EXPIRED)
        raise InvalidState(_("该上传已过期，请重新上传。"), code="closed")
    # The backend hands out one local file of the whole upload, every part checked against its hash while the
    # whole file is hashed (local: the upload's own file, checked in place and linked into the blob folder by the
    # store; S3: the parts joined into a temporary file of the finishing server).
    whole_sm3 = sm.sm3_new() if sm.sm_mode() else None
    with ExitStack() as held:
        try:
            path, sha256 = held.enter_context(store.backend.parts_file(
                upload_key(session), chain, store.tmp_dir, *([whole_sm3] if whole_sm3 else [])))
            staged = store.stage(path, hashed=(sha256, chain[-1].end, whole_sm3.hexdigest() if whole_sm3 else ""))
        except UnsupportedType:
            _abort(session, store)
            raise
        except StorageError as exc:  # a part no longer matches its hash, or the file is not the size acknowledged
            session.refresh_from_db(fields=["state", "evidence"])
            if session.state == UploadState.FINISHED and session.evidence is not None:
                return session.evidence  # a concurrent finish stored it and removed the parts
            _abort(session, store, UploadState.EXPIRED)
            raise InvalidState(_("临时文件已损坏，请重新上传。"), code="closed") from exc
        if staged.size != session.expected_size:  # the parts were changed behind our back
            raise InvalidState(_("临时文件大小与已接收字节数不符，请重新上传。"), code="incomplete")
        return _finish_staged(actor, session, staged, store)


def _finish_staged(actor: User, session: UploadSession, staged: Staged, store: BlobStore) -> Evidence:
    if session.expected_sha256 and staged.sha256 != session.expected_sha256:
        _abort(session, store)
        raise HashMismatch(_("文件的 SHA-256 与上传前声明的不符，文件可能在传输中损坏，请重新上传。"))
    try:
        check_staged(staged, filename=session.filename, declared_type=session.declared_type, user=actor)
    except ServiceError:
        _abort(session, store)
        raise
    capture = CaptureInfo(
        captured_at=session.captured_at, captured_by=session.captured_by, device_serial=session.device_serial,
        gps_lat=session.gps_lat, gps_lon=session.gps_lon, duration_seconds=session.duration_seconds,
    )
    with transaction.atomic():
        locked = UploadSession.objects.select_for_update(of=("self",)).select_related("evidence").get(pk=session.pk)
        if locked.state == UploadState.FINISHED and locked.evidence is not None:
            return locked.evidence
        _require_open(locked)
        evidence = evidence_create(
            actor=actor, stream=locked.stream, staged=staged, original_filename=locked.filename, capture=capture,
            method="resumable", store=store,
        )
        UploadSession.objects.filter(pk=locked.pk).update(
            state=UploadState.FINISHED, evidence=evidence, updated_at=timezone.now()
        )
    store.backend.parts_delete(upload_key(session))  # the blob is stored now
    session.state, session.evidence = UploadState.FINISHED, evidence
    return evidence


def upload_session_abort(*, actor: User, session: UploadSession, store: BlobStore | None = None) -> None:
    if session.created_by_id != actor.pk:
        raise Http404
    if session.state == UploadState.OPEN:
        _abort(session, store or default_store())


def upload_sweep(*, now: datetime | None = None, store: BlobStore | None = None) -> int:
    """Expire idle sessions and remove temporary files and parts nobody will finish (FC-4). Returns files and
    uploads removed."""
    now = now or timezone.now()
    store = store or default_store()
    removed = 0
    for session in UploadSession.objects.filter(state=UploadState.OPEN, updated_at__lt=now - session_ttl()):
        existed = bool(store.backend.parts(upload_key(session)))
        _abort(session, store, UploadState.EXPIRED)
        removed += int(existed)
    open_keys = {upload_key(s) for s in UploadSession.objects.filter(state=UploadState.OPEN).only("public_id")}
    for key in store.backend.uploads():
        if key not in open_keys:
            store.backend.parts_delete(key)  # parts of a session that is finished, aborted or gone
            removed += 1
    if not store.tmp_dir.is_dir():
        return removed
    cutoff = now.timestamp() - SINGLE_TMP_MAX_AGE.total_seconds()
    for path in store.tmp_dir.iterdir():
        if path.is_dir() and path.name.startswith("archive-") and path.stat().st_mtime < cutoff:
            shutil.rmtree(path, ignore_errors=True)  # left by an archive export that crashed mid-way
            removed += 1
            continue
        if not path.is_file():
            continue
        if path.name.startswith(("single-", "chunk-")) and path.name.endswith(".tmp"):
            # The writer holds an flock while it lives: an unlocked file belongs to a finished or killed request,
            # and goes at once, whatever its age.
            removed += int(remove_if_abandoned(path))
        elif path.name.startswith("session-") and path.name.endswith(".part"):
            path.unlink(missing_ok=True)  # a part file of the former one-file layout
            removed += 1
    return removed
