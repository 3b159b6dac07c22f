"""Background work of the registry (ADR 0028): the roster republished daily when a certificate expires."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from zhifa.common.tasks import periodic
from zhifa.registry.services import roster_republish_due


@periodic("registry.roster", every=lambda: timedelta(days=1), first_hour=0)
@task()
def roster_republish_job() -> int:
    """Just after midnight China time: officers whose certificates changed validity are republished."""
    return roster_republish_due(today=timezone.localdate())
