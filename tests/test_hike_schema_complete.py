"""The Hike schema table is the single source of the JSON names (issue 14, item 3): a
field added to a model and not to ``hike.schema.FIELDS`` would be sent under its Python
name, and every other test would still pass."""

from __future__ import annotations

import attrs
import pytest

from hikewoo_core.hike import _models as models
from hikewoo_core.hike._schema import FIELDS

MODELS = sorted(name for name in FIELDS if hasattr(models, name))


def test_every_model_in_the_table_exists() -> None:
    assert sorted(FIELDS) == MODELS


@pytest.mark.parametrize("name", MODELS)
def test_every_attrs_field_of_a_hike_model_has_its_json_name(name: str) -> None:
    cls = getattr(models, name)
    fields = {f.name for f in attrs.fields(cls)}
    assert fields == set(FIELDS[name]), (
        f"{name}: missing from the table {sorted(fields - set(FIELDS[name]))}, "
        f"in the table but not the model {sorted(set(FIELDS[name]) - fields)}"
    )


def test_every_attrs_model_of_the_hike_module_is_in_the_table() -> None:
    modelled = {
        name
        for name, value in vars(models).items()
        if isinstance(value, type) and attrs.has(value) and value.__module__ == models.__name__
    }
    assert modelled <= set(FIELDS), sorted(modelled - set(FIELDS))
