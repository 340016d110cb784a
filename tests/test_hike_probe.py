"""The Hike account probe: against the served ``FakeHike`` every name it can check is
confirmed; against a served fake that names things differently each difference is
reported, with the name used instead; it only ever sends GET requests."""

from __future__ import annotations

import asyncio
import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from hikewoo_core._errors import ApiError, ConfigurationError
from hikewoo_core.hike import (
    AsyncHikeClient,
    HikeClient,
    ProbeEntry,
    ProbeReport,
    probe_account,
    probe_account_async,
)
from hikewoo_core.hike._probe_names import _compare, _similarity
from hikewoo_core.hike._schema import ENDPOINTS, FIELDS, PARAMS, Provenance
from hikewoo_core.testing import FakeHike, _hike_server
from hikewoo_core.testing._fault_plan import FaultPlan

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "probe_hike_account.py"

#: What the served fake cannot show, by label: writes, OAuth2, registers, sort order.
UNCHECKED = {
    "endpoint token",
    "endpoint authorize",
    "endpoint create_sale",
    "endpoint create_refund_sale",
    "endpoint set_serial_numbers",
    "endpoint adjust_stock",
    "endpoint update_sale_status",
    "list_sales.sorting",
    *(f"set_serial_numbers.{name}" for name in PARAMS["set_serial_numbers"]),
    *(f"authorize.{name}" for name in PARAMS["authorize"]),
    *(f"token.{name}" for name in PARAMS["token"]),
    *(f"HikeRegister.{attr}" for attr in FIELDS["HikeRegister"]),
}


@pytest.fixture
def shop() -> FakeHike:
    """Four sales (one customer), four products, two register closures."""
    fake = FakeHike()
    for sku in ("MUG", "CAP", "HAT", "PEN"):
        fake.add_product(sku, sku.title(), stock=5)
    ada = fake.add_customer("Ada", "Lovelace", "ada@example.com")
    for sku in ("MUG", "CAP", "HAT", "PEN"):
        fake.record_sale([(sku, 1, "10.00")], [("Cash", "10.00")], customer=ada)
    fake.close_register(1)
    fake.open_register(1)
    return fake


def probe(fake: FakeHike, plan: FaultPlan | None = None, **options: Any) -> ProbeReport:
    with (
        fake.serve(access_token="t", faults=plan) as base,
        HikeClient("t", base_url=base) as hike,
    ):
        return probe_account(hike, **options)


def every_schema_entry() -> set[tuple[str, str, str]]:
    return {
        *(("ENDPOINTS", "endpoint", op) for op in ENDPOINTS),
        *(("PARAMS", op, name) for op, params in PARAMS.items() for name in params),
        *(
            ("FIELDS", model, attr)
            for model, fields in FIELDS.items()
            if model != "HikeSaleDraft"
            for attr in fields
        ),
        ("CONSTANTS", "schema", "STATUS_ENCODING"),
    }


# -- the served FakeHike: everything it serves is confirmed ---------------------------------


def test_the_served_fake_confirms_everything_it_serves(shop: FakeHike) -> None:
    report = probe(shop)
    assert report.contradicted == ()
    assert {e.label for e in report.unchecked} == UNCHECKED
    assert {(e.table, e.group, e.name) for e in report.entries} == every_schema_entry()
    assert len(report.entries) == len(every_schema_entry())
    assert report.counts == {
        "confirmed": len(report.entries) - len(UNCHECKED),
        "contradicted": 0,
        "unchecked": len(UNCHECKED),
    }
    assert dict(report.records) == {
        "HikeSale": 3,
        "HikeSaleLine": 3,
        "HikePayment": 3,
        "HikeCustomer": 1,
        "HikeOutlet": 1,
        "HikeRegisterClosure": 2,
        "HikeProduct": 3,
    }
    modified = report.get("HikeSale.modified_at")
    assert (modified.key, modified.outcome, modified.found) == (
        "lastModificationTime",
        "confirmed",
        None,
    )
    assert report.get("endpoint read_sale").outcome == "confirmed"
    assert report.get("paging.skip_count").outcome == "confirmed"
    assert report.get("STATUS_ENCODING").outcome == "confirmed"
    assert report.get("endpoint create_sale").note == "a write (the probe never sends one)"
    with pytest.raises(KeyError):
        report.get("HikeSale.nothing")


def test_the_probe_only_reads_and_reads_little(shop: FakeHike) -> None:
    before = shop.sales()
    plan = FaultPlan()
    probe(shop, plan)
    assert plan.requests, "the probe sent nothing"
    assert {r.method for r in plan.requests} == {"GET"}
    assert len(plan.requests) <= 15
    # Every list asked for one small page.
    lists = [r for r in plan.requests if r.path.endswith("/get_all")]
    assert lists
    assert all("page_size=3" in r.query for r in lists)
    assert shop.sales() == before
    for method in ("write_sale", "write_sale_status", "write_serial_numbers"):
        assert shop.call_count(method) == 0


def test_an_empty_account_leaves_records_unchecked() -> None:
    report = probe(FakeHike())
    assert report.contradicted == ()
    sale = report.get("HikeSale.modified_at")
    assert sale.outcome == "unchecked"
    assert sale.note == "no sales to look at: the account lists none"
    assert report.get("HikeSaleLine.sku").outcome == "unchecked"
    assert report.get("HikeProduct.stock").note == "no products to look at: the account lists none"
    assert report.get("endpoint read_sale").outcome == "unchecked"
    assert report.get("find_customer.email").outcome == "unchecked"
    assert report.get("endpoint list_sales").outcome == "confirmed"  # it answered, empty
    # The fake starts with register 1 open: one closure, one outlet to look at.
    assert report.get("HikeRegisterClosure.opened_at").outcome == "confirmed"
    assert report.get("HikeOutlet.name").outcome == "confirmed"
    assert report.get("paging.page_size").outcome == "unchecked"


def test_the_async_probe_reports_the_same(shop: FakeHike) -> None:
    async def run(base: str) -> ProbeReport:
        async with AsyncHikeClient("t", base_url=base) as hike:
            return await probe_account_async(hike)

    with shop.serve(access_token="t") as base:
        report = asyncio.run(run(base))
    assert report.contradicted == ()
    assert {e.label for e in report.unchecked} == UNCHECKED


# -- a served fake whose names differ: each difference reported -----------------------------

RENAMED = {
    "lastModificationTime": "lastModifiedTime",
    "doNotUpdateInvenotry": "doNotUpdateInventory",
    "onHandStock": "stockOnHand",
    "firstName": "first_name",
    "totalCount": "total",
}
DROPPED = {"externalLineId", "endDateTime"}


def _rename(value: Any) -> Any:
    if isinstance(value, list):
        return [_rename(v) for v in value]
    if isinstance(value, dict):
        return {RENAMED.get(k, k): _rename(v) for k, v in value.items() if k not in DROPPED}
    return value


@pytest.fixture
def renamed_api(monkeypatch: pytest.MonkeyPatch) -> None:
    """The served fake answers with some keys renamed and some dropped."""
    jsonable = _hike_server._jsonable
    monkeypatch.setattr(_hike_server, "_jsonable", lambda value: _rename(jsonable(value)))


@pytest.mark.usefixtures("renamed_api")
def test_renamed_fields_are_reported_with_the_name_used_instead(shop: FakeHike) -> None:
    report = probe(shop)
    found = {e.label: e.found for e in report.contradicted}
    assert found == {
        "HikeSale.modified_at": "lastModifiedTime",
        "HikeSale.do_not_update_inventory": "doNotUpdateInventory",
        "HikeProduct.stock": "stockOnHand",
        "HikeCustomer.first_name": "first_name",
        "paging.total": "total",
        "HikeSaleLine.external_line_id": None,
        "HikeRegisterClosure.closed_at": None,
    }
    modified = report.get("HikeSale.modified_at")
    assert modified.describe() == (
        "HikeSale.modified_at: assumed 'lastModificationTime'; "
        "the API sent 'lastModifiedTime' instead"
    )
    assert report.get("HikeSaleLine.external_line_id").note == "absent from the 3 sale lines read"
    # The renamed count still shows the paging at work; the other names stay confirmed.
    assert report.get("paging.page_size").outcome == "confirmed"
    assert report.get("HikeSale.id").outcome == "confirmed"
    assert report.get("HikeCustomer.last_name").outcome == "confirmed"
    assert {e.label for e in report.unchecked} == UNCHECKED


@pytest.mark.usefixtures("renamed_api")
def test_explain_puts_contradictions_first(shop: FakeHike) -> None:
    lines = probe(shop).explain().splitlines()
    assert all(len(line) <= 78 for line in lines)
    text = " ".join(" ".join(lines).split())  # unwrapped
    assert text.startswith("Hike account probe (http://127.0.0.1:")
    assert "/api/v1): 65 confirmed, 7 contradicted, 28 unchecked. Records" in text
    assert "Records looked at: 3 sales, 3 sale lines, 3 payments, 1 customer" in text
    contradicted = text.index("Contradicted (correct these in hikewoo_core/hike/_schema.py):")
    assert contradicted < text.index("Unchecked:") < text.index("Confirmed:")
    assert (
        "- HikeSale.modified_at: assumed 'lastModificationTime'; the API sent "
        "'lastModifiedTime' instead" in text
    )
    assert "- HikeProduct.stock: assumed 'onHandStock'; the API sent 'stockOnHand'" in text
    assert "- HikeRegisterClosure.closed_at: assumed 'endDateTime'; absent from the 2" in text
    assert "- paging.total: third-party 'totalCount'; list_sales sent the count as 'total'" in text
    assert "HikeRegister.name: no endpoint the sync uses returns registers" in text


def test_the_served_fake_explains_that_nothing_is_contradicted(shop: FakeHike) -> None:
    text = probe(shop).explain()
    assert "Nothing contradicted: every name checked is as the schema says." in text
    assert "- HikeOutlet: id, name" in text
    assert "- constants: STATUS_ENCODING = 'name'" in text


@pytest.mark.usefixtures("renamed_api")
def test_as_dict_is_json_for_a_program(shop: FakeHike) -> None:
    report = probe(shop)
    data = json.loads(json.dumps(report.as_dict()))
    assert data["base_url"].startswith("http://127.0.0.1:")
    assert data["counts"] == {"confirmed": 65, "contradicted": 7, "unchecked": 28}
    assert data["records"]["HikeSale"] == 3
    assert len(data["entries"]) == len(report.entries)
    (modified,) = [e for e in data["entries"] if e["label"] == "HikeSale.modified_at"]
    assert modified == {
        "table": "FIELDS",
        "group": "HikeSale",
        "name": "modified_at",
        "label": "HikeSale.modified_at",
        "key": "lastModificationTime",
        "provenance": "assumed",
        "outcome": "contradicted",
        "found": "lastModifiedTime",
        "note": "the API sent 'lastModifiedTime' instead",
    }
    (endpoint,) = [e for e in data["entries"] if e["label"] == "endpoint list_outlets"]
    assert (endpoint["key"], endpoint["provenance"], endpoint["outcome"]) == (
        "GET /outlets/get_all_active",
        "documented",
        "confirmed",
    )


def test_statuses_sent_as_numbers_contradict_the_encoding(
    shop: FakeHike, monkeypatch: pytest.MonkeyPatch
) -> None:
    numbers = {"Completed": 2, "Paid": 2}  # Hike's app codes
    jsonable = _hike_server._jsonable

    def as_numbers(value: Any) -> Any:
        out = jsonable(value)
        for sale in out.get("items", [out]) if isinstance(out, dict) else []:
            if "financialStatus" in sale:
                for key in ("status", "financialStatus"):
                    sale[key] = numbers.get(sale[key], sale[key])
        return out

    monkeypatch.setattr(_hike_server, "_jsonable", as_numbers)
    entry = probe(shop).get("STATUS_ENCODING")
    assert (entry.outcome, entry.key, entry.found) == ("contradicted", "name", "number")
    assert entry.note.startswith("the sales read carry statuses as numbers;")


def test_filters_the_api_ignores_are_contradicted(
    shop: FakeHike, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_hike_server, "_when", lambda value: None)  # date filters ignored
    report = probe(shop)
    assert {e.label for e in report.contradicted} == {
        "list_sales.from",
        "list_sales.to",
        "list_register_closures.from",
        "list_register_closures.to",
    }
    entry = report.get("list_sales.from")
    assert entry.found == "3 sales listed"
    assert entry.note == (
        "a window from 2100-01-01 still listed sales: 'invoice_range_from' was not applied"
    )


# -- endpoints that answer 404 ---------------------------------------------------------------


def test_an_endpoint_answering_404_is_contradicted(shop: FakeHike) -> None:
    plan = (
        FaultPlan()
        .fail(404, method="GET", path="registerClosures/get", times=None)
        .fail(404, method="GET", path="customers/get_by_email", times=None)
    )
    report = probe(shop, plan)
    closure = report.get("endpoint read_register_closure")
    assert (closure.outcome, closure.found) == ("contradicted", "HTTP 404")
    assert closure.describe() == (
        "endpoint read_register_closure: assumed 'GET /registerClosures/get'; the API "
        "answered HTTP 404 for a register closure just listed (no such endpoint, or no 'id')"
    )
    assert report.get("read_register_closure.id").outcome == "unchecked"
    customer = report.get("endpoint find_customer")
    assert (customer.outcome, customer.found) == ("contradicted", "HTTP 404")
    assert "for an email seen on a sale" in customer.note
    assert {e.label for e in report.contradicted} == {
        "endpoint read_register_closure",
        "endpoint find_customer",
    }
    # The customers embedded in the sales still show the customer's names.
    assert report.get("HikeCustomer.email").outcome == "confirmed"


def test_a_list_answering_404_leaves_its_records_unchecked(shop: FakeHike) -> None:
    plan = FaultPlan().fail(404, method="GET", path="registerClosures/get_all", times=None)
    report = probe(shop, plan)
    listing = report.get("endpoint list_register_closures")
    assert (listing.outcome, listing.found) == ("contradicted", "HTTP 404")
    opened = report.get("HikeRegisterClosure.opened_at")
    assert opened.outcome == "unchecked"
    assert opened.note == (
        "no register closures to look at: list_register_closures answered HTTP 404: injected fault"
    )
    assert report.get("endpoint read_register_closure").outcome == "unchecked"
    assert report.get("list_register_closures.from").outcome == "unchecked"


def test_a_refused_token_raises_instead_of_reporting(shop: FakeHike) -> None:
    with (
        shop.serve(access_token="t") as base,
        HikeClient("wrong", base_url=base) as hike,
        pytest.raises(ApiError) as info,
    ):
        probe_account(hike)
    assert info.value.status == 401


def test_limit_bounds_the_records_read(shop: FakeHike) -> None:
    report = probe(shop, limit=1, email="ada@example.com")
    assert dict(report.records)["HikeSale"] == 1
    assert report.get("find_customer.email").note == "answered the customer of the email given"
    with pytest.raises(ConfigurationError):
        probe(shop, limit=0)


# -- the pure parts ----------------------------------------------------------------------------


def test_similar_names() -> None:
    assert _similarity("firstName", "first_name") == 1.0
    assert _similarity("onHandStock", "stockOnHand") == 0.95
    assert _similarity("lastModificationTime", "lastModifiedTime") > 0.75
    assert _similarity("startDateTime", "openedAt") < 0.75


def test_compare_pairs_each_candidate_once() -> None:
    records = [{"id": 1, "registerId": 2, "startTime": "x", "endTime": None}]
    verdicts = _compare("HikeRegisterClosure", records, "")
    assert [(v.outcome, v.found) for v in verdicts.values()] == [
        ("confirmed", None),
        ("confirmed", None),
        ("contradicted", "startTime"),
        ("contradicted", "endTime"),
    ]
    assert _compare("HikeProduct", [], "none listed")["sku"].note == (
        "no products to look at: none listed"
    )


def test_entry_labels_and_lines() -> None:
    endpoint = ProbeEntry(
        "ENDPOINTS", "endpoint", "read_sale", "GET /sales/get", Provenance.ASSUMED, "unchecked"
    )
    assert endpoint.label == "endpoint read_sale"
    assert endpoint.describe() == "endpoint read_sale (assumed 'GET /sales/get'): unchecked"
    param = ProbeEntry(
        "PARAMS", "list_sales", "from", "invoice_range_from", Provenance.THIRD_PARTY, "confirmed"
    )
    assert param.label == "list_sales.from"


# -- the example -------------------------------------------------------------------------------


def test_the_example_probes_a_served_account(
    shop: FakeHike, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = importlib.util.spec_from_file_location("probe_hike_account", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    with shop.serve(access_token="t") as base:
        example.probe({"HIKEWOO_HIKE_TOKEN": "t", "HIKEWOO_HIKE_BASE_URL": base})
        text = capsys.readouterr().out
        assert "0 contradicted" in " ".join(text.split())  # wrapped at 78 columns
        assert text.endswith("Probe done: nothing was written.\n")
        example.probe(
            {"HIKEWOO_HIKE_TOKEN": "t", "HIKEWOO_HIKE_BASE_URL": base, "HIKEWOO_JSON": "1"}
        )
        data = json.loads(capsys.readouterr().out)
    assert data["counts"]["contradicted"] == 0
