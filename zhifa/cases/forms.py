"""Django forms generated from the case engine's pydantic input schemas (one generic builder, cached per schema).

The schemas stay the single source of truth for what an action takes (the API uses them directly); the form only
parses browser input: types, required fields, lengths and choices, with Chinese labels and validation messages.
The meaning (legal gates) is checked by `case_act`. `ActionForm.payload()` is the dict handed to the service.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, ClassVar, Literal, Union, get_args, get_origin
from uuid import UUID

from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from zhifa.accounts.selectors import user_public_ids
from zhifa.cases.engine import Kind
from zhifa.cases.gates import PENALTY_KINDS
from zhifa.cases.models import Case, PauseKind, ServiceMethod, SourceKind
from zhifa.cases.review_steps import case_participants
from zhifa.records import evidence as ev
from zhifa.registry import selectors as registry_selectors
from zhifa.review.selectors import reviewer_workloads

# Choice labels where a schema's Literal field has no "code 标签；code 标签" description.
CHOICE_LABELS: dict[str, str] = {
    **PENALTY_KINDS,
    **{str(k): str(v) for k, v in ServiceMethod.choices},
    **{str(k): str(v) for k, v in SourceKind.choices},
    **{str(k): str(v) for k, v in PauseKind.choices},
    # NoPenaltyIn.ground (CASE-13, CASE-15…20)
    "minor_corrected": "违法行为轻微并及时改正，没有造成危害后果（CASE-15）",
    "first_violation": "初次违法且危害后果轻微并及时改正（CASE-16）",
    "no_fault": "当事人有证据足以证明没有主观过错（CASE-17）",
    "under_fourteen": "不满十四周岁（CASE-19）",
    "mental_incapacity": "精神病人、智力残疾人在不能辨认或者不能控制自己行为时违法（CASE-20）",
    "facts_not_established": "违法事实不能成立（CASE-13）",
}

# Optional date fields that the action fills with the day it is taken when left empty.
TODAY_DEFAULT_DATES = frozenset({
    "on", "filed_on", "decided_on", "served_on", "requested_on", "notice_on", "paid_on", "published_on",
    "applied_on", "signed_on", "education_on", "registered_on",
})

# UUID fields whose choices come from the case or its agency (see `_choices`).
SOURCED = frozenset({"staff", "host", "recordings", "preservation", "benchmark", "power_item", "articles",
                     "reviewer"})

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]

# Pydantic messages that can still reach the user (the form catches most cases first), in Chinese.
PYDANTIC_MESSAGES = [
    ("Field required", "这个字段是必填项。"),
    ("String should have at least", "内容太短。"),
    ("String should have at most", "内容太长。"),
    ("String should match pattern", "格式不正确。"),
    ("Input should be a valid date", "请输入有效的日期。"),
    ("Input should be a valid datetime", "请输入有效的日期和时间。"),
    ("Input should be a valid decimal", "请输入数字。"),
    ("Input should be greater than or equal to", "数值不能小于下限。"),
    ("Input should be greater than", "数值应大于下限。"),
    ("Input should be a valid UUID", "选项无效。"),
    ("List should have at least", "请至少选择一项。"),
    ("Input should be", "选项无效。"),
    ("Decimal input should have no more than", "小数位数或位数过多。"),
    ("Value error, ", ""),
]


def chinese_message(message: str) -> str:
    for prefix, text in PYDANTIC_MESSAGES:
        if message.startswith(prefix):
            return text or message[len(prefix):]
    return message


# ------------------------------------------------------------------------------------------------ type analysis


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _meta(info: FieldInfo) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in info.metadata:
        for attr in ("max_length", "min_length", "ge", "gt", "le", "lt", "max_digits", "decimal_places", "pattern"):
            value = getattr(item, attr, None)
            if value is not None:
                found[attr] = value
    return found


def parse_choice_labels(description: str, codes: tuple[str, ...]) -> dict[str, str] | None:
    """'person 自然人；organization 法人或者其他组织' → {code: label}, if it names every code."""
    labels: dict[str, str] = {}
    for part in description.replace(";", "；").split("；"):
        code, _sep, label = part.strip().partition(" ")
        if code in codes and label.strip():
            labels[code] = label.strip()
    return labels if labels and set(labels) == set(codes) else None


def _literal_choices(codes: tuple[str, ...], description: str) -> tuple[list[tuple[str, str]], bool]:
    """Choices of a Literal and whether the description was used up as their labels."""
    parsed = parse_choice_labels(description, codes) if description else None
    labels = parsed or {}
    return [(c, labels.get(c) or CHOICE_LABELS.get(c, c)) for c in codes], parsed is not None


# --------------------------------------------------------------------------------------------------- fields


class LinesField(forms.CharField):
    """list[str]: one item per line."""

    widget = forms.Textarea

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value)
        return [line.strip() for line in str(text).splitlines() if line.strip()]

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return "\n".join(str(v) for v in value)
        return value

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")

    def run_validators(self, value: Any) -> None:
        return None


class UUIDChoiceField(forms.ChoiceField):
    """A choice among objects named by public id; an empty optional choice is None."""

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return value or None


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def form_field(name: str, info: FieldInfo) -> forms.Field:
    """One Django form field for one schema field."""
    annotation, optional = _unwrap_optional(info.annotation)
    required = info.is_required()
    label = info.title or name
    description = info.description or ""
    meta = _meta(info)
    help_text = description
    common: dict[str, Any] = {"label": label, "required": required}
    origin = get_origin(annotation)
    field: forms.Field

    if origin is Literal:
        choices, used = _literal_choices(tuple(get_args(annotation)), description)
        if used:
            help_text = ""
        if not required and info.default is None:
            choices = [("", "—"), *choices]
        field = forms.ChoiceField(choices=choices, **common)
    elif origin is list:
        (item,) = get_args(annotation) or (str,)
        if get_origin(item) is Literal:
            choices, used = _literal_choices(tuple(get_args(item)), description)
            if used:
                help_text = ""
            field = forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **common)
        elif item is UUID:
            field = forms.MultipleChoiceField(choices=[], widget=forms.CheckboxSelectMultiple, **common)
        else:
            field = LinesField(widget=forms.Textarea(attrs={"rows": 4}), **common)
            help_text = help_text or _("每行一项")
    elif annotation is UUID:
        field = UUIDChoiceField(choices=[], **common)
    elif annotation is bool:
        if optional and info.default is None:
            field = forms.TypedChoiceField(
                choices=[("", _("（不修改）")), ("true", _("是")), ("false", _("否"))],
                coerce=lambda v: v == "true", empty_value=None, required=False, label=label)
        else:
            field = forms.BooleanField(label=label, required=False)
    elif annotation is datetime:
        field = forms.DateTimeField(
            input_formats=DATETIME_FORMATS,
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"), **common)
    elif annotation is date:
        field = forms.DateField(widget=_date_widget(), **common)
        if not required and name in TODAY_DEFAULT_DATES and not help_text:
            help_text = _("不填写的，按当天")
    elif annotation is Decimal:
        decimals = meta.get("decimal_places")
        field = forms.DecimalField(
            max_digits=meta.get("max_digits"), decimal_places=decimals,
            min_value=meta.get("ge"), widget=forms.NumberInput(attrs={
                "step": f"{Decimal(1).scaleb(-decimals)}" if decimals else "any", "inputmode": "decimal"}),
            **common)
        if "gt" in meta:
            field.validators.append(_greater_than(meta["gt"]))
    elif annotation is int:
        field = forms.IntegerField(min_value=meta.get("ge"), max_value=meta.get("le"), **common)
    else:  # str and anything else: text
        max_length = meta.get("max_length")
        widget = forms.Textarea(attrs={"rows": 4}) if max_length is not None and max_length > 300 else None
        field = forms.CharField(max_length=max_length, min_length=meta.get("min_length"), strip=True,
                                widget=widget, **common)  # widget None: the field's default TextInput
        if "pattern" in meta:
            field.validators.append(RegexValidator(meta["pattern"], message=_("格式不正确。")))
    field.help_text = help_text
    if not required and info.default is not None and info.default is not PydanticUndefined:
        field.initial = info.default
    return field


def field_source(name: str, info: FieldInfo) -> str:
    """Where the choices of an object field come from (see `_choices`), or "" for a field without any."""
    annotation, _optional = _unwrap_optional(info.annotation)
    object_field = annotation is UUID or (get_origin(annotation) is list and _is_uuid_list(annotation))
    return name if name in SOURCED and object_field else ""


def _is_uuid_list(annotation: Any) -> bool:
    return get_args(annotation) == (UUID,)


def _greater_than(limit: Any) -> Any:
    def check(value: Any) -> None:
        if value is not None and value <= limit:
            raise forms.ValidationError(_("请输入大于 %(n)s 的数。") % {"n": limit})
    return check


# ------------------------------------------------------------------------------------------------ choices


def staff_label(staff: Any, today: date) -> str:
    if staff.is_auxiliary:
        return _("%(name)s（辅助人员，不计入执法人员）") % {"name": staff.name}
    certs = sorted(staff.certificates.all(), key=lambda c: c.valid_to, reverse=True)
    valid = next((c for c in certs if c.is_valid_on(today)), None)
    if valid is not None:
        return _("%(name)s（执法证 %(no)s，有效期至 %(to)s）") % {"name": staff.name, "no": valid.number,
                                                        "to": valid.valid_to.isoformat()}
    if certs:
        return _("%(name)s（执法证 %(no)s 已失效，有效期至 %(to)s）") % {"name": staff.name, "no": certs[0].number,
                                                              "to": certs[0].valid_to.isoformat()}
    return _("%(name)s（无行政执法证件）") % {"name": staff.name}


def reviewer_choices(*, agency: Any, case: Case | None) -> list[tuple[str, str]]:
    """The agency's active legal reviewers with their workload and qualification (REG-21), and a warning on
    those who handled, approved or investigated the case (REG-19: the engine refuses them)."""
    loads = reviewer_workloads(agency_id=agency.pk)
    public_ids = user_public_ids(w.user_id for w in loads)
    participants = case_participants(case) if case is not None else set()
    out = []
    for w in loads:
        qualification = _("具有法律职业资格") if w.qualified else _("未取得法律职业资格")
        label = _("%(name)s（进行中%(open)d件，已完成%(done)d件；%(q)s）") % {
            "name": w.name, "open": w.open, "done": w.done, "q": qualification}
        if w.user_id in participants:
            label += _("——参与过本案办理，不得审核（REG-19）")
        out.append((str(public_ids[w.user_id]), label))
    return out


def _choices(source: str, *, case: Case | None, agency: Any, today: date, user: Any = None,
             request: Any = None) -> list[tuple[str, str]]:
    if agency is None:
        return []
    if source in ("staff", "host"):
        return [(str(s.public_id), staff_label(s, today)) for s in registry_selectors.active_staff_of(agency)]
    if source == "reviewer":
        return reviewer_choices(agency=agency, case=case)
    if source == "power_item":
        return [(str(p.public_id), f"{p.code} {p.name}") for p in registry_selectors.power_items_of(agency)]
    if source == "benchmark":
        benchmarks = registry_selectors.benchmarks_of(agency, power_item_id=case.power_item_id if case else None)
        return [(str(b.public_id), _("%(code)s %(title)s（第%(v)d版）") % {"code": b.code, "title": b.title,
                                                                      "v": b.version})
                for b in benchmarks]
    if case is None:
        return []
    if source == "recordings":
        return recording_choices(case=case, user=user, request=request)
    if source == "preservation":
        out = []
        for p in case.preservations.all():
            status = (_("已作出处理决定") if p.disposed_on else
                      _("已批准，处理期限至%(d)s") % {"d": p.disposal_due} if p.approved_on else _("待批准"))
            out.append((str(p.public_id), f"{'、'.join(p.items)}（{status}）"))
        return out
    if source == "articles":
        power_item = case.power_item
        if power_item is None:
            return []
        articles = power_item.legal_basis.select_related("law").order_by("law__title", "number")
        return [(str(a.public_id), f"《{a.law.title}》{a.label}") for a in articles]
    return []


def recording_choices(*, case: Case, user: Any, request: Any = None) -> list[tuple[str, str]]:
    """The case's audio and video evidence, for a written record's `recordings`. Listing evidence is a staff read:
    it goes through the records selector, which writes the 调阅 entry first (REC-12); without a user, none."""
    if user is None:
        return []
    rows = ev.stream_evidence_read_for(user=user, stream=case.stream, request=request)
    rows = sorted((e for e in rows if e.agency_id == case.agency_id and e.media_kind in ("audio", "video")),
                  key=lambda e: (e.captured_at, e.pk))
    return [(str(e.public_id), f"{e.original_filename or e.public_id} · {timezone.localtime(e.captured_at):%Y-%m-%d %H:%M}")
            for e in rows]


# --------------------------------------------------------------------------------------------------- forms


class ActionForm(forms.Form):
    """Base of every generated form. `case`/`agency` fill the choices of object fields."""

    required_css_class = "required"
    schema: Any = None
    exclude: tuple[str, ...] = ()
    sources: ClassVar[Mapping[str, str]] = {}  # field name → source of its choices (`field_source`)

    def __init__(self, *args: Any, case: Case | None = None, agency: Any = None, today: date | None = None,
                 user: Any = None, request: Any = None, **kwargs: Any) -> None:
        """`user` and `request`: who the form is built for; fields that list evidence need them (the list is a
        logged staff read)."""
        super().__init__(*args, **kwargs)
        self.case = case
        agency = agency if agency is not None else (case.agency if case is not None else None)
        day = today or timezone.localdate()
        for name in list(self.fields):
            field = self.fields[name]
            source = self.sources.get(name, "")
            if source and isinstance(field, forms.ChoiceField):  # a sourced field is always a (multiple) choice
                choices = _choices(source, case=case, agency=agency, today=day, user=user, request=request)
                if source == "articles" and not choices:
                    del self.fields[name]
                    continue
                if isinstance(field, forms.MultipleChoiceField):
                    field.choices = choices
                else:
                    field.choices = [("", _("请选择")), *choices] if choices or not field.required else choices
        style_fields(self)

    def payload(self) -> dict[str, Any]:
        """The input for the service: required fields always, optional ones only when the user set them (so
        an untouched optional field keeps the schema's default, and `update_details` changes only what changed)."""
        data: dict[str, Any] = {}
        changed = set(self.changed_data)
        for name, info in self.schema.model_fields.items():
            if name not in self.cleaned_data:
                continue
            if info.is_required() or name in changed:
                value = self.cleaned_data[name]
                if isinstance(value, Decimal):
                    value = str(value)
                data[name] = value
        return data

    def add_service_errors(self, errors: list[dict[str, Any]], *, prefix: str = "") -> list[str]:
        """Attach a service's {field, message} errors to fields; return those that fit no field."""
        rest = []
        for err in errors:
            path = str(err.get("field") or "")
            if prefix and path.startswith(prefix):
                path = path[len(prefix):]
            name = path.split(".", 1)[0]
            message = chinese_message(str(err.get("message") or ""))
            if name in self.fields:
                if not self.has_error(name):
                    self.add_error(name, message)
            else:
                rest.append(message)
        return rest


def style_fields(form: forms.Form) -> None:
    """Bootstrap classes; large enough to tap on a phone."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")
        if isinstance(widget, forms.Textarea):
            widget.attrs.setdefault("rows", 4)


@cache
def schema_form_class(schema: type[BaseModel], exclude: tuple[str, ...] = ()) -> type[ActionForm]:
    """The form class of a pydantic schema (cached: one class per schema)."""
    sources: dict[str, str] = {}
    attrs: dict[str, Any] = {"schema": schema, "exclude": exclude, "sources": sources, "__module__": __name__}
    for name, info in schema.model_fields.items():
        if name in exclude:
            continue
        attrs[name] = form_field(name, info)
        if source := field_source(name, info):
            sources[name] = source
    return type(f"{schema.__name__}Form", (ActionForm,), attrs)


def action_form(action: Any, *, case: Case, data: Any = None, initial: dict[str, Any] | None = None) -> ActionForm:
    return schema_form_class(action.schema)(data, case=case, initial=initial)


# --------------------------------------------------------------------------------------------- new case form

NEW_CASE_KINDS = ("penalty", "penalty_simple", "inspection")


def case_forms(*, agency: Any, kind: Kind, data: Any = None) -> tuple[ActionForm, ActionForm]:
    """The kind's registration form (its `CaseIn` schema without the parties list) and one party sub-form
    (prefix "party")."""
    from zhifa.cases.kinds.common import CaseIn, PartyIn

    case_form = schema_form_class(kind.registration or CaseIn, ("parties",))(data, agency=agency)
    party_form = schema_form_class(PartyIn)(data, agency=agency, prefix="party")
    return case_form, party_form


def case_payload(case_form: ActionForm, party_form: ActionForm) -> dict[str, Any]:
    data = case_form.payload()
    party = party_form.payload()
    # Both identifier fields are on the form; send only the one of the chosen kind.
    if party.get("kind") == "person":
        party.pop("uscc", None)
    else:
        party.pop("id_number", None)
    data["parties"] = [party]
    return data


PARTY_FIELD_HELP = gettext_lazy("自然人填写公民身份号码，法人或者其他组织填写统一社会信用代码")
