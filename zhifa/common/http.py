"""HTTP plumbing shared by every app: the client's address and the security headers (issue 9 defects 7 and 14).

`client_ip` is the one place that decides where a request comes from (login lockout by user and source, ADR 0016).
`SecurityHeadersMiddleware` adds a Content-Security-Policy to every response and `Cache-Control: no-store` to staff
pages and the non-public API, so that no shared or browser disk cache keeps case data; public portal pages and the
public API keep whatever caching their views chose.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# The public portal's pages (and the public transparency page): scripts and styles from this site only.
PORTAL_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SVG_CSP = "default-src 'none'; frame-ancestors 'self'"
# Pages that show staff data: never stored by a cache (reliability.md LD-4: "staff pages send no-store").
PRIVATE_PREFIXES = ("/staff/", "/accounts/", "/admin/", "/api/")
# Under /api/: what anyone may read without a token (the portal's data, the transparency checkpoint, the docs).
PUBLIC_API_PREFIXES = ("/api/v1/public/", "/api/v1/records/checkpoint", "/api/v1/docs", "/api/v1/openapi.json")

def portal_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Add the portal's security headers to a public page (disclosure's portal, records' transparency page)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response.headers.setdefault("Content-Security-Policy", PORTAL_CSP)
        return response

    return wrapper


def _valid_ip(value: str) -> str:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1:value.index("]")]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return ""


def client_ip(request: HttpRequest) -> str:
    """The client's address: ZHIFA_CLIENT_IP_HEADER's value when configured (behind a proxy), else REMOTE_ADDR.

    For a list header (X-Forwarded-For) the last entry counts: it is the one the trusted proxy appended; entries
    before it are whatever the client sent. A missing or malformed header value falls back to REMOTE_ADDR.
    """
    header = settings.ZHIFA_CLIENT_IP_HEADER
    if header:
        key = header.upper().replace("-", "_")
        if not key.startswith("HTTP_"):
            key = f"HTTP_{key}"
        raw = str(request.META.get(key, ""))
        if raw:
            found = _valid_ip(raw.split(",")[-1])
            if found:
                return found
    return _valid_ip(str(request.META.get("REMOTE_ADDR", ""))) or "0.0.0.0"


def is_private_path(path: str) -> bool:
    """True for staff pages and the API operations that need a login or token."""
    if path.startswith(PUBLIC_API_PREFIXES):
        return False
    return path.startswith(PRIVATE_PREFIXES)


class SecurityHeadersMiddleware:
    """CSP everywhere; no-store on private paths; nosniff, Referrer-Policy and X-Frame-Options as a floor.

    Django's SecurityMiddleware and XFrameOptionsMiddleware set the last three already; they are repeated here (only
    when missing) so that a response built outside them (e.g. WhiteNoise's) still carries them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        csp = settings.ZHIFA_CSP
        if csp and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = csp
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", settings.SECURE_REFERRER_POLICY or "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if is_private_path(request.path_info):
            current = response.get("Cache-Control", "")
            if "no-store" not in current:
                response["Cache-Control"] = "private, no-store"
            response.headers.setdefault("Pragma", "no-cache")  # HTTP/1.0 caches on old intranet proxies
            if "Expires" in response:
                del response["Expires"]
        return response


def svg_response(svg: str, *, filename: str) -> HttpResponse:
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SVG_CSP
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
