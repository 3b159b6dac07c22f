"""Upload hardening (issue 9 defect 13; reliability.md BI-1, BI-2, BI-3; ADR 0020).

Archives are refused on their directory (bombs, path entries, symlinks) before anything decodes an entry; images over
the pixel cap are refused; the declared name and type must agree with the bytes; a configured clamd scans every upload
(a real clamd from Debian's clamav-daemon, started here on a temporary socket with a signature database written by
the test: no mock) and refuses what it flags, failing closed when it cannot be reached; control and bidi characters
never reach a stored name or a response header. Every refusal leaves nothing behind: no row, blob, temp file or
ledger entry.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import signal
import struct
import subprocess
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.test import Client

from zhifa.accounts.roles import Role
from zhifa.records.models import Blob, Evidence, LedgerEntry, UploadSession
from zhifa.records.tests.test_evidence import JPEG, MP4, PDF, PNG, blob_files, temp_files
from zhifa.records.tests.test_uploads import UPLOAD_URL, api_prefix, form_fields, logged_in, token_client

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
EICAR_PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + EICAR + b"\n%%EOF\n"
CLAMD_TCP_PORT = 18151


@pytest.fixture
def stores(settings, tmp_path: Path) -> tuple[Path, Path]:  # noqa: ANN001
    settings.ZHIFA_BLOB_DIR = tmp_path / "blobs"
    settings.ZHIFA_UPLOAD_TMP_DIR = tmp_path / "upload-tmp"
    settings.ZHIFA_UPLOAD_MAX_BYTES = 256 * 1024
    return settings.ZHIFA_BLOB_DIR, settings.ZHIFA_UPLOAD_TMP_DIR


@pytest.fixture
def api(settings) -> str:  # noqa: ANN001
    return api_prefix(settings)


def upload_file(content: bytes, name: str, content_type: str = "application/octet-stream"):  # noqa: ANN201
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


def nothing_left(stores_: tuple[Path, Path], entries_before: int = 0) -> None:
    blob_dir, tmp_dir = stores_
    assert not Evidence.objects.exists() and not Blob.objects.exists()
    assert LedgerEntry.objects.filter(kind="evidence.added").count() == 0
    assert LedgerEntry.objects.count() == entries_before
    assert blob_files(blob_dir) == [] and temp_files(tmp_dir) == []


def post_api(client: Client, api_prefix: str, content: bytes, name: str, content_type: str = "application/octet-stream"):  # noqa: ANN201
    return client.post(f"{api_prefix}/evidence", {**form_fields(), "file": upload_file(content, name, content_type)})


# ---------------------------------------------------------------------------------------------------------------
# Archive builders
# ---------------------------------------------------------------------------------------------------------------


def docx_with(extra: dict[str, bytes] | None = None, *, symlink: str | None = None,
              compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
        for name, data in (extra or {}).items():
            z.writestr(zipfile.ZipInfo(name), data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.create_system = 3
            info.external_attr = 0o120777 << 16
            z.writestr(info, "/etc/passwd")
    return buf.getvalue()


def zip_bomb_docx() -> bytes:
    """A DOCX whose body is 24 MB of zeros deflated to about 24 KB (ratio ~1000)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", bytes(24 * 1024 * 1024))
    return buf.getvalue()


def nested(inner: bytes, levels: int = 1) -> bytes:
    """`inner` stored (not compressed) as an embedded object of a DOCX, `levels` deep: the outer ratio looks fine."""
    for _level in range(levels):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
            z.writestr("[Content_Types].xml", "<Types/>")
            z.writestr("word/document.xml", "<w:document/>")
            z.writestr("word/embeddings/Microsoft_Excel_Worksheet.xlsx", inner)
        inner = buf.getvalue()
    return inner


def overlap_bomb_docx() -> bytes:
    """The "quoted overlap" trick: two central-directory entries point at the same local file data."""
    raw = bytearray(docx_with({"word/media/a.bin": b"a" * 100, "word/media/b.bin": b"b" * 100}))
    cd_start = struct.unpack("<I", raw[-6:-2])[0]
    offsets = []
    pos = cd_start
    while raw[pos:pos + 4] == b"PK\x01\x02":
        name_len, extra_len, comment_len = struct.unpack("<HHH", raw[pos + 28:pos + 34])
        offsets.append(pos)
        pos += 46 + name_len + extra_len + comment_len
    first_local = struct.unpack("<I", raw[offsets[2] + 42:offsets[2] + 46])[0]
    raw[offsets[3] + 42:offsets[3] + 46] = struct.pack("<I", first_local)  # b.bin's entry now points at a.bin's
    return bytes(raw)


def crc_lie_docx() -> bytes:
    """A directory whose CRC does not match the entry's content (the sizes or the data have been tampered with)."""
    raw = bytearray(docx_with({"word/media/a.bin": b"a" * 1000}))
    cd_start = struct.unpack("<I", raw[-6:-2])[0]
    pos = cd_start
    while raw[pos:pos + 4] == b"PK\x01\x02":
        name_len, extra_len, comment_len = struct.unpack("<HHH", raw[pos + 28:pos + 34])
        if raw[pos + 46:pos + 46 + name_len] == b"word/media/a.bin":
            raw[pos + 16:pos + 20] = struct.pack("<I", zlib.crc32(b"not this") & 0xFFFFFFFF)
        pos += 46 + name_len + extra_len + comment_len
    return bytes(raw)


def png_header(width: int, height: int) -> bytes:
    """A syntactically valid PNG announcing width × height pixels (a pixel flood: tiny file, huge canvas)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


# ---------------------------------------------------------------------------------------------------------------
# Archives (BI-1)
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("label", "content"), [
    ("zip bomb", zip_bomb_docx()),
    ("quoted-overlap bomb", overlap_bomb_docx()),
    ("entries over the count limit", docx_with({f"word/media/{i}.xml": b"x" for i in range(1001)})),
    ("../ entry", docx_with({"../../evil.sh": b"#!/bin/sh\n"})),
    ("absolute entry", docx_with({"/etc/cron.d/evil": b"x"})),
    ("backslash entry", docx_with({"..\\..\\evil.bat": b"x"})),
    ("drive-letter entry", docx_with({"C:/Windows/evil.dll": b"x"})),
    ("symlink entry", docx_with(symlink="word/media/link")),
    ("directory lying about its content", crc_lie_docx()),
    ("nested zip bomb", nested(zip_bomb_docx())),
    ("nested path entry", nested(docx_with({"../x": b"x"}), levels=2)),
    ("nesting too deep", nested(docx_with(), levels=3)),
])
def test_dangerous_archives_are_refused_before_decoding_and_leave_nothing(label, content, agency_a, stores) -> None:
    """issue 9 defect 13, BI-1: bombs (ratio, overlap, entry count, nested), path entries (../, absolute,
    backslash, drive letter, also inside an embedded zip), symlinks, too deep nesting and a lying directory are refused with a Chinese message (415), form and API alike;
    no row, blob, temp file or ledger entry remains."""
    client = logged_in(agency_a[Role.OFFICER])
    response = client.post(UPLOAD_URL, {**form_fields(), "file": upload_file(content, "决定书.docx")})
    assert response.status_code == 415, label
    assert "压缩文件" in response.content.decode()
    nothing_left(stores)


def test_archive_refusal_through_the_api_and_resumable_session(agency_a, stores, api) -> None:
    """issue 9 defect 13, BI-1: the same refusal over the API (JSON code unsafe_archive) and at the finish of a
    resumable upload, which then removes its part file."""
    client = token_client(agency_a[Role.OFFICER])
    bomb = zip_bomb_docx()
    response = post_api(client, api, bomb, "a.docx")
    assert response.status_code == 415 and response.json()["code"] == "unsafe_archive"
    assert "压缩" in response.json()["message"]
    created = client.post(f"{api}/uploads", {**form_fields(), "filename": "a.docx", "size": len(bomb)},
                          content_type="application/json")
    sid = created.json()["id"]
    assert client.generic("PUT", f"{api}/uploads/{sid}?offset=0", bomb,
                          content_type="application/octet-stream").status_code == 200
    finished = client.post(f"{api}/uploads/{sid}/finish")
    assert finished.status_code == 415 and finished.json()["code"] == "unsafe_archive"
    assert UploadSession.objects.get().state == "aborted"
    nothing_left(stores)


def test_a_real_docx_is_kept_byte_exact(agency_a, stores, api) -> None:
    """issue 9 defect 13: checks decide, they never change: the stored original hashes to what was sent."""
    content = nested(docx_with({"word/media/image1.png": PNG}))  # with an embedded workbook (a zip in the zip)
    response = post_api(token_client(agency_a[Role.OFFICER]), api, content, "决定书.docx")
    assert response.status_code == 201, response.content
    assert response.json()["sha256"] == hashlib.sha256(content).hexdigest()
    blob_dir, _tmp = stores
    assert [p.read_bytes() for p in blob_files(blob_dir)] == [content]


# ---------------------------------------------------------------------------------------------------------------
# Images (BI-2 pixel flood)
# ---------------------------------------------------------------------------------------------------------------


def test_pixel_flood_png_is_refused(agency_a, stores, api, settings) -> None:
    """issue 9 defect 13, BI-2: a 100,000 × 100,000 PNG (a few hundred bytes) and one just over the configured cap
    are refused with a Chinese message before any pixel is decoded; one at the cap is accepted."""
    client = token_client(agency_a[Role.OFFICER])
    flood = post_api(client, api, png_header(100_000, 100_000), "flood.png", "image/png")
    assert flood.status_code == 415 and flood.json()["code"] == "image_too_large"
    assert "像素" in flood.json()["message"]
    settings.ZHIFA_IMAGE_MAX_PIXELS = 4000 * 3000
    over = post_api(client, api, png_header(4001, 3000), "over.png", "image/png")
    assert over.status_code == 415 and over.json()["code"] == "image_too_large"
    nothing_left(stores)
    assert post_api(client, api, png_header(4000, 3000), "ok.png", "image/png").status_code == 201


def test_an_image_whose_size_cannot_be_read_is_refused(agency_a, stores, api) -> None:
    """issue 9 defect 13, BI-2: PNG magic bytes with a broken header (browsers would try to decode it)."""
    client = token_client(agency_a[Role.OFFICER])
    response = post_api(client, api, b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(200), "x.png")
    assert response.status_code == 415 and response.json()["code"] == "bad_image"
    nothing_left(stores)


# ---------------------------------------------------------------------------------------------------------------
# Declared type against magic bytes (BI-2)
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("content", "name", "declared"), [
    (PDF, "photo.jpg", "image/jpeg"),  # a PDF wearing a photo's name
    (JPEG, "photo.jpg", "text/html"),  # a JPEG declared as a web page
    (PNG, "page.html", "application/octet-stream"),  # PNG+HTML polyglot named .html
    (MP4, "clip.exe", "application/octet-stream"),
    (JPEG, "photo.svg", "image/svg+xml"),
])
def test_declared_type_must_match_the_magic_bytes(content, name, declared, agency_a, stores, api) -> None:
    """issue 9 defect 13, BI-2: the extension or declared MIME type names another kind of file than the bytes."""
    response = post_api(token_client(agency_a[Role.OFFICER]), api, content, name, declared)
    assert response.status_code == 415 and response.json()["code"] == "type_mismatch"
    assert "不符" in response.json()["message"]
    nothing_left(stores)


@pytest.mark.parametrize(("content", "name", "declared"), [
    (JPEG, "IMG_0001.JPG", "image/jpeg"),
    (JPEG, "照片", ""),  # no extension, no type: the bytes decide
    (MP4, "DSJ_0001.LRV", "application/octet-stream"),  # camera proxy files: unknown extension
    (MP4, "clip.mov", "video/quicktime"),  # same container family
])
def test_consistent_or_silent_declarations_are_accepted(content, name, declared, agency_a, stores, api) -> None:
    """issue 9 defect 13, BI-2: the check refuses contradictions only."""
    response = post_api(token_client(agency_a[Role.OFFICER]), api, content, name, declared)
    assert response.status_code == 201, response.content


# ---------------------------------------------------------------------------------------------------------------
# Names and Content-Disposition (BI-3)
# ---------------------------------------------------------------------------------------------------------------


def test_control_and_bidi_characters_never_reach_a_name_or_header(agency_a, stores, api) -> None:
    """issue 9 defect 13, BI-3: NUL, U+202E (right-to-left override), zero-width and other bidi controls are
    stripped from the stored name and the ledger entry; a 300-character name is cut to 255; the download header
    is RFC 6266 (ASCII fallback + percent-encoded UTF-8); CJK and emoji survive."""
    client = token_client(agency_a[Role.OFFICER])
    evil = "合同\u202egpj.exe\u200b\u2066\x00😀现场" + "长" * 300 + ".jpg"
    response = client.post(f"{api}/evidence", {**form_fields(), "file": upload_file(JPEG, evil, "image/jpeg")})
    assert response.status_code == 201, response.content
    evidence = Evidence.objects.get()
    name = evidence.original_filename
    assert not any(ch in name for ch in "\x00\u202e\u200b\u2066"), name
    assert len(name) <= 255 and name.startswith("合同gpj.exe😀现场长")
    canonical = bytes(LedgerEntry.objects.get(kind="evidence.added").canonical).decode()
    assert "\\u202e" not in canonical.lower() and "\u202e" not in canonical and "\\u0000" not in canonical
    header = client.get(f"{api}/evidence/{evidence.public_id}/download")["Content-Disposition"]
    assert header.isascii() and header.startswith('attachment; filename="evidence-')
    offered = unquote(header.split("filename*=UTF-8''", 1)[1])
    assert offered.endswith(".jpg") and "😀现场" in offered and "\u202e" not in offered


def test_no_header_injection_through_a_file_name(agency_a, stores, api) -> None:
    """issue 9 defect 13, BI-3: a name carrying CR/LF and a header (possible in a resumable upload's JSON) is
    stored without them, and the download's Content-Disposition stays one ASCII header line."""
    client = token_client(agency_a[Role.OFFICER])
    name = "a\r\nX-Evil: 1\r\n\r\n<script>.jpg"
    created = client.post(f"{api}/uploads", {**form_fields(), "filename": name, "size": len(JPEG),
                                             "content_type": "image/jpeg"}, content_type="application/json")
    sid = created.json()["id"]
    client.generic("PUT", f"{api}/uploads/{sid}?offset=0", JPEG, content_type="application/octet-stream")
    done = client.post(f"{api}/uploads/{sid}/finish")
    assert done.status_code == 201, done.content
    evidence = Evidence.objects.get()
    assert evidence.original_filename == "aX-Evil: 1<script>.jpg"
    download = client.get(f"{api}/evidence/{evidence.public_id}/download")
    header = download["Content-Disposition"]
    assert header.isascii() and "\r" not in header and "\n" not in header and "X-Evil" not in download.headers
    assert "<" not in header and ":" not in header.split("filename*=", 1)[1]


# ---------------------------------------------------------------------------------------------------------------
# Request limits (BI-1): 413/400, never a 5xx
# ---------------------------------------------------------------------------------------------------------------


def _multipart(parts: list[tuple[str, str | None, bytes]], boundary: str = "zhifaBoundary") -> bytes:
    out = io.BytesIO()
    for field, filename, data in parts:
        out.write(f"--{boundary}\r\n".encode())
        disp = f'form-data; name="{field}"' + (f'; filename="{filename}"' if filename else "")
        out.write(f"Content-Disposition: {disp}\r\n".encode())
        if filename:
            out.write(b"Content-Type: image/jpeg\r\n")
        out.write(b"\r\n" + data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue()


def test_request_limits_answer_400_or_413_fast(agency_a, stores, api) -> None:
    """issue 9 defect 13, BI-1: a body over the limit (refused on Content-Length, before reading), 101 files and
    1,001 fields: 413/400 with a message, never a 5xx, on the upload form, the upload API and an ordinary form."""
    officer = agency_a[Role.OFFICER]
    ctype = "multipart/form-data; boundary=zhifaBoundary"
    fields = [(k, None, v.encode()) for k, v in form_fields().items()]
    many_files = _multipart(fields + [("file", f"{i}.jpg", JPEG) for i in range(101)])
    many_fields = _multipart(fields + [(f"f{i}", None, b"x") for i in range(1001)] + [("file", "a.jpg", JPEG)])
    web, token = logged_in(officer), token_client(officer)
    targets = [(web, UPLOAD_URL), (token, f"{api}/evidence")]
    for client, url in targets:
        started = time.monotonic()
        big = client.generic("POST", url, b"x" * 1024, content_type=ctype,
                             CONTENT_LENGTH=str(10 * 1024 * 1024 * 1024))
        assert big.status_code == 413, (url, big.status_code)
        files = client.generic("POST", url, many_files, content_type=ctype)
        assert files.status_code == 400, (url, files.status_code, files.content[:300])
        too_many = client.generic("POST", url, many_fields, content_type=ctype)
        assert too_many.status_code == 400, (url, too_many.status_code, too_many.content[:300])
        assert time.monotonic() - started < 5
    login = Client(enforce_csrf_checks=True).generic("POST", "/accounts/login/", _multipart(fields * 170),
                                                     content_type=ctype)
    assert login.status_code in (400, 403)  # refused by the parser or, before the view, by the CSRF check
    nothing_left(stores)


# ---------------------------------------------------------------------------------------------------------------
# ClamAV (a real clamd, BI-2)
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clamd(tmp_path_factory) -> Iterator[dict[str, str]]:
    """A real clamd (Debian clamav-daemon) on a temporary unix socket and on 127.0.0.1:18151, loading only a
    signature database written here: one body signature for the EICAR test string, anywhere in any file type
    (freshclam cannot download signatures here, and the real signatures are the deployer's)."""
    binary = shutil.which("clamd") or "/usr/sbin/clamd"
    if not os.access(binary, os.X_OK):
        pytest.fail("clamd is not installed: `make sysdeps-test` installs clamav-daemon (Makefile APT_TEST)")
    folder = tmp_path_factory.mktemp("clamd")
    (folder / "db").mkdir()
    (folder / "db" / "zhifa-test.ndb").write_text(f"Zhifa.Test.EICAR:0:*:{EICAR.hex()}\n")
    sock = folder / "clamd.sock"
    (folder / "clamd.conf").write_text(
        f"LocalSocket {sock}\nTCPSocket {CLAMD_TCP_PORT}\nTCPAddr 127.0.0.1\nDatabaseDirectory {folder / 'db'}\n"
        f"Foreground yes\nTemporaryDirectory {folder}\nLogFile {folder / 'clamd.log'}\nStreamMaxLength 64M\n"
    )
    proc = subprocess.Popen([binary, "-c", str(folder / "clamd.conf")], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    from zhifa.records import scanning

    try:
        deadline = time.monotonic() + 30
        while not (sock.exists() and scanning.ping(str(sock))):
            if proc.poll() is not None or time.monotonic() > deadline:
                log = (folder / "clamd.log").read_text() if (folder / "clamd.log").exists() else ""
                pytest.fail(f"clamd did not start: {log[-2000:]}")
            time.sleep(0.05)
        yield {"unix": str(sock), "tcp": f"tcp://127.0.0.1:{CLAMD_TCP_PORT}"}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("transport", ["unix", "tcp"])
def test_eicar_behind_a_pdf_header_is_refused_by_clamd(transport, clamd, agency_a, stores, api, settings,
                                                       caplog) -> None:
    """issue 9 defect 13, BI-2: with ZHIFA_CLAMD_SOCKET set, the EICAR test file behind a PDF header (a valid
    PDF by its magic bytes) is refused with a Chinese message naming the signature, the refusal is logged on
    zhifa.security, and nothing is kept; a clean PDF passes. Over the unix socket the file descriptor is passed
    (FILDES); over TCP the bytes are streamed (INSTREAM)."""
    settings.ZHIFA_CLAMD_SOCKET = clamd[transport]
    client = token_client(agency_a[Role.OFFICER])
    with caplog.at_level("WARNING", logger="zhifa.security"):
        response = post_api(client, api, EICAR_PDF, "通知书.pdf", "application/pdf")
    assert response.status_code == 422 and response.json()["code"] == "virus_found"
    assert "病毒" in response.json()["message"] and "Zhifa.Test.EICAR" in response.json()["message"]
    assert any("virus found" in r.getMessage() and hashlib.sha256(EICAR_PDF).hexdigest() in r.getMessage()
               for r in caplog.records)
    form = logged_in(agency_a[Role.OFFICER]).post(UPLOAD_URL, {**form_fields(),
                                                               "file": upload_file(EICAR_PDF, "a.pdf")})
    assert form.status_code == 422 and "病毒" in form.content.decode()
    nothing_left(stores)
    assert post_api(client, api, PDF, "clean.pdf", "application/pdf").status_code == 201


def test_eicar_in_a_resumable_upload_is_refused_at_finish(clamd, agency_a, stores, api, settings) -> None:
    """issue 9 defect 13, BI-2: the resumable path scans at finish and removes the part file."""
    settings.ZHIFA_CLAMD_SOCKET = clamd["unix"]
    client = token_client(agency_a[Role.OFFICER])
    created = client.post(f"{api}/uploads", {**form_fields(), "filename": "a.pdf", "size": len(EICAR_PDF)},
                          content_type="application/json")
    sid = created.json()["id"]
    client.generic("PUT", f"{api}/uploads/{sid}?offset=0", EICAR_PDF, content_type="application/octet-stream")
    finished = client.post(f"{api}/uploads/{sid}/finish")
    assert finished.status_code == 422 and finished.json()["code"] == "virus_found"
    nothing_left(stores)


def test_unreachable_clamd_fails_closed(agency_a, stores, api, settings, tmp_path) -> None:
    """issue 9 defect 13, BI-2: scanning configured but clamd down: every upload is refused (503, Chinese), even
    a harmless photo; nothing is kept."""
    settings.ZHIFA_CLAMD_SOCKET = str(tmp_path / "no-such-clamd.sock")
    response = post_api(token_client(agency_a[Role.OFFICER]), api, JPEG, "a.jpg", "image/jpeg")
    assert response.status_code == 503 and response.json()["code"] == "scan_unavailable"
    assert "病毒扫描服务不可用" in response.json()["message"]
    nothing_left(stores)


def test_deploy_check_reports_clamd_state(clamd, settings, tmp_path) -> None:
    """issue 9 defect 13, BI-2: `zhifa check --deploy` notes (Info, scanning is optional) when no scanner is configured, fails when the
    configured clamd cannot be reached, and is silent when it answers."""
    from zhifa.records.checks import clamd_configured

    settings.ZHIFA_CLAMD_SOCKET = ""
    assert [m.id for m in clamd_configured()] == ["zhifa.I020"]
    settings.ZHIFA_CLAMD_SOCKET = str(tmp_path / "gone.sock")
    assert [m.id for m in clamd_configured()] == ["zhifa.E020"]
    settings.ZHIFA_CLAMD_SOCKET = clamd["unix"]
    assert clamd_configured() == []
