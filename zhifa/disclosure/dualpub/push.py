"""The 双公示 push to a provincial platform (issue 12, ADR 0046): a disclosure officer or agency head asks for the
agency's DS-1 records of a date range to be sent; the worker POSTs them as JSON to `ZHIFA_DUALPUB_PUSH_URL`,
retrying what may pass later, and every try is logged.

- The request freezes which cases the delivery covers (those whose records pass DS-7 then); each attempt rebuilds
  their records from the cases, so ID numbers stay in the vault and nothing personal is stored in the log.
- Each attempt carries `Idempotency-Key: <delivery id>`: a receiver that got an earlier attempt can tell a repeat.
- 2xx: delivered. 408, 425, 429, 5xx, a timeout or a refused connection: tried again after
  `ZHIFA_DUALPUB_PUSH_RETRY_SECONDS` × 4^(n−1), up to `ZHIFA_DUALPUB_PUSH_MAX_ATTEMPTS` attempts. Any other answer
  (the platform refused the data, a redirect): failed at once, with the receiver's words. A failed delivery can be
  sent again by hand.
- The URL is a setting, never user input; redirects are not followed and no proxy is used (an intranet link).
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.request
from dataclasses import asdict
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from zhifa.common.errors import InvalidInput, InvalidState, NotAllowed
from zhifa.common.tasks import enqueue_after_commit
from zhifa.disclosure.dualpub import selectors
from zhifa.disclosure.dualpub.models import DeliveryState, DualPubAttempt, DualPubDelivery
from zhifa.disclosure.dualpub.records import PENALTY_COLUMNS
from zhifa.registry.models import Agency

RETRY_STATUSES = frozenset({408, 425, 429})
EXCERPT = 500


def push_url() -> str:
    return str(getattr(settings, "ZHIFA_DUALPUB_PUSH_URL", "") or "")


# --------------------------------------------------------------------------------------------- reads


def deliveries_for(user: Any) -> QuerySet[DualPubDelivery]:
    """The user's agency's deliveries, newest first; none for a user who may not export."""
    if not selectors.can_export(user):
        return DualPubDelivery.objects.none()
    return DualPubDelivery.objects.filter(agency_id=user.agency_id).select_related("requested_by")


def delivery_for(user: Any, public_id: UUID | str) -> DualPubDelivery:
    """One delivery of the user's agency; another agency's (or a malformed id) is a 404."""
    found = deliveries_for(user).filter(public_id=str(public_id)).first() if _is_uuid(public_id) else None
    if found is None:
        raise Http404
    return found


def _is_uuid(value: UUID | str) -> bool:
    try:
        UUID(str(value))
    except ValueError:
        return False
    return True


def attempts_of(delivery: DualPubDelivery) -> list[DualPubAttempt]:
    return list(delivery.attempt_log.order_by("number"))


# --------------------------------------------------------------------------------------------- writes


def dualpub_push_request(*, user: Any, start: date, end: date) -> tuple[DualPubDelivery, list[selectors.PenaltyRow]]:
    """Record a delivery of the user's agency's DS-1 records in [start, end] and have the worker send it. Returns
    the delivery and the rows read (the caller logs their 调阅)."""
    if not selectors.can_export(user):
        raise NotAllowed(_("只有本机关的公示管理员和机关负责人可以推送双公示数据。"))
    url = push_url()
    if not url:
        raise InvalidState(_("尚未配置省级信用平台的接收地址（ZHIFA_DUALPUB_PUSH_URL），请联系系统管理员。"),
                           code="push_not_configured")
    rows = selectors.penalty_rows_for(user=user, start=start, end=end)
    accepted = [r for r in rows if not r.refused]
    if not accepted:
        raise InvalidInput(_("该日期范围内没有通过校验、可以推送的记录。"), code="nothing_to_push")
    with transaction.atomic():
        delivery = DualPubDelivery.objects.create(
            agency_id=user.agency_id, requested_by=user, start=start, end=end, url=url,
            case_ids=sorted({r.case_id for r in accepted}), records=len(accepted), refused=len(rows) - len(accepted),
        )
        enqueue_after_commit(dualpub_push_deliver, delivery.pk)
    return delivery, rows


def dualpub_push_retry(*, user: Any, delivery: DualPubDelivery) -> DualPubDelivery:
    """Send a failed delivery again (its attempts so far stay in the log)."""
    if not selectors.can_export(user) or delivery.agency_id != user.agency_id:
        raise Http404
    with transaction.atomic():
        changed = DualPubDelivery.objects.filter(pk=delivery.pk, state=DeliveryState.FAILED).update(
            state=DeliveryState.PENDING, next_attempt_at=None, last_error="")
        if not changed:
            raise InvalidState(_("只有推送失败的记录可以重新推送。"))
        enqueue_after_commit(dualpub_push_deliver, delivery.pk)
    delivery.refresh_from_db()
    return delivery


# --------------------------------------------------------------------------------------------- sending


def payload_of(delivery: DualPubDelivery) -> tuple[bytes, int]:
    """The JSON body of an attempt and how many records it holds: the frozen cases' records, rebuilt now."""
    agency = Agency.objects.get(pk=delivery.agency_id)
    rows = selectors.agency_penalty_rows(agency=agency, start=delivery.start, end=delivery.end,
                                         case_ids=list(delivery.case_ids))
    records = [asdict(r.record) for r in rows if not r.refused]
    body = {
        "standard": delivery.standard,
        "delivery": str(delivery.public_id),
        "agency": {"name": agency.name, "uscc": agency.uscc},
        "start": delivery.start.isoformat(),
        "end": delivery.end.isoformat(),
        "columns": [{"code": c.code, "label": c.label} for c in PENALTY_COLUMNS],
        "records": records,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), len(records)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an answer (3xx), not a new destination for personal data


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str, str]:
    """(HTTP status or None, the receiver's words (excerpt), a transport error or "")."""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    timeout = float(getattr(settings, "ZHIFA_DUALPUB_PUSH_TIMEOUT", 15))
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.status, response.read(EXCERPT * 4).decode("utf-8", "replace")[:EXCERPT], ""
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(EXCERPT * 4).decode("utf-8", "replace")[:EXCERPT], ""
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, "", f"{type(reason).__name__}: {reason}"[:EXCERPT]


def _retry_delay(attempt: int) -> timedelta:
    return timedelta(seconds=float(getattr(settings, "ZHIFA_DUALPUB_PUSH_RETRY_SECONDS", 60)) * 4 ** (attempt - 1))


def dualpub_push_attempt(delivery_id: int) -> DualPubDelivery | None:
    """One try at sending a delivery that is waiting; records the attempt and what comes next."""
    delivery = DualPubDelivery.objects.filter(
        pk=delivery_id, state__in=(DeliveryState.PENDING, DeliveryState.RETRYING)).first()
    if delivery is None:
        return None  # delivered, failed, or sent by another worker meanwhile
    number = delivery.attempts + 1
    body, count = payload_of(delivery)
    digest = hashlib.sha256(body).hexdigest()
    headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json",
               "Idempotency-Key": str(delivery.public_id), "X-Zhifa-Attempt": str(number),
               "X-Zhifa-Payload-SHA256": digest, "User-Agent": "zhifa-dualpub/1"}
    token = str(getattr(settings, "ZHIFA_DUALPUB_PUSH_TOKEN", "") or "")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    started, clock = timezone.now(), time.monotonic()
    status, answer, error = _post(delivery.url, body, headers)
    elapsed = int((time.monotonic() - clock) * 1000)
    ok = status is not None and 200 <= status < 300
    transient = status is None or status in RETRY_STATUSES or (status is not None and status >= 500)
    message = error or ("" if ok else _("接收方答复 HTTP %(status)s：%(answer)s") % {"status": status,
                                                                                   "answer": answer or "—"})
    max_attempts = int(getattr(settings, "ZHIFA_DUALPUB_PUSH_MAX_ATTEMPTS", 6))
    now = timezone.now()
    with transaction.atomic():
        DualPubAttempt.objects.create(delivery=delivery, number=number, started_at=started, duration_ms=elapsed,
                                      status_code=status, error=error, records=count, payload_sha256=digest,
                                      response_excerpt=answer)
        update: dict[str, Any] = {"attempts": number, "last_error": message[:EXCERPT]}
        if ok:
            update |= {"state": DeliveryState.DELIVERED, "delivered_at": now, "next_attempt_at": None}
        elif transient and number < max_attempts:
            when = now + _retry_delay(number)
            update |= {"state": DeliveryState.RETRYING, "next_attempt_at": when}
            enqueue_after_commit(dualpub_push_deliver.using(run_after=when), delivery.pk)
        else:
            update |= {"state": DeliveryState.FAILED, "next_attempt_at": None}
        # Only the state it was read in moves on: a hand retry or another worker never sees its attempt undone.
        DualPubDelivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts).update(**update)
    delivery.refresh_from_db()
    return delivery


@task()
def dualpub_push_deliver(delivery_id: int) -> str:
    delivery = dualpub_push_attempt(delivery_id)
    return delivery.state if delivery else "skipped"
