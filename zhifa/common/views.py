"""`/healthz`: the public minimal view (issue 11 point 6). It answers without touching the database, a template or
the session, so a load benchmark (bench/http.py) measures the server and its middleware against it in the same run,
and a load balancer may probe it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok\n", content_type="text/plain; charset=utf-8")
