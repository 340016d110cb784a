"""Rule 1.1: the status table is data, validated, overridable, and the docs show it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hikewoo_core import ConfigurationError
from hikewoo_core._mapping import DEFAULT_STATUS_TABLE, HikeStatus, StatusRow, StatusTable
from hikewoo_core.hike import FulfilmentStatus, PaymentStatus

F, P = FulfilmentStatus, PaymentStatus
DOCS = Path(__file__).resolve().parents[1] / "docs" / "rules.md"


@pytest.mark.parametrize(
    ("woo", "fulfilment", "payment"),
    [
        ("completed", "Completed", "Paid"),
        ("cancelled", "Voided", "Voided"),
        ("processing", "Parked", "Pending"),
        ("on-hold", "Parked", "Pending"),
        ("refunded", "Refunded", "Refunded"),
    ],
)
def test_rule_1_1_status_table_woo_to_hike(woo: str, fulfilment: str, payment: str) -> None:
    hike = DEFAULT_STATUS_TABLE.to_hike(woo)
    assert hike is not None
    assert (hike.fulfilment.value, hike.payment.value) == (fulfilment, payment)


@pytest.mark.parametrize(
    "woo", ["pending", "failed", "checkout-draft", "auto-draft", "trash", "shipped", ""]
)
def test_rule_1_1_statuses_outside_the_table_are_not_synced(woo: str) -> None:
    assert DEFAULT_STATUS_TABLE.to_hike(woo) is None


def test_rule_1_1_reverse_lookup_uses_the_canonical_row() -> None:
    table = DEFAULT_STATUS_TABLE
    assert table.to_woo(HikeStatus(F.PARKED, P.PENDING)) == "processing"
    assert table.to_woo(HikeStatus(F.COMPLETED, P.PAID)) == "completed"
    assert table.to_woo(HikeStatus(F.VOIDED, P.VOIDED)) == "cancelled"
    assert table.to_woo(F.REFUNDED) == "refunded"
    assert table.to_woo(HikeStatus(F.LAYBY, P.PARTIALLY_PAID)) is None


def test_rule_1_1_duplicate_keys_are_refused() -> None:
    row = StatusRow("completed", HikeStatus(F.COMPLETED, P.PAID))
    with pytest.raises(ConfigurationError, match="appears twice"):
        StatusTable([row, row])


def test_rule_1_1_ambiguous_reverse_lookup_is_refused() -> None:
    rows = [
        StatusRow("processing", HikeStatus(F.PARKED, P.PENDING)),
        StatusRow("on-hold", HikeStatus(F.PARKED, P.PENDING)),
    ]
    with pytest.raises(ConfigurationError, match="canonical"):
        StatusTable(rows)
    both = [StatusRow(r.woo_status, r.hike, canonical=True) for r in rows]
    with pytest.raises(ConfigurationError, match="found 2"):
        StatusTable(both)


def test_rule_1_1_users_add_a_plugin_status() -> None:
    table = DEFAULT_STATUS_TABLE.with_row("shipped", F.COMPLETED, P.PAID)
    assert table.to_hike("shipped") == HikeStatus(F.COMPLETED, P.PAID)
    assert table.to_woo(HikeStatus(F.COMPLETED, P.PAID)) == "completed"
    assert DEFAULT_STATUS_TABLE.to_hike("shipped") is None  # the default is untouched


def test_rule_1_1_users_change_and_remove_rows() -> None:
    table = DEFAULT_STATUS_TABLE.with_row("on-hold", F.LAYBY, P.PARTIALLY_PAID)
    assert table.to_hike("on-hold") == HikeStatus(F.LAYBY, P.PARTIALLY_PAID)
    assert table.to_woo(HikeStatus(F.PARKED, P.PENDING)) == "processing"
    assert table.without("cancelled").to_hike("cancelled") is None
    moved = DEFAULT_STATUS_TABLE.with_row("on-hold", F.PARKED, P.PENDING, canonical=True)
    assert moved.to_woo(HikeStatus(F.PARKED, P.PENDING)) == "on-hold"


def test_rule_1_1_markdown_matches_the_docs_page() -> None:
    """The docs page embeds the generated table; this fails when they drift."""
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(
        r"<!-- status-table:start -->\n(.*?)<!-- status-table:end -->", text, re.DOTALL
    )
    assert match, "docs/rules.md lacks the status-table markers"
    assert match.group(1) == DEFAULT_STATUS_TABLE.to_markdown()


def test_markdown_lists_every_row() -> None:
    md = DEFAULT_STATUS_TABLE.to_markdown()
    assert "| processing, on-hold | Parked | Pending |" in md
    assert md.count("\n") == 2 + 4


def test_a_table_built_from_plain_names_syncs_and_prints() -> None:
    """Found by a user: ``with_row("shipped", "Completed", "Paid")`` was accepted, then
    every sync (and ``to_markdown``) failed with AttributeError."""
    from hikewoo_core import SyncSettings

    from ._world import make_world

    table = DEFAULT_STATUS_TABLE.with_row("shipped", "Completed", "Paid")
    assert table.to_hike("shipped") == HikeStatus(FulfilmentStatus.COMPLETED, PaymentStatus.PAID)
    assert "| completed, shipped | Completed | Paid |" in table.to_markdown()
    assert table.with_row("held", "PARKED", "PENDING").to_hike("held") == table.to_hike(
        "processing"
    )
    w = make_world(SyncSettings(status_table=table))
    w.woo.register_status("shipped")
    oid = w.order("shipped")
    w.syncer.sync_woo_order(oid)
    [sale] = w.hike.sales()
    assert (sale.fulfilment_status, sale.payment_status) == (
        FulfilmentStatus.COMPLETED,
        PaymentStatus.PAID,
    )


def test_an_unknown_hike_status_name_is_refused_when_the_table_is_built() -> None:
    with pytest.raises(
        ConfigurationError,
        match=r"'Done' is not a Hike fulfilment status; valid: 'Pending', 'Parked', 'Completed'",
    ):
        DEFAULT_STATUS_TABLE.with_row("shipped", "Done", "Paid")
    with pytest.raises(ConfigurationError, match=r"'paid' is not a Hike payment status; valid:"):
        DEFAULT_STATUS_TABLE.with_row("shipped", "Completed", "paid")


def test_the_enums_own_errors_list_the_valid_values() -> None:
    with pytest.raises(
        ValueError, match=r"'Done' is not a Hike fulfilment status; valid: .*'Quote'"
    ):
        FulfilmentStatus("Done")
    with pytest.raises(ValueError, match=r"is not a Hike payment status; valid: .*'Closed'"):
        PaymentStatus("paid")
