"""Virus scanning of uploads with ClamAV's clamd, when a deployment configures it (issue 9 defect 13; BI-2; ADR 0020).

ZHIFA_CLAMD_SOCKET names clamd's socket: a path (unix socket, the usual Debian set-up) or "tcp://host:port".
Unset: no scanning (the default; signatures are the deployer's business). Set: every upload is scanned before it is
stored, and the upload is refused when clamd reports a signature (FOUND), reports an error, or cannot be reached:
scanning that was asked for fails closed.

Over a unix socket the open temporary file is handed to clamd with FILDES (SCM_RIGHTS), so clamd reads it itself:
no copy, no stream size limit beyond clamd's own MaxFileSize/MaxScanSize, and clamd needs no permission on our
folders. Over TCP the bytes are streamed with INSTREAM in chunks; clamd's StreamMaxLength must then be at least the
upload limit, or large files are refused (fail closed). Protocol: clamd(8), "z"-prefixed NUL-terminated commands.
"""

from __future__ import annotations

import logging
import socket
import struct
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from zhifa.common.errors import ServiceError

log = logging.getLogger("zhifa.security")

STREAM_CHUNK = 256 * 1024
DEFAULT_TIMEOUT = 120.0  # seconds; a large video takes a while even for clamd


class VirusFound(ServiceError):
    code = "virus_found"
    status = 422


class ScanUnavailable(ServiceError):
    """Scanning is configured but did not give an answer: the upload is refused (fail closed)."""

    code = "scan_unavailable"
    status = 503


@dataclass(frozen=True)
class ScanResult:
    clean: bool
    signature: str = ""


def configured_socket() -> str:
    return str(settings.ZHIFA_CLAMD_SOCKET or "").strip()


def _connect(address: str, timeout: float) -> tuple[socket.socket, bool]:
    """(connected socket, is_unix)."""
    if address.startswith("tcp://"):
        parts = urlsplit(address)
        if not parts.hostname or not parts.port:
            raise ValueError("ZHIFA_CLAMD_SOCKET: tcp://host:port")
        return socket.create_connection((parts.hostname, parts.port), timeout=timeout), False
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(address.removeprefix("unix://"))
    except OSError:
        sock.close()
        raise
    return sock, True


def _reply(sock: socket.socket) -> str:
    data = b""
    while not data.endswith(b"\x00"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.rstrip(b"\x00").decode("utf-8", "replace").strip()


def _parse(reply: str) -> ScanResult:
    # "<name>: OK" | "<name>: <Signature> FOUND" | "<anything> ERROR"
    _name, _sep, verdict = reply.rpartition(": ")
    if verdict == "OK":
        return ScanResult(clean=True)
    if verdict.endswith(" FOUND"):
        return ScanResult(clean=False, signature=verdict.removesuffix(" FOUND").strip())
    raise OSError(f"clamd: {reply or 'no answer'}")


def scan_file(path: Path, *, address: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> ScanResult:
    """Ask clamd about one file. OSError/ValueError if clamd cannot give a verdict."""
    address = configured_socket() if address is None else address
    sock, unix = _connect(address, timeout)
    with sock, open(path, "rb") as f:
        if unix:
            sock.sendall(b"zFILDES\x00")
            socket.send_fds(sock, [b"\x00"], [f.fileno()])
        else:
            sock.sendall(b"zINSTREAM\x00")
            while chunk := f.read(STREAM_CHUNK):
                sock.sendall(struct.pack(">I", len(chunk)) + chunk)
            sock.sendall(struct.pack(">I", 0))
        return _parse(_reply(sock))


def ping(address: str | None = None, timeout: float = 5.0) -> bool:
    address = configured_socket() if address is None else address
    try:
        sock, _unix = _connect(address, timeout)
        with sock:
            sock.sendall(b"zPING\x00")
            return _reply(sock) == "PONG"
    except (OSError, ValueError):
        return False


def scan_upload(path: Path, *, sha256: str, size: int, user: object = None) -> None:
    """The upload check: nothing if scanning is off or the file is clean; VirusFound if clamd names a signature,
    ScanUnavailable if clamd is configured but gives no verdict. Both refusals are logged on "zhifa.security"
    (user, hash, size, signature): the file itself is not kept, and no ledger entry is written."""
    address = configured_socket()
    if not address:
        return
    who = getattr(user, "username", "") or "-"
    try:
        result = scan_file(path, address=address)
    except (OSError, ValueError) as exc:
        log.error("upload refused: virus scanner unavailable (%s) user=%s sha256=%s size=%d", exc, who, sha256, size)
        raise ScanUnavailable(_("病毒扫描服务不可用，为安全起见暂不接收文件，请稍后重试或联系系统管理员。")) from exc
    if not result.clean:
        log.warning("upload refused: virus found signature=%s user=%s sha256=%s size=%d",
                    result.signature, who, sha256, size)
        raise VirusFound(
            _("文件未通过病毒扫描（检出：%(sig)s），系统已拒绝接收。请勿上传该文件，并联系信息安全管理员。")
            % {"sig": result.signature[:100]}
        )
