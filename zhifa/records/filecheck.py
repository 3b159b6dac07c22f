"""Content checks on an upload before it is stored (issue 9 defect 13; reliability.md BI-1, BI-2; ADR 0020).

The stored original is never changed (its hash is the evidence); these checks only decide whether to keep it:

- archives (zip containers: DOCX and anything else starting with "PK"): the central directory is read, nothing is
  decompressed, and the file is refused if it has too many entries, a declared total uncompressed size or
  compression ratio over the limits, entries whose data overlap (the "quoted-overlap" bomb, which CPython only
  notices when an entry is read), encrypted entries, or names that are paths out of the archive (`..`, absolute,
  drive letters, backslashes, NUL) or symbolic links. Only then is every entry read once, bounded by the declared
  sizes just checked, so that a directory that lies about its sizes fails its CRC instead of passing;
- images (JPEG, PNG): the header is read with Pillow (no pixel data is decoded) and an image over
  ZHIFA_IMAGE_MAX_PIXELS is refused, since browsers decode what the viewer shows (pixel flood); an image whose size
  cannot be read is refused too;
- the declared type (file name extension and the client's MIME type) must agree with the type detected from the
  magic bytes, where the declaration names a type at all.

Each refusal is an `UnsupportedType` (415) with a Chinese message. This module touches no database.
"""

from __future__ import annotations

import stat
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import IO

from django.conf import settings
from django.utils.translation import gettext as _

from zhifa.common.errors import ServiceError

READ_CHUNK = 1024 * 1024
LOCAL_HEADER = 30  # fixed part of a zip local file header

# Defaults (settings override each): a Word document has tens of entries and a few MB of XML.
ZIP_MAX_ENTRIES = 1_000
ZIP_MAX_UNCOMPRESSED = 256 * 1024 * 1024
ZIP_MAX_RATIO = 100
ZIP_RATIO_FLOOR = 1024 * 1024  # entries smaller than this uncompressed are not ratio-checked one by one
ZIP_MAX_DEPTH = 2  # a DOCX holding an embedded workbook holding … no more than this
SPOOL_IN_MEMORY = 8 * 1024 * 1024  # a nested archive larger than this is checked from a temporary file
IMAGE_MAX_PIXELS = 89_478_485  # Pillow's own default (about 9459 × 9459)


class RefusedContent(ServiceError):
    code = "unsupported_type"
    status = 415


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def image_max_pixels() -> int:
    return _setting("ZHIFA_IMAGE_MAX_PIXELS", IMAGE_MAX_PIXELS)


# ---------------------------------------------------------------------------------------------------------------
# Archives
# ---------------------------------------------------------------------------------------------------------------


def _bad_name(name: str) -> bool:
    if not name or "\x00" in name or "\\" in name or name.startswith("/"):
        return True
    if len(name) >= 2 and name[1] == ":":  # C:foo, a drive letter
        return True
    return any(part == ".." for part in name.split("/"))


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16)


def _raw_name_length(info: zipfile.ZipInfo) -> int:
    encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
    try:
        return len(info.orig_filename.encode(encoding))
    except UnicodeEncodeError:
        return len(info.orig_filename.encode("utf-8"))


def _refuse(reason: str) -> RefusedContent:
    return RefusedContent(_("压缩文件（如 Word 文档）未通过安全检查：%(reason)s。") % {"reason": reason},
                          code="unsafe_archive")


def check_zip(path: Path) -> None:
    """Refuse a zip container that is a bomb or carries path entries (BI-1). Raises RefusedContent. Zips inside
    the zip (an embedded workbook in a DOCX, a nested bomb) get the same checks, up to ZIP_MAX_DEPTH levels, with
    one uncompressed-size budget for all levels together."""
    budget = [_setting("ZHIFA_ZIP_MAX_UNCOMPRESSED", ZIP_MAX_UNCOMPRESSED)]
    _check_archive(path, depth=0, budget=budget)


def _check_archive(source: Path | IO[bytes], *, depth: int, budget: list[int]) -> None:
    max_entries = _setting("ZHIFA_ZIP_MAX_ENTRIES", ZIP_MAX_ENTRIES)
    max_ratio = _setting("ZHIFA_ZIP_MAX_RATIO", ZIP_MAX_RATIO)
    try:
        with zipfile.ZipFile(source) as archive:
            infos = archive.infolist()
            start_dir = archive.start_dir  # where the central directory begins: no entry data may reach it
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _refuse(_("文件结构损坏")) from exc
    if len(infos) > max_entries:
        raise _refuse(_("条目过多（%(n)d 个，上限 %(max)d 个）") % {"n": len(infos), "max": max_entries})
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    budget[0] -= total
    if budget[0] < 0:
        raise _refuse(_("解压后总大小超过上限"))
    if total > ZIP_RATIO_FLOOR and total > max_ratio * max(packed, 1):
        raise _refuse(_("压缩比异常（疑似“压缩炸弹”）"))
    seen: set[str] = set()
    for info in infos:
        if _bad_name(info.orig_filename) or _bad_name(info.filename):
            raise _refuse(_("含有指向压缩包以外的路径条目"))
        if _is_symlink(info):
            raise _refuse(_("含有符号链接条目"))
        if info.filename in seen:
            raise _refuse(_("含有重名条目"))
        seen.add(info.filename)
        if info.flag_bits & 0x1:
            raise _refuse(_("含有加密条目"))
        if info.file_size > ZIP_RATIO_FLOOR and info.file_size > max_ratio * max(info.compress_size, 1):
            raise _refuse(_("压缩比异常（疑似“压缩炸弹”）"))
    spans = sorted((i.header_offset, i.header_offset + LOCAL_HEADER + _raw_name_length(i) + i.compress_size)
                   for i in infos)
    for (start, end), nxt in zip(spans, [s for s, _e in spans[1:]] + [start_dir], strict=True):
        if end > nxt or start < 0:
            raise _refuse(_("条目数据相互重叠（疑似“压缩炸弹”）"))
    # The declared sizes are now known to be small: read every entry once (output capped at its declared size by
    # zipfile) so that a lying directory fails its CRC here rather than in whatever decodes it later.
    nested: list[IO[bytes]] = []
    try:
        with zipfile.ZipFile(source) as archive:
            for info in archive.infolist():
                with archive.open(info) as member:
                    first = member.read(READ_CHUNK)
                    inner: IO[bytes] | None = None
                    if first[:4] == b"PK\x03\x04":
                        if depth + 1 > ZIP_MAX_DEPTH:
                            raise _refuse(_("压缩包嵌套层数过多"))
                        inner = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - closed below
                        nested.append(inner)
                        inner.write(first)
                    while chunk := member.read(READ_CHUNK):
                        if inner is not None:
                            inner.write(chunk)
        for inner_file in nested:
            inner_file.seek(0)
            _check_archive(inner_file, depth=depth + 1, budget=budget)
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, OSError, EOFError, ValueError) as exc:
        raise _refuse(_("条目内容与目录不符或已损坏")) from exc
    finally:
        for inner_file in nested:
            inner_file.close()


# ---------------------------------------------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------------------------------------------


def check_image(path: Path) -> tuple[int, int]:
    """The image's (width, height) from its header; RefusedContent above the pixel cap or if unreadable (BI-2)."""
    from PIL import Image, UnidentifiedImageError

    limit = image_max_pixels()
    try:
        with Image.open(path) as image:  # reads the header only; no pixel is decoded
            width, height = image.size
    except Image.DecompressionBombError as exc:
        raise RefusedContent(_too_many_pixels(limit), code="image_too_large") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise RefusedContent(_("图片文件已损坏或无法识别其尺寸。"), code="bad_image") from exc
    if width < 1 or height < 1:
        raise RefusedContent(_("图片文件已损坏或无法识别其尺寸。"), code="bad_image")
    if width * height > limit:
        raise RefusedContent(_too_many_pixels(limit, width, height), code="image_too_large")
    return width, height


def _too_many_pixels(limit: int, width: int = 0, height: int = 0) -> str:
    size = _("（%(w)d × %(h)d）") % {"w": width, "h": height} if width else ""
    return _("图片像素过多%(size)s，超过上限 %(n)d 万像素。") % {"size": size, "n": limit // 10_000}


def configure_pillow() -> None:
    """Make every Pillow decode in this process refuse images over the cap (thumbnails, PDF rendering)."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = image_max_pixels()


# ---------------------------------------------------------------------------------------------------------------
# Declared type against detected type
# ---------------------------------------------------------------------------------------------------------------

# Families of types that are the same container (an .m4a may carry an "isom" brand, a .mp4 a QuickTime one).
_FAMILIES: dict[str, str] = {
    "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/pjpeg": "jpeg",
    "image/png": "png", "image/x-png": "png", "image/apng": "png",
    "application/pdf": "pdf", "application/x-pdf": "pdf",
    "video/mp4": "iso", "audio/mp4": "iso", "video/quicktime": "iso", "audio/x-m4a": "iso", "audio/m4a": "iso",
    "video/x-m4v": "iso", "video/3gpp": "iso", "video/3gpp2": "iso", "audio/aac": "iso",
    "video/webm": "ebml", "audio/webm": "ebml", "video/x-matroska": "ebml", "audio/x-matroska": "ebml",
    "audio/mpeg": "mp3", "audio/mp3": "mp3", "audio/mpeg3": "mp3", "audio/x-mpeg": "mp3",
    "audio/wav": "wav", "audio/x-wav": "wav", "audio/wave": "wav", "audio/vnd.wave": "wav",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
}
_EXTENSIONS: dict[str, str] = {
    "jpg": "jpeg", "jpeg": "jpeg", "jpe": "jpeg", "jfif": "jpeg", "png": "png", "pdf": "pdf",
    "mp4": "iso", "m4v": "iso", "m4a": "iso", "m4b": "iso", "mov": "iso", "qt": "iso", "3gp": "iso", "3g2": "iso",
    "f4v": "iso", "lrv": "iso",
    "webm": "ebml", "mkv": "ebml", "mka": "ebml", "mp3": "mp3", "wav": "wav", "docx": "docx",
    # Names that promise something the allowlist never holds: a mismatch whatever the bytes are.
    "htm": "html", "html": "html", "xhtml": "html", "svg": "svg", "xml": "xml", "js": "script", "exe": "program",
    "dll": "program", "bat": "script", "cmd": "script", "ps1": "script", "sh": "script", "vbs": "script",
    "hta": "html", "scr": "program", "msi": "program", "jar": "program", "apk": "program", "com": "program",
    "gif": "gif", "bmp": "bmp", "tif": "tiff", "tiff": "tiff", "webp": "webp", "heic": "heic", "avi": "avi",
    "doc": "doc", "xls": "xls", "xlsx": "xlsx", "ppt": "ppt", "pptx": "pptx", "zip": "zip", "rar": "rar",
    "7z": "7z", "gz": "gz", "txt": "text", "rtf": "rtf",
}
_GENERIC_TYPES = {"", "application/octet-stream", "binary/octet-stream", "application/unknown",
                  "application/x-unknown", "application/binary"}


def check_declared(detected: str, *, filename: str = "", declared_type: str = "") -> None:
    """Refuse when the name's extension or the client's MIME type names a different kind of file than the bytes
    (BI-2: a PDF named .jpg, a JPEG sent as text/html). Unknown extensions and generic MIME types say nothing."""
    family = _FAMILIES.get(detected, detected)
    name = (filename or "").rsplit("/", 1)[-1]
    ext = name.rsplit(".", 1)[-1].strip().lower() if "." in name else ""
    named = _EXTENSIONS.get(ext)
    if named is not None and named != family:
        raise RefusedContent(
            _("文件扩展名“.%(ext)s”与文件实际内容不符，系统拒绝接收。请确认文件未被改名或伪装。") % {"ext": ext[:16]},
            code="type_mismatch",
        )
    mime = (declared_type or "").split(";", 1)[0].strip().lower()
    if mime in _GENERIC_TYPES:
        return
    if _FAMILIES.get(mime, mime) != family:
        raise RefusedContent(
            _("声明的文件类型（%(mime)s）与文件实际内容不符，系统拒绝接收。") % {"mime": mime[:100]},
            code="type_mismatch",
        )
