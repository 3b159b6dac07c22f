"""The HTTP server of `zhifa run`: waitress (ADR 0019, issue 9 defect 6).

waitress reads every request (headers and body) in its asynchronous I/O loop and hands it to a worker thread only
once it is complete, so a client that sends one byte per second holds a socket, not a thread: fifty such clients
no longer stop the server (gunicorn's threaded workers gave each of them a thread until its timeout). Bodies above
`inbuf_overflow` are buffered in an anonymous temporary file in the data folder (server-tmp/), not in memory.

Production puts nginx in front (docs/decisions/0019-slow-clients-and-server-errors.md): it adds per-request read
deadlines and TLS, and waitress trusts its X-Forwarded-* headers only when ZHIFA_TRUSTED_PROXY names it.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings

RECV_BYTES = 256 * 1024


def _access_log(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """One line per request on stdout (what gunicorn's --access-logfile - printed): method, path, status, ms."""

    def logged(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.monotonic()
        status: list[str] = []

        def start(code: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status.append(code.split(" ", 1)[0])
            return start_response(code, headers, exc_info)

        try:
            return app(environ, start)
        finally:
            ms = (time.monotonic() - started) * 1000
            sys.stdout.write(f'{environ.get("REMOTE_ADDR", "-")} "{environ.get("REQUEST_METHOD")} '
                             f'{environ.get("PATH_INFO", "")}" {status[0] if status else "-"} {ms:.0f}ms\n')
            sys.stdout.flush()

    return logged


def server_options(bind: str, *, threads: int | None = None) -> dict[str, Any]:
    """waitress's settings for `bind` ("host:port"), from the settings (ZHIFA_THREADS etc.; defaults in ADR 0019)."""
    options: dict[str, Any] = {
        "listen": bind,
        "threads": threads or settings.ZHIFA_THREADS,
        "channel_timeout": settings.ZHIFA_CHANNEL_TIMEOUT,  # seconds a connection may stay silent
        "connection_limit": settings.ZHIFA_CONNECTION_LIMIT,
        # poll(), not select(): select() fails once a descriptor number passes 1024, i.e. with many connections.
        "asyncore_use_poll": True,
        # A single-request evidence upload may be as large as the upload cap (resumable sessions send chunks).
        "max_request_body_size": settings.ZHIFA_UPLOAD_MAX_BYTES + 1024**2,
        # Read sockets in 256 KiB pieces, not waitress's 8 KiB: a 64 MiB upload chunk then costs 256 trips through
        # the I/O loop instead of 8,192 (ADR 0043; the largest cost of an upload over HTTP, measured in bench/upload.py).
        "recv_bytes": RECV_BYTES,
        "ident": "zhifa",
        "clear_untrusted_proxy_headers": True,
    }
    proxy = settings.ZHIFA_TRUSTED_PROXY
    if proxy:
        options.update(trusted_proxy=proxy, trusted_proxy_count=1,
                       trusted_proxy_headers="x-forwarded-for x-forwarded-proto x-forwarded-host")
    return options


def serve(bind: str, *, threads: int | None = None) -> None:
    """Serve the WSGI application on `bind` until the process is stopped (blocks)."""
    from waitress import serve as waitress_serve

    from zhifa.wsgi import application

    # Request bodies waitress buffers go to the data disk, not a (possibly RAM-backed) /tmp, unless TMPDIR is set.
    buffers = settings.ZHIFA_SERVER_TMP_DIR
    if buffers is not None:
        buffers.mkdir(parents=True, exist_ok=True)
        tempfile.tempdir = str(buffers)
    waitress_serve(_access_log(application), **server_options(bind, threads=threads))
