"""API v1 (django-ninja): one NinjaAPI, routers contributed by the apps. Errors are JSON {code, message}."""

from __future__ import annotations

from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from zhifa.common.errors import ServiceError
from zhifa.common.middleware import CONFLICT_MESSAGE, LEDGER_UNAVAILABLE_MESSAGE, StrictJSONParser, UnsafeText
from zhifa.common.paging import paging_message
from zhifa.records.ledger import LedgerError

api = NinjaAPI(
    parser=StrictJSONParser(),
    title="zhifa 行政执法三项制度平台 API",
    version="1.0.0",
    urls_namespace="api-v1",
    description="公开信息无需登录即可读取；写入需要个人 API 令牌（请求头 `Authorization: Bearer <令牌>`）和相应角色。",
    docs_url="/docs",
)


@api.exception_handler(ServiceError)
def _service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    body: dict[str, object] = {"code": exc.code, "message": exc.message}
    if exc.rule:
        body["rule"] = exc.rule
    errors = getattr(exc, "errors", None)
    if errors:
        body["errors"] = errors
    return api.create_response(request, body, status=exc.status)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"code": "not_found", "message": "未找到该对象。"}, status=404)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"code": "unauthenticated", "message": "需要有效的 API 令牌。"}, status=401)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """ninja's own HTTP errors (e.g. a body that is not JSON: 400) in the house shape, not ninja's {detail}."""
    if exc.status_code == 400 and isinstance(exc.__cause__, UnsafeText):
        return api.create_response(request, {"code": "bad_request", "message": str(exc.__cause__)}, status=400)
    if exc.status_code == 400:
        return api.create_response(
            request, {"code": "bad_request", "message": "请求体无法解析，请发送有效的 JSON。"}, status=400
        )
    return api.create_response(request, {"code": f"http_{exc.status_code}", "message": str(exc)},
                               status=exc.status_code)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    message = paging_message(list(exc.errors)) or "请求格式有误。"
    return api.create_response(request, {"code": "invalid", "message": message, "errors": exc.errors}, status=422)


@api.exception_handler(IntegrityError)
def _conflict(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
    """A uniqueness or reference rule no validation caught: 409, not 500 (the transaction was rolled back)."""
    return api.create_response(request, {"code": "conflict", "message": CONFLICT_MESSAGE}, status=409)


@api.exception_handler(LedgerError)
def _ledger_unavailable(request: HttpRequest, exc: LedgerError) -> HttpResponse:
    """A write while the ledger refuses writes (e.g. a restored backup behind the witness): nothing was saved, and
    it is the server's state, not the request, that is wrong: 503 (issue 9 defect 10)."""
    response = api.create_response(
        request, {"code": "ledger_unavailable", "message": LEDGER_UNAVAILABLE_MESSAGE}, status=503)
    response["Retry-After"] = "300"
    return response


def _register_routers() -> None:
    from zhifa.cases.api import router as cases_router
    from zhifa.disclosure.api import router as public_router
    from zhifa.disclosure.decisions.api import router as decisions_router
    from zhifa.disclosure.dualpub.api import router as dualpub_router
    from zhifa.documents.api import router as documents_router
    from zhifa.records.api import router as records_router
    from zhifa.registry.api import router as registry_router
    from zhifa.review.api import router as review_router

    api.add_router("/public", public_router)
    api.add_router("/registry", registry_router)
    api.add_router("/records", records_router)
    api.add_router("/cases", cases_router)
    api.add_router("/documents", documents_router)
    api.add_router("/review", review_router)
    api.add_router("/disclosure/dualpub", dualpub_router)
    api.add_router("/disclosure/decisions", decisions_router)


_register_routers()
