"""The demo county gets real cases at different stages (`zhifa demo_cases`), made through the services."""

from __future__ import annotations

import pytest

from zhifa.cases.demo import load_demo_cases
from zhifa.cases.models import Case
from zhifa.registry.demo import load_demo


@pytest.mark.django_db
def test_demo_cases_cover_the_main_stages_and_run_once():
    load_demo()
    assert load_demo_cases() == 10
    states = set(Case.objects.values_list("kind", "state"))
    assert {("penalty", "investigating"), ("penalty", "pre_notice_issued"), ("penalty", "legal_review"),
            ("penalty_simple", "decided_on_site"), ("inspection", "closed")} <= states
    assert load_demo_cases() == 0
