"""Every (state, action) pair of every case kind (architecture rule 3, CASE-59).

Forbidden pairs: the engine refuses with InvalidState before anything else, and a refused action leaves nothing:
same state, no ledger entry, no document, no document number consumed. Allowed pairs: the table accepts the action
(the call gets past the state and role checks to input validation); the scenario walks in test_scenarios.py take
them with real inputs.
"""

from __future__ import annotations

import pytest

from zhifa.cases.engine import KINDS, InvalidInput, case_act
from zhifa.cases.kinds import penalty, simple
from zhifa.cases.models import Case
from zhifa.cases.services import case_create
from zhifa.cases.testing import DAY, actor_for, make_case_world, new_penalty_case, penalty_case_data, walk_to
from zhifa.common.errors import InvalidState, NotAllowed
from zhifa.documents.models import Document, DocumentCounter
from zhifa.records.ledger import tree_head

pytestmark = pytest.mark.django_db


def _footprint(case: Case) -> tuple[object, ...]:
    case.refresh_from_db()
    return (case.state, tree_head()[0], Document.objects.count(),
            tuple(DocumentCounter.objects.order_by("pk").values_list("last_serial", flat=True)))


def _case_of(world, kind: str) -> Case:  # noqa: ANN001
    return case_create(actor=world["officer"], kind=kind, data=penalty_case_data(), today=DAY)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_forbidden_pair_is_refused_and_leaves_nothing(agency_a, kind):
    world = make_case_world(agency_a)
    case = _case_of(world, kind)
    table = KINDS[kind]
    refused = 0
    for state in table.states:
        Case.objects.filter(pk=case.pk).update(state=state)  # put the case in each state directly
        for action in table.actions.values():
            if state in action.sources:
                continue
            before = _footprint(case)
            with pytest.raises(InvalidState) as exc:
                case_act(actor=actor_for(world, action.name), case_id=case.public_id, action=action.name, data={})
            assert exc.value.rule == "CASE-59", (state, action.name)
            assert _footprint(case) == before, (state, action.name)
            refused += 1
    assert refused > 0


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_allowed_pair_is_accepted_by_the_table(agency_a, kind):
    world = make_case_world(agency_a)
    case = _case_of(world, kind)
    table = KINDS[kind]
    accepted = 0
    for action in table.actions.values():
        for state in action.sources:
            Case.objects.filter(pk=case.pk).update(state=state)
            required = [n for n, f in action.schema.model_fields.items() if f.is_required()]
            before = _footprint(case)
            try:
                case_act(actor=actor_for(world, action.name), case_id=case.public_id, action=action.name,
                         data={"__probe__": True} if not required else {})
            except InvalidInput:
                assert required, (state, action.name)  # past the table and role: stopped by input validation
            except InvalidState as exc:  # a gate of the action itself may still refuse; never the table
                assert exc.rule != "CASE-59", (state, action.name)
            except Exception as exc:  # noqa: BLE001 - gates refuse with their own errors; the table accepted
                assert not isinstance(exc, NotAllowed), (state, action.name)
            else:
                accepted += 1
                continue
            assert _footprint(case) == before, (state, action.name)
            accepted += 1
    assert accepted == sum(len(a.sources) for a in table.actions.values())


def test_wrong_role_is_refused_and_leaves_nothing(agency_a):
    world = make_case_world(agency_a)
    case = new_penalty_case(world)
    before = _footprint(case)
    with pytest.raises(NotAllowed):  # an officer cannot approve filing (CASE-2: the head approves)
        case_act(actor=world["officer"], case_id=case.public_id, action="approve_filing", data={})
    with pytest.raises(NotAllowed):  # a supervisor of the justice bureau reads but never acts
        case_act(actor=world["disclosure_officer"], case_id=case.public_id, action="approve_filing", data={})
    assert _footprint(case) == before


def test_another_agencys_case_is_not_found(agency_a, agency_b):
    from django.http import Http404

    world = make_case_world(agency_a)
    case = new_penalty_case(world)
    with pytest.raises(Http404):
        case_act(actor=agency_b["agency_head"], case_id=case.public_id, action="approve_filing", data={})


def test_the_walk_records_one_ledger_entry_per_transition_in_the_case_stream(agency_a):
    from zhifa.records.models import LedgerEntry

    world = make_case_world(agency_a)
    case = walk_to(world, new_penalty_case(world), "decided")
    kinds = list(LedgerEntry.objects.filter(stream=case.stream).order_by("seq").values_list("kind", flat=True))
    transitions = [k for k in kinds if k.startswith("case.")]
    assert transitions[0] == "case.register" and transitions[-1] == "case.decide"
    assert "document.issued" in kinds
    # every document of the case is in the ledger, hashed
    docs = Document.objects.filter(subject_id=case.public_id)
    assert docs.count() == kinds.count("document.issued")
    assert all(d.ledger_entry_id is not None for d in docs)


def test_simple_kind_table_has_no_path_around_the_limit():
    # CASE-5: the only way to a decision in the simple procedure is decide_on_spot (which checks the limit)
    into_decided = [a.name for a in simple.SIMPLE.actions.values() if a.target == "decided_on_site"]
    assert into_decided == ["decide_on_spot"]
    # REV-1: in the general procedure, only `decide` reaches DECIDED, and only from states after defense/review
    into = [a for a in penalty.PENALTY.actions.values() if a.target == "decided"]
    assert [a.name for a in into] == ["decide"]
    assert set(into[0].sources) == {"defense_review", "legal_review_passed", "collective_discussion"}
