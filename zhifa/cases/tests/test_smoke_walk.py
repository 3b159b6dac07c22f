from __future__ import annotations

import pytest

from zhifa.cases.testing import make_case_world, new_penalty_case, walk_to


@pytest.mark.django_db
def test_walk_whole_general_case(agency_a):
    world = make_case_world(agency_a)
    case = new_penalty_case(world)
    case = walk_to(world, case, "archived")
    assert case.state == "archived"
