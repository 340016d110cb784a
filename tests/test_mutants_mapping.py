"""Rule 1.1, the status table: the holes mutation testing found (see docs/testing.md).

The table is data, validated when built (no duplicate or malformed keys, every reverse
lookup unambiguous), overridable by the user, and built at import from the seed's rows.
"""

from __future__ import annotations

import importlib.util

import pytest

from hikewoo_core import ConfigurationError
from hikewoo_core._mapping import DEFAULT_STATUS_TABLE, HikeStatus, StatusRow, StatusTable
from hikewoo_core.hike import FulfilmentStatus as F
from hikewoo_core.hike import PaymentStatus as P
from hikewoo_core.woo._models import WooStatus

# The seed's table, written out here rather than read from the code under test.
SEED_TABLE = (
    ("completed", "Completed", "Paid", False),
    ("cancelled", "Voided", "Voided", False),
    ("processing", "Parked", "Pending", True),
    ("on-hold", "Parked", "Pending", False),
    ("refunded", "Refunded", "Refunded", False),
)


def rows_of(table: StatusTable) -> tuple[tuple[str, str, str, bool], ...]:
    return tuple(
        (r.woo_status, r.hike.fulfilment.value, r.hike.payment.value, r.canonical)
        for r in table.rows
    )


def refusal(rows: list[StatusRow]) -> str:
    with pytest.raises(ConfigurationError) as info:
        StatusTable(rows)
    return str(info.value)


def row(woo: str, fulfilment: F, payment: P, canonical: bool = False) -> StatusRow:
    return StatusRow(woo, HikeStatus(fulfilment, payment), canonical)


def test_rule_1_1_the_default_table_built_at_import_is_the_seeds_table() -> None:
    """Rule 1.1: importing the module builds exactly the seed's rows (a fresh import, so
    the code that builds the table at import time runs under test too)."""
    spec = importlib.util.find_spec("hikewoo_core._mapping")
    assert spec is not None
    assert spec.loader is not None
    fresh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fresh)
    for table in (fresh.DEFAULT_STATUS_TABLE, DEFAULT_STATUS_TABLE):
        assert rows_of(table) == SEED_TABLE
        assert all(type(r.canonical) is bool for r in table.rows)
        assert table.woo_statuses() == tuple(name for name, *_ in SEED_TABLE)


@pytest.mark.parametrize("name", ["", " shipped", "shipped ", "\tshipped"])
def test_rule_1_1_an_empty_or_padded_woo_status_is_refused_by_name(name: str) -> None:
    """Rule 1.1 (validated when built): a key WooCommerce can never send is refused."""
    message = refusal([*DEFAULT_STATUS_TABLE.rows, row(name, F.COMPLETED, P.PAID, True)])
    assert message.startswith(f"invalid status table: invalid WooCommerce status {name!r}")


def test_rule_1_1_every_problem_of_a_table_is_listed_in_one_message() -> None:
    """Rule 1.1 (validated when built): all problems at once, each named."""
    rows = [
        row("completed", F.COMPLETED, P.PAID),
        row("completed", F.COMPLETED, P.PAID),
        row("processing", F.PARKED, P.PENDING),
        row("on-hold", F.PARKED, P.PENDING),
    ]
    assert refusal(rows) == (
        "invalid status table: WooCommerce status 'completed' appears twice; "
        "'completed', 'completed' all map to Completed/Paid: mark exactly one of them "
        "canonical (found 0) so the reverse lookup is unambiguous; "
        "'processing', 'on-hold' all map to Parked/Pending: mark exactly one of them "
        "canonical (found 0) so the reverse lookup is unambiguous"
    )


def test_rule_1_1_a_fulfilment_status_alone_maps_back_only_when_unambiguous() -> None:
    """Rule 1.1 (every reverse lookup unambiguous): given a fulfilment status alone, two
    WooCommerce statuses with that fulfilment (and different payments) give no answer."""
    table = DEFAULT_STATUS_TABLE.with_row("awaiting-payment", F.COMPLETED, P.PENDING)
    assert table.to_woo(HikeStatus(F.COMPLETED, P.PAID)) == "completed"
    assert table.to_woo(HikeStatus(F.COMPLETED, P.PENDING)) == "awaiting-payment"
    assert table.to_woo(F.COMPLETED) is None
    assert table.to_woo(F.VOIDED) == "cancelled"


def test_rule_1_1_a_new_canonical_row_takes_over_only_its_own_hike_status() -> None:
    """Rule 1.1 (overridable): a row added as canonical becomes the reverse of its Hike
    status; the other rows of that status are no longer canonical, other groups keep theirs."""
    table = DEFAULT_STATUS_TABLE.with_row("shipped", F.COMPLETED, P.PAID, canonical=True)
    assert table.to_woo(HikeStatus(F.COMPLETED, P.PAID)) == "shipped"
    assert table.to_woo(HikeStatus(F.PARKED, P.PENDING)) == "processing"
    assert rows_of(table) == (
        ("completed", "Completed", "Paid", False),
        *SEED_TABLE[1:],
        ("shipped", "Completed", "Paid", True),
    )
    assert all(type(r.canonical) is bool for r in table.rows)


def test_rule_1_1_the_first_row_of_a_new_hike_status_is_its_canonical_row() -> None:
    """Rule 1.1 (every reverse lookup unambiguous): a row that is alone with its Hike
    status is marked canonical, so a later row of the same status does not take over."""
    table = DEFAULT_STATUS_TABLE.with_row("awaiting-payment", F.COMPLETED, P.PENDING)
    assert table.rows[-1] == row("awaiting-payment", F.COMPLETED, P.PENDING, True)
    assert table.rows[-1].canonical is True
    again = table.with_row("awaiting-bank", F.COMPLETED, P.PENDING)
    assert again.rows[-1].canonical is False
    assert again.to_woo(HikeStatus(F.COMPLETED, P.PENDING)) == "awaiting-payment"


@pytest.mark.parametrize("status", list(WooStatus), ids=str)
def test_rule_1_1_an_orders_core_status_member_looks_up_as_its_plain_string(
    status: WooStatus,
) -> None:
    """Rule 1.1: ``order.status`` is a :class:`WooStatus` for core statuses (a plain
    ``str`` for plugin ones); the table answers the member as it answers its string."""
    expected = {name: HikeStatus(f, p) for name, f, p, _ in SEED_TABLE}.get(status.value)
    assert DEFAULT_STATUS_TABLE.to_hike(status) == expected
    assert DEFAULT_STATUS_TABLE.to_hike(status.value) == expected
