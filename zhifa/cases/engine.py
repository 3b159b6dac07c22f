"""The case engine: case kinds as state tables, and the one service that moves a case (architecture rule 3).

A case kind (`Kind`) lists its states and its actions. An `Action` names the states it may start from, the state it
leads to (None: the case stays where it is, e.g. recording an inquiry), the roles that may take it, the input
schema (pydantic, shared by the API and the generated UI form), the recording steps of the agency's 音像记录事项清单
it covers, and `run`, which checks the legal gates (each names its rule ID) and makes the change.

`case_act` is the only writer of a case's state. In one transaction it locks the case row, checks state, role and
input, runs the action, issues its documents and appends one `case.<action>` ledger entry. Any refusal raises
before commit, so a denied action leaves nothing behind: no state change, no ledger entry, no document number.
New kinds (行政许可, 行政强制) are new tables in `zhifa/cases/kinds/`; nothing here changes. A kind also declares
its registry action type (REG-4), its registration schema, its detail model and its part of the document context
(ADR 0025; the checklist is docs/development/adding-a-case-kind.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NoReturn
from uuid import UUID

from django.db import models, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import ValidationError

from zhifa.accounts.scoping import writable_agency_ids
from zhifa.cases.dates import check_dates
from zhifa.cases.decisions import Decided, notify_decided
from zhifa.cases.history import case_event_record
from zhifa.cases.members import case_members_sync
from zhifa.cases.models import Case, CaseParticipant
from zhifa.common.errors import InvalidInput, InvalidState, NotAllowed, ServiceError
from zhifa.documents.services import document_issue
from zhifa.records import ledger
from zhifa.registry.models import ActionType
from zhifa.workdays.calendar import WorkCalendar, load_calendar

if TYPE_CHECKING:
    from zhifa.accounts.models import User
    from zhifa.documents.models import Document


class GateBlocked(ServiceError):
    """A legal gate refuses the action: HTTP 409 with the rule ID, e.g. CASE-5."""

    code = "gate_blocked"
    status = 409


def today_in_china() -> date:
    return timezone.localdate()


@dataclass
class Ctx:
    """What an action's `run` works with. `payload` is added to the ledger entry of the transition."""

    case: Case
    actor: User
    data: Any  # the validated input schema instance
    today: date
    calendar: WorkCalendar
    action: Action
    payload: dict[str, Any] = field(default_factory=dict)
    documents: list[Document] = field(default_factory=list)
    target: str | None = None

    def block(self, rule: str, message: str) -> NoReturn:
        raise GateBlocked(f"{message}（{rule}）", rule=rule)

    def issue(self, doc_type: str, *, on: date | None = None, **extra: Any) -> Document:
        """Issue a document of this case now (numbered, rendered, hashed into the ledger; docs app)."""
        from zhifa.cases.doccontext import document_context

        context = document_context(self.case, doc_type, on=on or self.today, **extra)
        document = document_issue(
            actor=self.actor, agency=self.case.agency, subject_id=self.case.public_id, stream=self.case.stream,
            doc_type=doc_type, context=context, on=on or self.today,
        )
        self.documents.append(document)
        return document


Run = Callable[[Ctx], None]


def _nothing(ctx: Ctx) -> None:
    return None


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    sources: tuple[str, ...]
    target: str | None
    roles: frozenset[str]
    schema: type[Schema]
    run: Run = _nothing
    # Steps of the 音像记录事项清单 this action performs (REC-4/REC-6); `av_steps_for` may pick them from the input.
    av_steps: tuple[str, ...] = ()
    av_steps_for: Callable[[Any], tuple[str, ...]] | None = None
    rule: str = ""
    help: str = ""
    primary: bool = True  # shown as a main button (False: secondary, e.g. recording another inquiry)
    # An enforcement decision to be published (`zhifa.cases.decisions`: "penalty", "licensing" or "other").
    decision: str = ""

    def steps_for(self, data: Any) -> tuple[str, ...]:
        return self.av_steps_for(data) if self.av_steps_for else self.av_steps


DocumentPart = Callable[[Case, str, date], dict[str, Any]]


def no_document_part(case: Case, doc_type: str, on: date) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    states: Mapping[str, str]  # code → Chinese label, in procedure order
    initial: str
    actions: Mapping[str, Action]
    terminal: frozenset[str] = frozenset()
    reference_prefix: str = "案"
    # The registry's 执法行为类型 (REG-4) of this kind: power items, review catalog items and lists per kind.
    action_type: str = ""
    # The input of 登记 (a `CaseIn` subclass); fields named like the detail model's are stored on the detail row.
    registration: type[Schema] | None = None
    # The one-to-one model with this kind's own facts (None: the kind has none beyond `Case`).
    detail_model: type[models.Model] | None = None
    # This kind's part of a document's context (`zhifa.cases.doccontext` adds the shared part).
    document_part: DocumentPart = no_document_part

    def state_label(self, state: str) -> str:
        return self.states.get(state, state)

    def actions_from(self, state: str) -> list[Action]:
        return [a for a in self.actions.values() if state in a.sources]


def make_kind(code: str, label: str, states: Mapping[str, str], initial: str, actions: Iterable[Action],
              **kw: Any) -> Kind:
    table = {a.name: a for a in actions}
    if kw.get("action_type") not in ActionType.values:
        raise ValueError(f"{code}: action_type must be one of registry.ActionType, not {kw.get('action_type')!r}")
    if kw.get("registration") is None:
        raise ValueError(f"{code}: a kind declares its registration schema")
    for action in table.values():
        unknown = [s for s in (*action.sources, action.target) if s is not None and s not in states]
        if unknown:
            raise ValueError(f"{code}.{action.name}: unknown states {unknown}")
    return Kind(code, label, states, initial, table, **kw)


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    KINDS[kind.code] = kind
    return kind


def kind_of(case: Case) -> Kind:
    return KINDS[case.kind]  # the kinds register in CasesConfig.ready


def kind_codes_for(action_type: str) -> list[str]:
    """The case kinds of a registry action type (REG-4), e.g. penalty → 普通程序 and 简易程序."""
    from zhifa.cases import kinds  # noqa: F401  (registers the tables)

    return [code for code, kind in KINDS.items() if kind.action_type == action_type]


def detail_of(case: Case) -> models.Model | None:
    """The case's detail row (its kind's own facts), or None for a kind without one."""
    model = kind_of(case).detail_model
    if model is None:
        return None
    accessor = model._meta.get_field("case").remote_field.get_accessor_name()  # type: ignore[union-attr]
    return getattr(case, accessor, None) if accessor else None


def may_take(user: User, case: Case, action: Action) -> bool:
    writable = writable_agency_ids(user)
    if writable is not None and case.agency_id not in writable:
        return False
    return bool(user.is_system_admin is False and user.has_role(*action.roles))


def refusal(user: User, case: Case, action: Action) -> ServiceError | None:
    """Why `user` cannot take `action` on `case` now, or None: the case's state (CASE-59), then the user's role.
    `case_act` raises it; the action page shows its message before anything is sent."""
    if case.state not in action.sources:
        return InvalidState(
            _("案件当前处于“%(state)s”，不能“%(action)s”。") % {"state": kind_of(case).state_label(case.state),
                                                               "action": action.label},
            rule="CASE-59",
        )
    if not may_take(user, case, action):
        return NotAllowed(_("您的角色不能“%(action)s”。") % {"action": action.label})
    return None


def allowed_actions(user: User, case: Case) -> list[Action]:
    """The actions the user may take next (the UI shows only these)."""
    return [a for a in kind_of(case).actions_from(case.state) if may_take(user, case, a)]


def validate_input(schema: type[Schema], data: Mapping[str, Any] | Schema) -> Any:
    if isinstance(data, Schema):
        return data
    try:
        return schema.model_validate(dict(data))
    except ValidationError as exc:
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        fields = "、".join(sorted({e["field"] for e in errors if e["field"]}))
        raise InvalidInput(_("填写内容有误：%(fields)s") % {"fields": fields or _("请求格式")}, errors=errors) from exc


def _locked_case(user: User, case_id: UUID | str) -> Case:
    qs = Case.objects.select_for_update().select_related("agency")
    writable = writable_agency_ids(user)
    if writable is not None:
        qs = qs.filter(agency_id__in=writable)
    try:
        return qs.get(public_id=case_id)
    except (Case.DoesNotExist, ValueError, TypeError) as exc:
        from zhifa.cases.selectors import case_visible_to

        if case_visible_to(user, case_id):
            raise NotAllowed(_("您只能查看该案件，不能办理。")) from exc
        raise Http404 from exc


@dataclass(frozen=True)
class Acted:
    """What `case_act` did: the case as saved and the documents the action issued, in issue order."""

    case: Case
    documents: tuple[Document, ...] = ()


def case_act(*, actor: User, case_id: UUID | str, action: str, data: Mapping[str, Any] | Schema,
             today: date | None = None) -> Acted:
    """Take `action` on a case: lock, check state, role, input and gates, change, record. All or nothing.
    Returns the case and the documents issued with the action."""
    from zhifa.cases import recording

    with transaction.atomic():
        case = _locked_case(actor, case_id)
        kind = kind_of(case)
        act = kind.actions.get(action)
        if act is None:
            raise InvalidState(_("没有这个办案操作：%(a)s") % {"a": action}, code="unknown_action")
        refused = refusal(actor, case, act)
        if refused is not None:
            raise refused
        inputs = validate_input(act.schema, data)
        ctx = Ctx(case=case, actor=actor, data=inputs, today=today or today_in_china(),
                  calendar=load_calendar(case.agency.region_code), action=act, target=act.target)
        check_dates(inputs, today=ctx.today)  # BI-8, issue 9 defect 12
        recording.require_recordings(ctx, act.steps_for(inputs))
        old = case.state
        act.run(ctx)
        if ctx.target is not None:
            case.state = ctx.target
        case.save()
        detail = detail_of(case)
        if detail is not None:
            detail.save()
        record(ctx, old)
        if act.decision:
            decided_on = case.decided_on or ctx.today
            notify_decided(Decided(case=case, action=act.name, category=act.decision, on=decided_on,
                                   documents=tuple(ctx.documents), actor=actor))
    return Acted(case, tuple(ctx.documents))


AMOUNT_FIELDS = ("fine_amount", "confiscation_amount", "paid_amount")


def amount_text(value: Any) -> str | None:
    """An amount as the ledger records it: two decimals, or None."""
    return None if value is None else f"{Decimal(value):.2f}"


def recorded_amounts(case: Case) -> dict[str, str | None]:
    """The amounts of a penalty case as saved (a kind without them records None)."""
    detail = detail_of(case)
    return {name: amount_text(getattr(detail, name, None)) for name in AMOUNT_FIELDS}


def ledger_input(data: Any) -> dict[str, Any]:
    """The action's input as its ledger entry holds it. A schema that carries personal data defines
    `ledger_input()` (issue 9 defect 8, ADR 0018): parties are recorded as `party_ledger_view`s in the payload's
    `parties`, never as typed; names of persons are masked."""
    if not isinstance(data, Schema):
        return {}
    custom = getattr(data, "ledger_input", None)
    if callable(custom):
        return dict(custom())
    return data.model_dump(mode="json")


def record(ctx: Ctx, old_state: str) -> ledger.LedgerEntry:
    """The transition's ledger entry: who, what, from and to, the input, and the documents issued with it."""
    case = ctx.case
    payload = {
        "case_id": str(case.public_id),
        "reference": case.reference,
        "action": ctx.action.name,
        "label": ctx.action.label,
        "from": old_state,
        "to": case.state,
        "input": ledger_input(ctx.data),
        "documents": [{"id": str(d.public_id), "type": d.doc_type, "number": d.number} for d in ctx.documents],
        # The amounts as saved, so `zhifa verify --deep` can name a row edited behind the services (ADR 0017).
        "amounts": recorded_amounts(case),
        **ctx.payload,
    }
    CaseParticipant.objects.get_or_create(case=case, user=ctx.actor, act=ctx.action.name)  # REG-19
    case_members_sync(case)  # "my cases" (ADR 0038): officers are assigned or recused by actions
    entry = ledger.ledger_append(kind=f"case.{ctx.action.name}", stream=case.stream, agency_id=case.agency_id,
                                 actor=ctx.actor, payload=payload)
    case_event_record(case=case, entry=entry, action=ctx.action.name, actor=ctx.actor, label=ctx.action.label,
                      from_state=old_state, to_state=case.state, documents=ctx.documents, payload=payload)
    return entry
