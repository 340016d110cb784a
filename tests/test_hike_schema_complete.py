"""The Hike schema table is the single source of the JSON names (issue 14, item 3): a
field added to a model and not to ``hike.schema.FIELDS`` would be sent under its Python
name, and every other test would still pass."""

from __future__ import annotations

import attrs
import pytest

from hikewoo_core.hike import _models as models
from hikewoo_core.hike._schema import FIELDS
from hikewoo_core.testing import FakeHike

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
        if isinstance(value, type)
        and attrs.has(value)
        and value.__module__ == models.__name__
        and not name.startswith("_")
    }
    assert modelled <= set(FIELDS), sorted(modelled - set(FIELDS))


ASSIGNED = {"id", "number", "register_closure_id", "modified_at", "customer_id"}


def test_a_draft_has_exactly_the_fields_of_a_sale_less_those_hike_assigns() -> None:
    sale = {f.name for f in attrs.fields(models.HikeSale)}
    draft = {f.name for f in attrs.fields(models.HikeSaleDraft)}
    assert draft == sale - ASSIGNED
    for name in draft - {"source"}:  # a draft defaults to Woo as its source
        assert attrs.fields_dict(models.HikeSale)[name].type == (
            attrs.fields_dict(models.HikeSaleDraft)[name].type
        ), name


def test_the_fake_keeps_every_field_of_a_draft() -> None:
    """The fake builds its sales from the draft's fields, not from a copied list: a
    draft with a non-default value in every field comes back with each of them."""
    from datetime import datetime, timezone
    from decimal import Decimal

    hike = FakeHike()
    draft = models.HikeSaleDraft(
        fulfilment_status=models.FulfilmentStatus.COMPLETED,
        payment_status=models.PaymentStatus.PAID,
        total=Decimal("10.00"),
        outlet_id=1,  # the fake's first outlet, with an open register
        currency="NZD",
        total_tax=Decimal("1.30"),
        transaction_date=datetime(2024, 5, 1, 12, tzinfo=timezone.utc),
        source=models.SaleSource.SHOPIFY,
        external_reference="woo:42",
        do_not_update_inventory=True,
        note="gift",
        payments=(models.HikePayment(payment_type_name="Cash", amount=Decimal("10.00")),),
    )
    sale = hike.write_sale(draft)
    kept = {
        name: getattr(sale, name)
        for name in attrs.fields_dict(models.HikeSaleDraft)
        if name not in {"register_id", "customer", "lines"}  # the store decides these
    }
    assert kept == {n: getattr(draft, n) for n in kept}
