"""Content-addressed evidence files (architecture rule 6; docs/decisions/0010-evidence-store.md, ADR 0026).

An upload is written to a temporary file in ZHIFA_UPLOAD_TMP_DIR while it is hashed (bounded memory: one chunk at
a time), fsynced, its type detected from its first bytes, and then stored under its SHA-256 by the configured
storage backend (`zhifa.common.storage`: the local folder ZHIFA_BLOB_DIR, where a hard link refuses an existing
name, or an S3-compatible store, where a conditional put does). A stored blob is never overwritten, even by two
processes racing with the same content; when the name exists, the existing copy is verified and reused. The
application never deletes or changes a stored blob.

This module knows nothing about requests, users or the database.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from zhifa.common.errors import InvalidState, ServiceError
from zhifa.common.files import create_locked_temp
from zhifa.common.storage import BlobConflict, BlobStorage, LocalStorage, Readable, storage_from_settings
from zhifa.records import filecheck, sm

READ_CHUNK = 1024 * 1024  # re-hashing and copying read this much at a time
HEAD_BYTES = 4096  # enough for every signature we check
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
DOCX_MAX_ENTRIES = 10_000  # a document with more zip entries is refused unread (BI-1)
IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})  # decoded by browsers in the viewer: pixel-capped


class UploadTooLarge(ServiceError):
    code = "too_large"
    status = 413


UnsupportedType = filecheck.RefusedContent  # 415 with a Chinese message; one class for every content refusal


class EmptyUpload(ServiceError):
    code = "empty"
    status = 400


class BlobCorrupted(InvalidState):
    """The store already holds a file under this hash but its content no longer matches (see `zhifa fixity`)."""

    code = "blob_corrupted"


@dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str
    label: str


# The allowlist (BI-2). Detected from content only; the uploader's file name and declared type are ignored.
TYPES: dict[str, FileType] = {t.content_type: t for t in [
    FileType("image/jpeg", "jpg", "JPEG 照片"),
    FileType("image/png", "png", "PNG 图片"),
    FileType("video/mp4", "mp4", "MP4 视频"),
    FileType("video/quicktime", "mov", "MOV 视频"),
    FileType("video/webm", "webm", "WebM 视频"),
    FileType("video/x-matroska", "mkv", "MKV 视频"),
    FileType("audio/mpeg", "mp3", "MP3 音频"),
    FileType("audio/wav", "wav", "WAV 音频"),
    FileType("audio/mp4", "m4a", "M4A 音频"),
    FileType("application/pdf", "pdf", "PDF 文档"),
    FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", "Word 文档"),
]}

# ISO base media brands (bytes 8..12 after "ftyp"): audio-only brands, QuickTime, and the video brands cameras use.
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A "}
_VIDEO_BRANDS = {
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"dash", b"M4V ", b"M4VH",
    b"M4VP", b"XAVC", b"mmp4", b"f4v ", b"3gp4", b"3gp5", b"3gp6", b"3g2a", b"MSNV", b"NDAS", b"hvc1",
}


def allowed_types_text() -> str:
    return _("仅接受 JPEG、PNG 照片，MP4、MOV、WebM、MKV 视频，MP3、WAV、M4A 音频，以及 PDF、Word（DOCX）文档。")


def _mpeg_audio_frame(head: bytes) -> bool:
    """An MPEG-1/2 layer I–III frame header (an MP3 without an ID3 tag)."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 3, (head[1] >> 1) & 3
    bitrate, rate = head[2] >> 4, (head[2] >> 2) & 3
    return version != 1 and layer != 0 and bitrate not in (0, 0xF) and rate != 3


def _is_docx(path: Path) -> bool:
    """A zip whose central directory names a Word body. Only the directory is read; nothing is extracted."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > DOCX_MAX_ENTRIES:
                return False
            names = {i.filename for i in infos}
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return "[Content_Types].xml" in names and "word/document.xml" in names


def detect_type(head: bytes, path: Path | None = None) -> str | None:
    """The content type of an allowed file from its first bytes, or None."""
    if head[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if head[:5] == b"%PDF-":
        return "application/pdf"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _AUDIO_BRANDS:
            return "audio/mp4"
        if brand == b"qt  ":
            return "video/quicktime"
        if brand in _VIDEO_BRANDS:
            return "video/mp4"
        return None  # e.g. HEIC/AVIF stills: not on the list
    if head[:4] == b"\x1a\x45\xdf\xa3":  # EBML: the DocType element names the flavour
        if b"webm" in head[:64]:
            return "video/webm"
        if b"matroska" in head[:64]:
            return "video/x-matroska"
        return None
    if head[:3] == b"ID3" or _mpeg_audio_frame(head):
        return "audio/mpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[:4] == b"PK\x03\x04" and path is not None and _is_docx(path):
        return TYPES["application/vnd.openxmlformats-officedocument.wordprocessingml.document"].content_type
    return None


def refusal_message(head: bytes) -> str:
    """Why a file is refused, in Chinese, naming the dangerous kinds explicitly (BI-2)."""
    text = head.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n").lower()
    if text.startswith(b"<"):
        kind = _("网页（HTML）、SVG 或 XML 文件")
    elif head[:2] == b"MZ" or head[:4] in (b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe"):
        kind = _("可执行程序")
    elif head[:2] == b"#!":
        kind = _("脚本文件")
    else:
        return _("不支持的文件类型（系统按文件内容识别类型，与文件名无关）。") + allowed_types_text()
    return _("出于安全原因，不接受%(kind)s。") % {"kind": kind} + allowed_types_text()


def check_type(head: bytes, path: Path | None) -> str:
    """The detected content type, or UnsupportedType with a Chinese message. With the complete file at hand, a
    zip container is checked for bombs and path entries before anything reads its entries, and an image's pixel
    count against the cap (filecheck, issue 9 defect 13)."""
    if path is not None and head[:2] == b"PK":
        filecheck.check_zip(path)
    detected = detect_type(head, path)
    if detected is None:
        raise UnsupportedType(refusal_message(head))
    if path is not None and detected in IMAGE_TYPES:
        filecheck.check_image(path)
    return detected


def too_large_message(limit: int) -> str:
    return _("文件超过允许的大小上限（%(limit)s）。") % {"limit": human_size(limit)}


def human_size(n: int) -> str:
    """A byte count as staff pages and archive index pages show it: "512 B", "1.5 KB", "2.0 MB", "3.1 GB"."""
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"  # pragma: no cover


@dataclass(frozen=True)
class Staged:
    """A complete, fsynced upload in the temporary folder, hashed and type-checked, ready to be stored."""

    path: Path
    sha256: str
    size: int
    content_type: str
    sm3: str = ""  # computed in SM mode (ADR 0020)


def hash_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(READ_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def hash_file_both(path: Path) -> tuple[str, str, int]:
    """(SHA-256, SM3, size) in one pass (SM mode)."""
    digest, digest_sm3 = hashlib.sha256(), sm.sm3_new()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(READ_CHUNK):
            digest.update(chunk)
            digest_sm3.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), digest_sm3.hexdigest(), size


def read_head(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(HEAD_BYTES)


def remove_if_abandoned(path: Path) -> bool:
    """Remove a temporary file whose writer is gone (no process holds its lock). Unlinks while holding the lock,
    so a writer that locks it afterwards sees a file without a link (see `create_locked_temp`)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        path.unlink(missing_ok=True)
        return True
    finally:
        os.close(fd)


class TempWriter:
    """Writes one upload to a new temporary file, hashing as it goes and refusing bytes beyond `limit`.

    Always end with `finish()` or `discard()`; `discard()` is safe to call at any time, also after `finish()`
    (the caller discards once the blob is stored, since storing links rather than moves).
    """

    def __init__(self, store: BlobStore, *, limit: int, prefix: str = "single-") -> None:
        store.tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = create_locked_temp(store.tmp_dir, prefix=prefix)
        self.path = Path(name)
        self._file = os.fdopen(fd, "wb")
        self._hash = hashlib.sha256()
        self._sm3 = sm.sm3_new() if sm.sm_mode() else None
        self._head = bytearray()
        self.size = 0
        self.limit = limit

    def write(self, data: bytes) -> None:
        if self.size + len(data) > self.limit:
            raise UploadTooLarge(too_large_message(self.limit))
        if len(self._head) < HEAD_BYTES:
            self._head += data[: HEAD_BYTES - len(self._head)]
        self._hash.update(data)
        if self._sm3 is not None:
            self._sm3.update(data)
        self._file.write(data)
        self.size += len(data)

    def finish(self) -> Staged:
        """Flush and fsync; the file stays open (and locked against the sweep) until `discard()`."""
        self._file.flush()
        os.fsync(self._file.fileno())
        if self.size == 0:
            raise EmptyUpload(_("文件为空。"))
        content_type = check_type(bytes(self._head), self.path)
        return Staged(self.path, self._hash.hexdigest(), self.size, content_type,
                      self._sm3.hexdigest() if self._sm3 is not None else "")

    def discard(self) -> None:
        if not self._file.closed:
            self._file.close()
        self.path.unlink(missing_ok=True)


class BlobStore:
    """Evidence and document files: local staging of one request's upload (`writer`, `stage`) in front of the
    configured storage backend (`zhifa.common.storage`, ADR 0026), which holds the blobs and the parts of resumable
    uploads. Callers name blobs by hash only; where they live is the backend's business."""

    def __init__(self, root: Path, tmp_dir: Path, backend: BlobStorage | None = None) -> None:
        self.tmp_dir = Path(tmp_dir)
        self.backend: BlobStorage = backend or LocalStorage(Path(root), self.tmp_dir / "parts")

    def path_for(self, sha256: str) -> Path:
        """The file of a blob in the local backend (tests tamper with it; production code never asks)."""
        if not isinstance(self.backend, LocalStorage):
            raise TypeError("only the local backend has blob paths")
        return self.backend.path_for(sha256)

    def writer(self, *, limit: int, prefix: str = "single-") -> TempWriter:
        return TempWriter(self, limit=limit, prefix=prefix)

    def stage(self, path: Path, *, hashed: tuple[str, int, str] | None = None) -> Staged:
        """Hash and type-check a complete file already in the temporary folder (a finished resumable upload).
        `hashed`: (SHA-256, size, SM3 or "") computed while the file was written, so it is not read twice."""
        if hashed is not None:
            sha256, size, sm3 = hashed
        elif sm.sm_mode():
            sha256, sm3, size = hash_file_both(path)
        else:
            (sha256, size), sm3 = hash_file(path), ""
        if size == 0:
            raise EmptyUpload(_("文件为空。"))
        return Staged(path, sha256, size, check_type(read_head(path), path), sm3)

    def verify(self, sha256: str, size: int | None = None) -> bool:
        """True if the stored blob exists and hashes to its name."""
        return self.backend.verify(sha256, size)

    def exists(self, sha256: str) -> bool:
        return self.backend.exists(sha256)

    def check_existing(self, staged: Staged) -> bool:
        """Before a transaction: True if this content is already stored (and intact); BlobCorrupted if a blob
        with this name exists but no longer matches, since we must neither overwrite it nor pretend it is fine."""
        if not self.exists(staged.sha256):
            return False
        if not self.verify(staged.sha256, staged.size):
            raise BlobCorrupted(
                _("存储中已有同一哈希值的文件，但其内容已损坏。为保全证据，系统不会覆盖它；请联系系统管理员处理。")
            )
        return True

    def commit(self, staged: Staged) -> bool:
        """Store the staged file under its hash. Idempotent: an existing intact blob is reused, never replaced.
        True if written now."""
        try:
            return self.backend.put(staged.sha256, staged.path, staged.size)
        except BlobConflict as exc:
            raise BlobCorrupted(_("存储中已有同一哈希值的文件，但其内容已损坏；请联系系统管理员处理。")) from exc

    def open(self, sha256: str, start: int = 0, end: int | None = None) -> Readable:
        """The blob's bytes [start, end); FileNotFoundError if it is not stored."""
        return self.backend.open(sha256, start, end)

    def size_on_disk(self, sha256: str) -> int | None:
        return self.backend.size(sha256)

    def location(self, sha256: str) -> str:
        return self.backend.location(sha256)

    def walk(self) -> Iterator[tuple[str, str | None]]:
        """Every stored object, with the hash its place names (None if the place is not a blob name)."""
        return self.backend.iterate()


def default_store() -> BlobStore:
    return BlobStore(Path(settings.ZHIFA_BLOB_DIR), Path(settings.ZHIFA_UPLOAD_TMP_DIR),
                     storage_from_settings(settings))


def upload_limit() -> int:
    return int(settings.ZHIFA_UPLOAD_MAX_BYTES)
