"""Login throttling by (user name, source address) together, with a progressive delay (issue 9 defect 7, ADR 0016).

django-axes records the failures (AccessAttempt rows keyed by user name and address, AXES_LOCKOUT_PARAMETERS) and
locks a pair out at AXES_FAILURE_LIMIT for AXES_COOLOFF_TIME. Axes has no delay before the lock, so this module adds
one: after the n-th failure from a source, that source waits ZHIFA_LOGIN_DELAY_SECONDS × 2^(n-1) before its next try
for that account (1, 2, 4, 8 s by default); a try inside the wait is answered 429 with Retry-After and not checked.
API tokens use the same state: a token stops working from a source that is locked out of its user (auth.py).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from zhifa.common.http import client_ip


def _cooloff() -> timedelta:
    cooloff = settings.AXES_COOLOFF_TIME
    return cooloff if isinstance(cooloff, timedelta) else timedelta(hours=float(cooloff))


def failures(username: str, ip: str) -> tuple[int, datetime | None]:
    """Failures of this (user name, source) inside the cool-off window, and the time of the latest."""
    if not username:
        return 0, None
    row = AccessAttempt.objects.filter(
        username=username, ip_address=ip, attempt_time__gte=timezone.now() - _cooloff()
    ).aggregate(n=Sum("failures_since_start"), last=Max("attempt_time"))
    return int(row["n"] or 0), row["last"]


def is_locked(username: str, ip: str) -> bool:
    return failures(username, ip)[0] >= settings.AXES_FAILURE_LIMIT


def retry_after(username: str, ip: str) -> int:
    """Seconds this source must wait before its next attempt for this account (0: it may try now)."""
    count, last = failures(username, ip)
    if not count or last is None:
        return 0
    if count >= settings.AXES_FAILURE_LIMIT:
        wait = last + _cooloff()
    else:
        wait = last + timedelta(seconds=float(settings.ZHIFA_LOGIN_DELAY_SECONDS) * 2 ** (count - 1))
    return max(0, math.ceil((wait - timezone.now()).total_seconds()))


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the locked-out page, 429, with how long the lock still lasts in Retry-After."""
    username = str((credentials or {}).get("username") or request.POST.get("username", ""))
    seconds = retry_after(username, client_ip(request)) or int(_cooloff().total_seconds())
    response = render(request, settings.AXES_LOCKOUT_TEMPLATE,
                      {"minutes": max(1, math.ceil(seconds / 60))}, status=429)
    response["Retry-After"] = str(seconds)
    return response
