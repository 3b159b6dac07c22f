"""A model's own field by name, typed as a field.

`Model._meta.get_field(name)` may also return a reverse relation (`ForeignObjectRel`), which has no verbose name,
default or `blank`; code that names a model's own columns, foreign keys and many-to-many fields uses `model_field`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Field, Model


def model_field(model: type[Model], name: str) -> Field[Any, Any]:
    """The field `name` declared on `model` (a column, foreign key or many-to-many field); TypeError for a reverse
    relation, FieldDoesNotExist for an unknown name."""
    found = model._meta.get_field(name)
    if not isinstance(found, Field):
        raise TypeError(f"{model.__name__}.{name} is a reverse relation, not a field of the model")
    return found
