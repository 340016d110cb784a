"""A read-only probe of a Hike account: which names of the schema the live API confirms.

Hike documents little of its API, so :mod:`hikewoo_core.hike._schema` marks many names
as *assumed*. :func:`probe_account` (and :func:`probe_account_async`) reads a few
records of each kind the sync uses, as raw JSON, and returns a :class:`ProbeReport`
listing every entry of the schema as **confirmed** (the live API used the name),
**contradicted** (it did not, with what it used instead when a similar name was
there) or **unchecked** (nothing to look at: an empty account, a write endpoint, the
OAuth2 endpoints).

The probe only reads: it sends ``GET`` requests and nothing else (a few per kind of
record, bounded by ``limit``), never a create, an update or a status change. The
report types and the comparison are pure; the reads go through the client's own
request plumbing (its ``_drive``, so renamed fields are seen, not lost by parsing).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Generator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

import attrs

from .._datetimes import UTC
from .._errors import ApiError, PayloadError
from .._http_types import QueryValue, Request
from . import _requests as rq
from ._probe_names import (
    _PAGING,
    _closest,
    _compare,
    _first_of,
    _json_kind,
    _records_in,
    _Verdict,
    _when,
)
from ._probe_report import _NAMES, Outcome, ProbeEntry, ProbeReport, Table, _count
from ._schema import ENDPOINTS, FIELDS, PARAMS, Provenance, StatusEncoding

if TYPE_CHECKING:
    from ._base import HikeClientBase
    from ._client import HikeClient
    from ._client_async import AsyncHikeClient

__all__ = [
    "Outcome",
    "ProbeEntry",
    "ProbeReport",
    "probe_account",
    "probe_account_async",
]

#: The models whose records the probe reads (registers: no endpoint the sync uses).
_READ: Final = (
    "HikeSale",
    "HikeSaleLine",
    "HikePayment",
    "HikeCustomer",
    "HikeOutlet",
    "HikeRegisterClosure",
    "HikeProduct",
)

_FUTURE: Final = datetime(2100, 1, 1, tzinfo=UTC)
_PAST: Final = datetime(2000, 1, 1, tzinfo=UTC)
_WRITE: Final = "a write (the probe never sends one)"
_OAUTH: Final = "OAuth2 (the probe uses the access token it is given)"
_NO_REGISTERS: Final = "no endpoint the sync uses returns registers"


# -- what to read and what it shows (pure: a generator of requests) ------------------------


@attrs.frozen
class _Answer:
    """What one request got: HTTP 200 and its JSON, or a status and the error message."""

    status: int
    body: Any = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200 and not self.message

    @property
    def text(self) -> str:
        if self.status == 200:
            return self.message or "HTTP 200"
        return f"HTTP {self.status}" + (f": {self.message}" if self.message else "")


_Steps = Generator[Request, _Answer, ProbeReport]
#: What a client's ``_drive`` runs: requests out, the raw replies in.
_Reads = Generator[Request, object, ProbeReport]


class _Probe:
    """The probe as a generator of ``GET`` requests, fed each answer (no I/O here)."""

    def __init__(
        self, base_url: str, limit: int, email: str | None, encoding: StatusEncoding
    ) -> None:
        self.base_url = base_url
        self.limit = rq.check_page_size(limit)
        self.email = email
        self.encoding = encoding
        self.records: dict[str, list[dict[str, Any]]] = {model: [] for model in _READ}
        self.why: dict[str, str] = {}
        self.seen: dict[tuple[Table, str, str], list[_Verdict]] = {}
        self.second_page = False

    # -- bookkeeping ----------------------------------------------------------------

    def note(self, where: tuple[Table, str, str], verdict: _Verdict) -> None:
        self.seen.setdefault(where, []).append(verdict)

    def endpoint(self, op: str, outcome: Outcome, found: str | None = None, text: str = "") -> None:
        self.note(("ENDPOINTS", "endpoint", op), _Verdict(outcome, found, text))

    def param(
        self, op: str, name: str, outcome: Outcome, found: str | None = None, text: str = ""
    ) -> None:
        self.note(("PARAMS", op, name), _Verdict(outcome, found, text))

    def verdicts(self, model: str) -> dict[str, _Verdict]:
        return _compare(model, self.records[model], self.why.get(model, "none read"))

    def key(self, model: str, attr: str) -> str:
        """The JSON name the API uses for ``attr``: the schema's, or the one seen instead."""
        verdict = self.verdicts(model)[attr]
        if verdict.outcome == "contradicted" and verdict.found:
            return verdict.found
        return FIELDS[model][attr].key

    def keep(self, model: str, record: dict[str, Any], *, again: bool = False) -> None:
        """Keep a record to compare; ``again``: one that may repeat one already kept
        (a record read back by id, a customer on several sales) is kept once."""
        if not (again and record in self.records[model]):
            self.records[model].append(record)

    def page(self, skip: int) -> dict[str, QueryValue]:
        return {_PAGING["page_size"].key: self.limit, _PAGING["skip_count"].key: skip}

    def failed(self, op: str, answer: _Answer, context: str) -> None:
        """Note what an endpoint's failure says about it: 404 = no such endpoint."""
        if answer.status == 404:
            self.endpoint(op, "contradicted", "HTTP 404", f"the API answered HTTP 404{context}")
        else:
            self.endpoint(op, "unchecked", None, f"the API answered {answer.text}")

    # -- the reads ------------------------------------------------------------------

    def run(self) -> _Steps:
        yield from self.read_list("list_outlets", "HikeOutlet", {}, paged=False)
        params = rq.window_params("list_sales", None, None)
        sales = yield from self.read_list("list_sales", "HikeSale", params)
        if sales:
            self.check_sorting(sales)
            yield from self.check_windows("list_sales", "HikeSale")
            yield from self.read_one("read_sale", "HikeSale")
        else:
            self.nothing_to_check("list_sales", "HikeSale", ("read_sale", "id"))
        self.collect_nested()
        products = yield from self.read_list("list_products", "HikeProduct", {})
        if products:
            yield from self.look_up_sku(products)
        else:
            self.nothing_to_check("", "HikeProduct", ("product_by_sku", "sku"))
        params = rq.window_params("list_register_closures", None, None)
        closures = yield from self.read_list(
            "list_register_closures", "HikeRegisterClosure", params
        )
        if closures:
            yield from self.check_windows("list_register_closures", "HikeRegisterClosure")
            yield from self.read_one("read_register_closure", "HikeRegisterClosure")
        else:
            self.nothing_to_check(
                "list_register_closures", "HikeRegisterClosure", ("read_register_closure", "id")
            )
        yield from self.look_up_customer()
        return self.report()

    def nothing_to_check(self, op: str, model: str, lookup: tuple[str, str]) -> None:
        text = f"no {_NAMES[model][1]} to look at: {self.why.get(model, 'none read')}"
        for name in PARAMS.get(op, {}):
            self.param(op, name, "unchecked", None, text)
        self.endpoint(lookup[0], "unchecked", None, text)
        self.param(lookup[0], lookup[1], "unchecked", None, text)

    def read_list(
        self, op: str, model: str, params: Mapping[str, QueryValue], *, paged: bool = True
    ) -> Generator[Request, _Answer, list[dict[str, Any]]]:
        """One page of a list; its records (at most ``limit``) are kept to compare."""
        request = rq.list_request(self.base_url, op, params)
        if paged:
            request = request.with_params(self.page(0))
        answer = yield request
        if not answer.ok:
            self.failed(op, answer, "")
            self.why[model] = f"{op} answered {answer.text}"
            return []
        self.endpoint(op, "confirmed", None, "answered HTTP 200")
        items = self.items(op, answer.body, observe=paged)
        if items is None:
            self.why[model] = f"{op} answered {_json_kind(answer.body)}, not a list"
            return []
        records = [item for item in items[: self.limit] if isinstance(item, dict)]
        if not records:
            self.why[model] = "the account lists none" if not items else "not JSON objects"
            return []
        for record in records:
            self.keep(model, record)
        if paged:
            yield from self.check_paging(op, request, answer.body, items)
        return records

    def items(self, op: str, body: Any, *, observe: bool) -> list[Any] | None:
        """The records of a list answer (a page, or a bare array); with ``observe``,
        note whether the page used the schema's ``items`` and ``totalCount``."""
        items_key, total_key = _PAGING["items"].key, _PAGING["total"].key
        if isinstance(body, list):
            if observe:
                text = f"{op} answered a bare JSON array, not a page"
                self.param("paging", "items", "contradicted", "a bare JSON array", text)
                self.param("paging", "total", "contradicted", "a bare JSON array", text)
            return body
        if not isinstance(body, dict):
            if observe:
                kind = _json_kind(body)
                self.param("paging", "items", "contradicted", kind, f"{op} answered {kind}")
            return None
        lists = [k for k, v in body.items() if isinstance(v, list)]
        at = items_key if items_key in lists else _closest(items_key, lists)
        if at is None and len(lists) == 1:
            at = lists[0]
        if observe:
            if at == items_key:
                self.param("paging", "items", "confirmed", None, f"in the page of {op}")
            elif at is not None:
                self.param(
                    "paging", "items", "contradicted", at, f"{op} sent its records as {at!r}"
                )
            else:
                self.param("paging", "items", "contradicted", None, f"{op}: no list in the page")
            if total_key in body:
                self.param("paging", "total", "confirmed", None, f"in the page of {op}")
            else:
                numbers = [k for k, v in body.items() if type(v) is int]
                instead = _closest(total_key, numbers)
                text = (
                    f"{op} sent the count as {instead!r}"
                    if instead
                    else f"{op}: no count in the page"
                )
                self.param("paging", "total", "contradicted", instead, text)
        return None if at is None else list(body[at])

    def total_of(self, body: Any) -> int | None:
        if not isinstance(body, dict):
            return None
        total_key = _PAGING["total"].key
        key = total_key if total_key in body else _closest(total_key, list(body))
        value = body.get(key) if key is not None else None
        return value if type(value) is int else None

    def check_paging(
        self, op: str, request: Request, body: Any, items: list[Any]
    ) -> Generator[Request, _Answer, None]:
        """``page_size``: no more records than asked; ``skip_count``: a second page."""
        size_key, skip_key = _PAGING["page_size"].key, _PAGING["skip_count"].key
        total, n = self.total_of(body), len(items)
        if n > self.limit:
            text = f"{op} answered {n} records when asked for {self.limit}"
            self.param("paging", "page_size", "contradicted", f"{n} records", text)
            return
        if not (n == self.limit and total is not None and total > n):
            text = f"no list held more than {self.limit} records (a page)"
            self.param("paging", "page_size", "unchecked", None, text)
            self.param("paging", "skip_count", "unchecked", None, text)
            return
        self.param("paging", "page_size", "confirmed", None, f"{op}: {n} of {total} records")
        if self.second_page:
            return
        self.second_page = True
        answer = yield request.with_params(self.page(self.limit))
        second = self.items(op, answer.body, observe=False) if answer.ok else None
        if not second:
            text = f"the second page of {op} answered {answer.text if not answer.ok else 'none'}"
            self.param("paging", "skip_count", "unchecked", None, text)
        elif second[0] == items[0]:
            text = f"{op} with {skip_key}={self.limit} answered the first page again"
            self.param("paging", "skip_count", "contradicted", "the first page again", text)
        else:
            text = f"{op}: {size_key}={self.limit}, {skip_key}={self.limit} began a new page"
            self.param("paging", "skip_count", "confirmed", None, text)

    def check_windows(self, op: str, model: str) -> Generator[Request, _Answer, None]:
        """A window that should list nothing (from 2100, to 2000) lists nothing."""
        many = _NAMES[model][1]
        for name, after, before, window in (
            ("from", _FUTURE, None, "from 2100-01-01"),
            ("to", None, _PAST, "up to 2000-01-01"),
        ):
            key = PARAMS[op][name].key
            params = rq.window_params(op, after, before)
            answer = yield rq.list_request(self.base_url, op, params).with_params(self.page(0))
            found = self.items(op, answer.body, observe=False) if answer.ok else None
            if found is None:
                text = f"{op} with {key!r} answered {answer.text if not answer.ok else 'no list'}"
                self.param(op, name, "unchecked", None, text)
            elif not found:
                self.param(op, name, "confirmed", None, f"a window {window} listed no {many}")
            else:
                text = f"a window {window} still listed {many}: {key!r} was not applied"
                self.param(op, name, "contradicted", f"{len(found)} {many} listed", text)

    def check_sorting(self, sales: list[dict[str, Any]]) -> None:
        key = self.key("HikeSale", "transaction_date")
        dates = [d for d in (_when(s.get(key)) for s in sales) if d is not None]
        if any(a > b for a, b in itertools.pairwise(dates)):
            text = "the sales listed were not in transaction-date order"
            self.param("list_sales", "sorting", "contradicted", "another order", text)
        else:
            text = "the order of one page cannot show that it was applied"
            self.param("list_sales", "sorting", "unchecked", None, text)

    def read_one(self, op: str, model: str) -> Generator[Request, _Answer, None]:
        """Read back by id a record just listed (``read_sale``, ``read_register_closure``)."""
        one = _NAMES[model][0]
        id_key, param_key = self.key(model, "id"), PARAMS[op]["id"].key
        record_id = next(
            (r[id_key] for r in self.records[model] if type(r.get(id_key)) is int), None
        )
        if record_id is None:
            text = f"no {one} id to read"
            self.endpoint(op, "unchecked", None, text)
            self.param(op, "id", "unchecked", None, text)
            return
        if op == "read_sale":
            request = rq.read_sale_request(self.base_url, record_id)
        else:
            request = rq.closure_request(self.base_url, record_id)
        answer = yield request
        if not answer.ok:
            context = f" for a {one} just listed (no such endpoint, or no {param_key!r})"
            self.failed(op, answer, context)
            self.param(op, "id", "unchecked", None, f"{op} answered {answer.text}")
            return
        self.endpoint(op, "confirmed", None, "answered HTTP 200")
        found = _records_in(answer.body)
        match = [r for r in found if r.get(id_key) == record_id]
        if match:
            self.param(op, "id", "confirmed", None, f"{op} answered the {one} asked for")
            self.keep(model, match[0], again=True)
        else:
            got = (
                f"{_NAMES[model][0]} {found[0].get(id_key)!r}" if found else _json_kind(answer.body)
            )
            text = f"asked for {one} {record_id} with {param_key!r}, the API answered {got}"
            self.param(op, "id", "contradicted", got, text)

    def collect_nested(self) -> None:
        """Lines, payments and embedded customers of the sales read."""
        sales = self.records["HikeSale"]
        if not sales:
            for model in ("HikeSaleLine", "HikePayment", "HikeCustomer"):
                self.why[model] = f"no sales read ({self.why.get('HikeSale', 'none')})"
            return
        for model, attr in (("HikeSaleLine", "lines"), ("HikePayment", "payments")):
            key = self.key("HikeSale", attr)
            for sale in sales:
                value = sale.get(key)
                for item in value if isinstance(value, list) else ():
                    if isinstance(item, dict):
                        self.keep(model, item)
            self.why[model] = f"the {_count(len(sales), 'sale', 'sales')} read had none"
        key = self.key("HikeSale", "customer")
        for sale in sales:
            if isinstance(sale.get(key), dict):
                self.keep("HikeCustomer", sale[key], again=True)
        self.why["HikeCustomer"] = (
            f"the {_count(len(sales), 'sale', 'sales')} read carried none, and no email "
            "was given to look one up"
        )

    def look_up_sku(self, products: list[dict[str, Any]]) -> Generator[Request, _Answer, None]:
        sku_key, param_key = self.key("HikeProduct", "sku"), PARAMS["product_by_sku"]["sku"].key
        sku = next((p[sku_key] for p in products if isinstance(p.get(sku_key), str)), None)
        if not sku:
            self.nothing_to_look_up("product_by_sku", "sku", "no product SKU to look up")
            return
        yield from self.look_up(
            "product_by_sku",
            "sku",
            "HikeProduct",
            rq.product_by_sku_request(self.base_url, sku),
            lambda r: r.get(sku_key) == sku,
            failed=f" for a SKU just listed (no such endpoint, or no {param_key!r})",
            found="answered the SKU asked for",
            others=("other product", "other products", f"asked for a SKU with {param_key!r}"),
            none=None,
        )

    def look_up_customer(self) -> Generator[Request, _Answer, None]:
        email_key = self.key("HikeCustomer", "email")
        param_key = PARAMS["find_customer"]["email"].key
        email, source = self.email, "the email given"
        if email is None:
            source = "an email seen on a sale"
            email = next(
                (
                    c[email_key]
                    for c in self.records["HikeCustomer"]
                    if isinstance(c.get(email_key), str) and c[email_key]
                ),
                None,
            )
        if email is None:
            text = "no customer email to look up (none on the sales read; pass email=)"
            self.nothing_to_look_up("find_customer", "email", text)
            return
        wanted = email.lower()
        yield from self.look_up(
            "find_customer",
            "email",
            "HikeCustomer",
            rq.customer_request(self.base_url, email),
            lambda r: isinstance(r.get(email_key), str) and r[email_key].lower() == wanted,
            failed=f" for {source} (no such endpoint, or no customer by that email)",
            found=f"answered the customer of {source}",
            others=("other customer", "other customers", f"asked for {source} with {param_key!r}"),
            none=f"the API answered no customer for {source}",
        )

    def nothing_to_look_up(self, endpoint: str, param: str, text: str) -> None:
        self.endpoint(endpoint, "unchecked", None, text)
        self.param(endpoint, param, "unchecked", None, text)

    def look_up(
        self,
        endpoint: str,
        param: str,
        model: str,
        request: Request,
        matches: Callable[[dict[str, Any]], bool],
        *,
        failed: str,
        found: str,
        others: tuple[str, str, str],
        none: str | None,
    ) -> Generator[Request, _Answer, None]:
        """One look-up by a parameter: the endpoint, then whether the parameter filtered.

        ``others`` names what came back instead (singular, plural) and what was asked;
        ``none`` is said when nothing came back (``None``: that contradicts too).
        """
        answer = yield request
        if not answer.ok:
            self.failed(endpoint, answer, failed)
            self.param(endpoint, param, "unchecked", None, f"answered {answer.text}")
            return
        self.endpoint(endpoint, "confirmed", None, "answered HTTP 200")
        records = _records_in(answer.body)
        match = [r for r in records if matches(r)]
        if match:
            self.param(endpoint, param, "confirmed", None, found)
            self.keep(model, match[0], again=True)
        elif records or none is None:
            got = _count(len(records), others[0], others[1])
            self.param(endpoint, param, "contradicted", got, f"{others[2]}, the API answered {got}")
        else:
            self.param(endpoint, param, "unchecked", None, none)

    # -- the report -----------------------------------------------------------------

    def merged(self, table: Table, group: str, name: str) -> _Verdict | None:
        return _first_of(self.seen.get((table, group, name), []))

    def status_encoding(self) -> _Verdict:
        sales = self.records["HikeSale"]
        keys = [self.key("HikeSale", a) for a in ("fulfilment_status", "payment_status")]
        values = [s.get(k) for s in sales for k in keys]
        kinds = {"number" if type(v) is int else "name" for v in values if type(v) in (int, str)}
        untested = "what Hike accepts in a write is not tested (the probe never writes)"
        if not kinds:
            return _Verdict("unchecked", None, f"no sale status to look at; {untested}")
        if kinds == {self.encoding}:
            text = f"the sales read carry statuses as {self.encoding}s; {untested}"
            return _Verdict("confirmed", None, text)
        found = "number" if kinds == {"number"} else ("name" if kinds == {"name"} else "mixed")
        shown = "names and numbers" if found == "mixed" else f"{found}s"
        text = f"the sales read carry statuses as {shown}; {untested}"
        return _Verdict("contradicted", found, text)

    def report(self) -> ProbeReport:
        entries: list[ProbeEntry] = []
        listed = self.merged("ENDPOINTS", "endpoint", "list_sales")
        for op, endpoint in ENDPOINTS.items():
            verdict = self.merged("ENDPOINTS", "endpoint", op)
            if verdict is None:
                if op in ("token", "authorize"):
                    verdict = _Verdict("unchecked", None, _OAUTH)
                elif endpoint.method != "GET":
                    verdict = _Verdict("unchecked", None, _WRITE)
                elif endpoint.path == ENDPOINTS["list_sales"].path and listed is not None:
                    verdict = attrs.evolve(listed, note=f"the request of list_sales: {listed.note}")
                else:
                    verdict = _Verdict("unchecked", None, "not called")
            key = f"{endpoint.method} {endpoint.path}"
            entries.append(_entry(("ENDPOINTS", "endpoint", op), key, endpoint.provenance, verdict))
        for op, params in PARAMS.items():
            for name, field in params.items():
                verdict = self.merged("PARAMS", op, name)
                if verdict is None:
                    if op in ("token", "authorize"):
                        verdict = _Verdict("unchecked", None, _OAUTH)
                    elif op == "set_serial_numbers":
                        verdict = _Verdict("unchecked", None, _WRITE)
                    else:
                        verdict = _Verdict("unchecked", None, "no list page was read")
                entries.append(_entry(("PARAMS", op, name), field.key, field.provenance, verdict))
        for model, fields in FIELDS.items():
            if model == "HikeSaleDraft":  # sent, never read; the names of HikeSale
                continue
            if model in self.records:
                verdicts = self.verdicts(model)
            else:
                verdicts = {attr: _Verdict("unchecked", None, _NO_REGISTERS) for attr in fields}
            for attr, field in fields.items():
                where: tuple[Table, str, str] = ("FIELDS", model, attr)
                entries.append(_entry(where, field.key, field.provenance, verdicts[attr]))
        constant: tuple[Table, str, str] = ("CONSTANTS", "schema", "STATUS_ENCODING")
        verdict = self.status_encoding()
        entries.append(_entry(constant, self.encoding, Provenance.ASSUMED, verdict))
        records = tuple((model, len(self.records[model])) for model in _READ)
        return ProbeReport(tuple(entries), records, self.base_url)


def _entry(
    where: tuple[Table, str, str], key: str, provenance: Provenance, verdict: _Verdict
) -> ProbeEntry:
    table, group, name = where
    return ProbeEntry(
        table, group, name, key, provenance, verdict.outcome, verdict.found, verdict.note
    )


# -- the drivers (I/O) -------------------------------------------------------------------


def _readable(request: Request) -> Request:
    if request.method != "GET":  # pragma: no cover - the steps above only read
        raise RuntimeError(f"the Hike probe only reads; refusing {request.method} {request!r}")
    return request


def _answer_of(reply: object) -> _Answer:
    """A client's reply (the decoded body, or the error raised) as an :class:`_Answer`."""
    if isinstance(reply, PayloadError):
        return _Answer(200, None, "an answer that is not JSON")
    if isinstance(reply, ApiError):
        if reply.status == 401:  # the token itself: no fact about the schema
            raise reply
        return _Answer(reply.status, None, reply.api_message)
    return _Answer(200, reply)


def _steps(client: HikeClientBase, limit: int, email: str | None) -> _Reads:
    """The probe's reads, for a client's ``_drive``: each request checked to be a
    ``GET``, each reply (a body, or the error raised) made an :class:`_Answer`."""
    steps = _Probe(client.base_url, limit, email, client.status_encoding).run()
    request = next(steps)
    while True:
        reply = yield _readable(request)
        try:
            request = steps.send(_answer_of(reply))
        except StopIteration as stop:
            report: ProbeReport = stop.value
            return report


def probe_account(client: HikeClient, *, limit: int = 3, email: str | None = None) -> ProbeReport:
    """Read a few records of each kind the sync uses and check the schema against them.

    Sends only ``GET`` requests (about a dozen; ``limit`` records per list, 1 to 500):
    the active outlets, a page each of sales, products and register closures, the
    second page of one list, windows that should list nothing, and one lookup each by
    id, SKU and email (the email of a customer on a sale read, or ``email``). Never a
    create, an update or a status change. Returns a :class:`ProbeReport` listing every
    entry of :mod:`~hikewoo_core.hike._schema` as confirmed, contradicted or unchecked.

    A refused access token raises :class:`~hikewoo_core.AuthenticationError`; other
    error answers (404 and the like) are facts, reported on their entries.
    """
    return client._drive(_steps(client, limit, email), "Hike probe")


async def probe_account_async(
    client: AsyncHikeClient, *, limit: int = 3, email: str | None = None
) -> ProbeReport:
    """:func:`probe_account` through an :class:`~hikewoo_core.hike.AsyncHikeClient`."""
    return await client._drive(_steps(client, limit, email), "Hike probe")
