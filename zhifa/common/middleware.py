"""Request-level guards that turn two classes of server error into clear answers (issue 9 defect 10; BI-5):

- text that no database column can hold (NUL, or a lone UTF-16 surrogate from a JSON `\\ud800` escape) in query
  parameters, form fields or a JSON body is refused with 400 before any view runs;
- a write while the ledger refuses writes (`LedgerError`, e.g. the database is an old backup behind what the witness
  co-signed) is a 503 with a Chinese page, or 503 JSON under /api/: the server's state is wrong, not the request,
  and nothing was saved (the ledger append fails inside the write's transaction);
- an IntegrityError no validation caught (a uniqueness rule a form does not know) is a 409, not a 500.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from ninja.parser import Parser

from zhifa.common.errors import ServiceUnavailable

UNSAFE = re.compile("[\x00\ud800-\udfff]")
UNSAFE_MESSAGE = "请求中含有不允许的字符（空字符 U+0000 或孤立的 UTF-16 代理项），请删除后重新提交。"
CONFLICT_MESSAGE = "与已有记录冲突（例如名称或编号重复），没有保存。请修改后重试。"
LEDGER_UNAVAILABLE_MESSAGE = (
    "账本目前拒绝写入（例如数据库从旧备份恢复后尚待核实），本次操作没有保存。请稍后重试或联系系统管理员。"
)


class UnsafeText(ValueError):
    """A request carried text no database column can hold; str() is the Chinese message."""

    def __init__(self) -> None:
        super().__init__(UNSAFE_MESSAGE)


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def has_unsafe_text(value: Any) -> bool:
    return any(UNSAFE.search(s) for s in _strings(value))


class StrictJSONParser(Parser):
    """The API's JSON parser: as ninja's, but a body with NUL or lone surrogates is a 400 (ninja turns any parser
    exception into HttpError 400; `zhifa.api` words it from the cause)."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = json.loads(request.body)
        if has_unsafe_text(data):
            raise UnsafeText
        return data


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def bad_text_response(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"code": "bad_request", "message": UNSAFE_MESSAGE}, status=400,
                            json_dumps_params={"ensure_ascii": False})
    html = render_to_string("400.html", {"message": UNSAFE_MESSAGE}, request=None)
    return HttpResponse(html, status=400, content_type="text/html; charset=utf-8")


def conflict_response(request: HttpRequest) -> HttpResponse:
    """The safety net for a uniqueness or foreign-key violation no validation caught: 409, nothing saved."""
    if _wants_json(request):
        return JsonResponse({"code": "conflict", "message": CONFLICT_MESSAGE}, status=409,
                            json_dumps_params={"ensure_ascii": False})
    html = render_to_string("400.html", {"message": CONFLICT_MESSAGE}, request=None)
    return HttpResponse(html, status=409, content_type="text/html; charset=utf-8")


def ledger_unavailable_response(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        response: HttpResponse = JsonResponse(
            {"code": "ledger_unavailable", "message": LEDGER_UNAVAILABLE_MESSAGE}, status=503,
            json_dumps_params={"ensure_ascii": False})
    else:
        html = render_to_string("503.html", {"message": LEDGER_UNAVAILABLE_MESSAGE}, request=None)
        response = HttpResponse(html, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = "300"
    return response


class RequestGuardMiddleware:
    """NUL / lone surrogates in parameters → 400; `ServiceUnavailable` (the ledger's `LedgerError`) raised by a view
    → 503, `IntegrityError` → 409
    (see the module doc)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        params: dict[str, list[str]] = {k: request.GET.getlist(k) for k in request.GET}
        if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
            params.update({k: request.POST.getlist(k) for k in request.POST})
        if has_unsafe_text(params):
            return bad_text_response(request)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, ServiceUnavailable):
            return ledger_unavailable_response(request)
        if isinstance(exception, IntegrityError):
            return conflict_response(request)
        return None
