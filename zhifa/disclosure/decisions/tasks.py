"""The periodic end of publicity periods (DISC-26…28), registered from `DisclosureConfig.ready()`."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from zhifa.common.tasks import periodic
from zhifa.disclosure.decisions.services import decisions_expire


@periodic("disclosure.publicity_expiry", every=lambda: timedelta(seconds=settings.ZHIFA_TICK_EVERY_SECONDS))
@task()
def publicity_expiry_job() -> int:
    """Take decisions whose publicity period has ended off the portal (marked expired, nothing deleted)."""
    return decisions_expire(today=timezone.localdate())
