"""Validation of registry input, shared by the staff UI and the API (both call services with a bound form)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model, UniqueConstraint
from django.forms.models import ModelChoiceField, ModelMultipleChoiceField
from django.utils.translation import gettext_lazy as _

from zhifa.common.identifiers import normalize_identifier
from zhifa.registry import models as reg
from zhifa.registry.entries import EntryType

# The fixed vocabulary of penalty kinds (../shared/domain/laws.md, "Conventions used in penalty").
PENALTY_KINDS = [
    "警告", "通报批评", "罚款", "没收违法所得", "没收非法财物", "吊销许可证", "限制开展生产经营活动",
    "责令停产停业", "责令关闭", "限制从业", "行政拘留",
]

# Models whose rows belong to one agency: a reference to them must stay inside the entry's agency.
_AGENCY_SCOPED = (reg.Unit, reg.PowerItem, reg.DiscretionBenchmark, reg.Staff)


class _EntryForm(forms.ModelForm):
    def __init__(self, *args: Any, agency: reg.Agency | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._agency = agency
        for name, form_field in self.fields.items():
            if isinstance(form_field, ModelChoiceField | ModelMultipleChoiceField):
                form_field.to_field_name = "public_id"
                qs = form_field.queryset
                assert qs is not None
                model = qs.model
                if issubclass(model, _AGENCY_SCOPED):
                    qs = qs.filter(agency=agency) if agency else qs.none()
                if model is reg.Article:
                    qs = qs.select_related("law")
                    form_field.widget = forms.SelectMultiple(attrs={"size": 12})
                if name == "supervisor":
                    qs = qs.filter(is_justice_bureau=True)
                form_field.queryset = qs
        if "penalty_kinds" in self.fields:
            self.fields["penalty_kinds"] = forms.MultipleChoiceField(
                label=_("处罚种类"), choices=[(k, k) for k in PENALTY_KINDS], required=False,
                widget=forms.CheckboxSelectMultiple, initial=self.initial.get("penalty_kinds"),
            )
        for form_field in self.fields.values():
            widget = form_field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.CheckboxSelectMultiple):
                pass
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")
            if isinstance(widget, forms.DateInput):
                widget.input_type = "date"
            if isinstance(widget, forms.Textarea):
                widget.attrs.setdefault("rows", 3)


    def _post_clean(self) -> None:
        """Also check the uniqueness constraints that include `agency` (a unit's name, a power item's code): the
        field is not on the form, so Django's own check skips them and a duplicate became an IntegrityError
        (a 500) on save (issue 9 defect 10). The entry's agency is the one the service will set."""
        super()._post_clean()  # type: ignore[misc]
        instance = self.instance
        if self._agency is None or not any(f.name == "agency" for f in instance._meta.concrete_fields):
            return
        if getattr(instance, "agency_id", None) is None:
            instance.agency = self._agency
        for constraint in instance._meta.constraints:
            if not isinstance(constraint, UniqueConstraint) or "agency" not in constraint.fields:
                continue
            fields = [f for f in constraint.fields if f != "agency"]
            if not fields or not all(f in self.fields for f in fields) or any(f in (getattr(self, "_errors", None) or {}) for f in fields):
                continue
            try:
                constraint.validate(type(instance), instance)
            except ValidationError:
                labels = "、".join(str(self.fields[f].label) for f in fields)
                self.add_error(fields[0], _("本机关已有%(labels)s相同的%(model)s。") % {
                    "labels": labels, "model": instance._meta.verbose_name})

    def clean_uscc(self) -> str:
        # Full-width digits and lowercase letters are accepted and stored in canonical form (ID-2).
        return normalize_identifier(self.cleaned_data.get("uscc") or "")


_cache: dict[str, type[_EntryForm]] = {}


def entry_form_class(entry_type: EntryType) -> type[_EntryForm]:
    if entry_type.slug not in _cache:
        form_class = forms.modelform_factory(
            entry_type.model, form=_EntryForm, fields=list(entry_type.fields),
            widgets={f: forms.DateInput(format="%Y-%m-%d") for f in _date_fields(entry_type.model)},
        )
        assert issubclass(form_class, _EntryForm)
        _cache[entry_type.slug] = form_class
    return _cache[entry_type.slug]


def _date_fields(model: type[Model]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if f.get_internal_type() == "DateField"]


def entry_form(
    entry_type: EntryType, *, agency: reg.Agency | None, data: Any = None, instance: Model | None = None
) -> _EntryForm:
    return entry_form_class(entry_type)(data=data, instance=instance, agency=agency)
