"""A read-only probe of a Hike account: which names of the schema the live API confirms.

Hike documents little of its API, so :mod:`hikewoo_core.hike.schema` marks many names
as *assumed*. :func:`probe_account` (and :func:`probe_account_async`) reads a few
records of each kind the sync uses, as raw JSON, and returns a :class:`ProbeReport`
listing every entry of the schema as **confirmed** (the live API used the name),
**contradicted** (it did not, with what it used instead when a similar name was
there) or **unchecked** (nothing to look at: an empty account, a write endpoint, the
OAuth2 endpoints).

The probe only reads: it sends ``GET`` requests and nothing else (a few per kind of
record, bounded by ``limit``), never a create, an update or a status change. The
report types and the comparison are pure; only the two drivers at the end do I/O,
through the client's own request plumbing (so renamed fields are seen, not lost by
parsing).
"""

from __future__ import annotations

import difflib
import itertools
import re
import textwrap
from collections.abc import Generator, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Final, Literal

import attrs

from .._convert import parse_utc
from .._http_types import QueryValue, Request
from ..errors import ApiError, PayloadError
from . import _requests as rq
from . import schema
from .schema import ENDPOINTS, FIELDS, PARAMS, Provenance, StatusEncoding

if TYPE_CHECKING:
    from .client import HikeClient
    from .client_async import AsyncHikeClient

__all__ = [
    "Outcome",
    "ProbeEntry",
    "ProbeReport",
    "probe_account",
    "probe_account_async",
]

#: What the live API said about one entry of the schema.
Outcome = Literal["confirmed", "contradicted", "unchecked"]
#: Which table of :mod:`~hikewoo_core.hike.schema` an entry comes from.
Table = Literal["ENDPOINTS", "PARAMS", "FIELDS", "CONSTANTS"]

OUTCOMES: Final[tuple[Outcome, ...]] = ("confirmed", "contradicted", "unchecked")

_SHORT: Final = {
    Provenance.DOCUMENTED: "documented",
    Provenance.THIRD_PARTY: "third-party",
    Provenance.ASSUMED: "assumed",
}

#: model -> (one record, several records), as the report names them.
_NAMES: Final[dict[str, tuple[str, str]]] = {
    "HikeSale": ("sale", "sales"),
    "HikeSaleLine": ("sale line", "sale lines"),
    "HikePayment": ("payment", "payments"),
    "HikeCustomer": ("customer", "customers"),
    "HikeOutlet": ("outlet", "outlets"),
    "HikeRegister": ("register", "registers"),
    "HikeRegisterClosure": ("register closure", "register closures"),
    "HikeProduct": ("product", "products"),
}
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

_PAGING: Final = PARAMS["paging"]
_FUTURE: Final = datetime(2100, 1, 1, tzinfo=timezone.utc)
_PAST: Final = datetime(2000, 1, 1, tzinfo=timezone.utc)
_WRITE: Final = "a write (the probe never sends one)"
_OAUTH: Final = "OAuth2 (the probe uses the access token it is given)"
_NO_REGISTERS: Final = "no endpoint the sync uses returns registers"
#: How alike two names must be (0 to 1) for one to be taken as the other renamed.
_CUTOFF: Final = 0.75


# -- the report (pure) -------------------------------------------------------------------


@attrs.frozen
class ProbeEntry:
    """What the live API said about one entry of :mod:`~hikewoo_core.hike.schema`.

    ``table`` is the schema table (``"FIELDS"``, ``"ENDPOINTS"``, ``"PARAMS"``, or
    ``"CONSTANTS"`` for ``STATUS_ENCODING``); ``group`` the model (``"HikeSale"``), the
    operation of a parameter (``"list_sales"``), ``"endpoint"`` or ``"schema"``;
    ``name`` the attribute, operation, parameter or constant; ``key`` the JSON name
    the schema gives it (``"GET /sales/get"`` for an endpoint). ``found`` is set only
    when the entry is contradicted: the name the API used instead (``None`` when no
    similar name was there) or what it answered (``"HTTP 404"``). ``note`` says how
    the outcome was reached, or why the entry could not be checked.
    """

    table: Table
    group: str
    name: str
    key: str
    provenance: Provenance
    outcome: Outcome
    found: str | None = None
    note: str = ""

    @property
    def label(self) -> str:
        """``HikeSale.modified_at``, ``endpoint read_sale``, ``list_sales.from``..."""
        if self.table == "ENDPOINTS":
            return f"endpoint {self.name}"
        if self.table == "CONSTANTS":
            return self.name
        return f"{self.group}.{self.name}"

    def describe(self) -> str:
        """One line for a person, e.g. ``HikeSale.modified_at: assumed
        'lastModificationTime'; the API sent 'lastModifiedTime' instead``."""
        marked = f"{_SHORT[self.provenance]} {self.key!r}"
        if self.outcome == "contradicted":
            return f"{self.label}: {marked}; {self.note}"
        return f"{self.label} ({marked}): {self.outcome}" + (f"; {self.note}" if self.note else "")

    def as_dict(self) -> dict[str, str | None]:
        """The entry as JSON-safe values (``provenance`` as ``"assumed"`` etc.)."""
        return {
            "table": self.table,
            "group": self.group,
            "name": self.name,
            "label": self.label,
            "key": self.key,
            "provenance": _SHORT[self.provenance],
            "outcome": self.outcome,
            "found": self.found,
            "note": self.note,
        }


@attrs.frozen
class ProbeReport:
    """Every entry of the Hike schema, confirmed, contradicted or unchecked.

    ``records`` counts the records of each model the probe looked at;
    :meth:`explain` is for a person (contradictions first), :meth:`as_dict` for a
    program (JSON-safe).
    """

    entries: tuple[ProbeEntry, ...]
    records: tuple[tuple[str, int], ...] = ()
    base_url: str = ""

    def of(self, outcome: Outcome) -> tuple[ProbeEntry, ...]:
        """The entries with this outcome, in schema order."""
        return tuple(e for e in self.entries if e.outcome == outcome)

    @property
    def confirmed(self) -> tuple[ProbeEntry, ...]:
        """The entries the live API confirmed."""
        return self.of("confirmed")

    @property
    def contradicted(self) -> tuple[ProbeEntry, ...]:
        """The entries the live API contradicted: correct these in the schema."""
        return self.of("contradicted")

    @property
    def unchecked(self) -> tuple[ProbeEntry, ...]:
        """The entries the probe could not check."""
        return self.of("unchecked")

    @property
    def counts(self) -> dict[Outcome, int]:
        """How many entries have each outcome."""
        return {outcome: len(self.of(outcome)) for outcome in OUTCOMES}

    def get(self, label: str) -> ProbeEntry:
        """The entry with this :attr:`ProbeEntry.label`; unknown: :class:`KeyError`."""
        for entry in self.entries:
            if entry.label == label:
                return entry
        raise KeyError(label)

    def explain(self) -> str:
        """The report for a person: counts, contradictions (with what the API used
        instead), what could not be checked and why, then what was confirmed."""
        counts = self.counts
        where = f" ({self.base_url})" if self.base_url else ""
        out = _wrap(
            f"Hike account probe{where}: {counts['confirmed']} confirmed, "
            f"{counts['contradicted']} contradicted, {counts['unchecked']} unchecked.",
            "",
        )
        if self.records:
            looked = ", ".join(
                _count(n, *_NAMES.get(model, (model, model))) for model, n in self.records
            )
            out += _wrap(f"Records looked at: {looked}.", "")
        out.append("")
        if self.contradicted:
            out.append("Contradicted (correct these in hikewoo_core/hike/schema.py):")
            for entry in self.contradicted:
                out += _wrap(entry.describe(), "- ")
        else:
            out.append("Nothing contradicted: every name checked is as the schema says.")
        if self.unchecked:
            out += ["", "Unchecked:"]
            by_note: dict[str, list[str]] = {}
            for entry in self.unchecked:
                by_note.setdefault(entry.note or "not checked", []).append(entry.label)
            for note, labels in by_note.items():
                out += _wrap(f"{', '.join(labels)}: {note}", "- ")
        if self.confirmed:
            out += ["", "Confirmed:"]
            by_group: dict[str, list[str]] = {}
            for entry in self.confirmed:
                group, item = _confirmed_item(entry)
                by_group.setdefault(group, []).append(item)
            for group, items in by_group.items():
                out += _wrap(f"{group}: {', '.join(items)}", "- ")
        return "\n".join(out) + "\n"

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-safe data: ``base_url``, ``counts``, ``records`` (by
        model) and ``entries`` (each :meth:`ProbeEntry.as_dict`)."""
        return {
            "base_url": self.base_url,
            "counts": dict(self.counts),
            "records": dict(self.records),
            "entries": [entry.as_dict() for entry in self.entries],
        }


#: ``explain()`` wraps its lines to fit an 80-column terminal (and a docs code block).
_WIDTH = 78


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _wrap(text: str, bullet: str) -> list[str]:
    return textwrap.wrap(
        text,
        width=_WIDTH,
        initial_indent=bullet,
        subsequent_indent=" " * max(len(bullet), 2),
        break_long_words=False,
        break_on_hyphens=False,
    )


def _confirmed_item(entry: ProbeEntry) -> tuple[str, str]:
    if entry.table == "FIELDS":
        return entry.group, entry.key
    if entry.table == "ENDPOINTS":
        return "endpoints", entry.name
    if entry.table == "PARAMS":
        return "parameters", entry.label
    return "constants", f"{entry.name} = {entry.key!r}"


# -- comparing names (pure) --------------------------------------------------------------


def _normal(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _words(name: str) -> frozenset[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return frozenset(w for w in re.split(r"[^0-9a-z]+", spaced.lower()) if w)


def _similarity(expected: str, candidate: str) -> float:
    """How alike two JSON names are, 0 to 1, ignoring case, ``_`` and word order.

    1 for the same name in another case or style (``firstName`` / ``first_name``),
    0.95 for the same words in another order (``onHandStock`` / ``stockOnHand``),
    else :class:`difflib.SequenceMatcher`'s ratio, at least 0.8 when one name holds
    the other (four letters or more).
    """
    a, b = _normal(expected), _normal(candidate)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    if _words(expected) == _words(candidate):
        return 0.95
    score = difflib.SequenceMatcher(None, a, b).ratio()
    short, long = sorted((a, b), key=len)
    if len(short) >= 4 and short in long:
        score = max(score, 0.8)
    return score


def _closest(expected: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like ``expected`` (see :func:`_similarity`), if alike enough."""
    found = _pair_up([expected], list(candidates))
    return found.get(expected)


def _pair_up(missing: Sequence[str], candidates: Sequence[str]) -> dict[str, str]:
    """Each missing name with the unused candidate most like it (best pairs first)."""
    scored = sorted(
        (
            (_similarity(name, candidate), i, j)
            for i, name in enumerate(missing)
            for j, candidate in enumerate(candidates)
        ),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    paired: dict[str, str] = {}
    used: set[int] = set()
    for score, i, j in scored:
        if score < _CUTOFF:
            break
        if missing[i] in paired or j in used:
            continue
        paired[missing[i]] = candidates[j]
        used.add(j)
    return paired


@attrs.frozen
class _Verdict:
    outcome: Outcome
    found: str | None = None
    note: str = ""


def _compare(model: str, records: Sequence[Mapping[str, Any]], why: str) -> dict[str, _Verdict]:
    """The verdict on each JSON name of ``model`` given records of it (pure).

    A name in any record is confirmed; a name in none is contradicted, naming the
    unexplained key most like it when there is one; without records, unchecked.
    """
    fields = FIELDS[model]
    one, many = _NAMES[model]
    if not records:
        return {
            attr: _Verdict("unchecked", None, f"no {many} to look at: {why}") for attr in fields
        }
    seen: dict[str, int] = {}
    for record in records:
        for key in record:
            seen[key] = seen.get(key, 0) + 1
    known = {f.key for f in fields.values()}
    missing = [f.key for f in fields.values() if f.key not in seen]
    renamed = _pair_up(missing, [k for k in seen if k not in known])
    n = len(records)
    out: dict[str, _Verdict] = {}
    for attr, f in fields.items():
        if f.key in seen:
            out[attr] = _Verdict("confirmed", None, f"in {seen[f.key]} of {_count(n, one, many)}")
        elif f.key in renamed:
            instead = renamed[f.key]
            out[attr] = _Verdict("contradicted", instead, f"the API sent {instead!r} instead")
        else:
            out[attr] = _Verdict(
                "contradicted", None, f"absent from the {_count(n, one, many)} read"
            )
    return out


def _first_of(verdicts: Sequence[_Verdict]) -> _Verdict | None:
    """Merge what several reads said: a contradiction wins, then a confirmation."""
    for outcome in ("contradicted", "confirmed", "unchecked"):
        for verdict in verdicts:
            if verdict.outcome == outcome:
                return verdict
    return None


def _records_in(body: Any) -> list[dict[str, Any]]:
    """The JSON objects of an answer: one object, an array of them, or a page."""
    items_key = _PAGING["items"].key
    if isinstance(body, dict) and isinstance(body.get(items_key), list):
        body = body[items_key]
    if isinstance(body, dict):
        return [body]
    if isinstance(body, list):
        return [item for item in body if isinstance(item, dict)]
    return []


def _json_kind(body: Any) -> str:
    if body is None:
        return "an empty body"
    if isinstance(body, list):
        return "a JSON array"
    if isinstance(body, dict):
        return "a JSON object"
    return f"a JSON {type(body).__name__}"


def _when(value: object) -> datetime | None:
    try:
        return parse_utc(value)
    except ValueError:
        return None


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
            text = "no product SKU to look up"
            self.endpoint("product_by_sku", "unchecked", None, text)
            self.param("product_by_sku", "sku", "unchecked", None, text)
            return
        answer = yield rq.product_by_sku_request(self.base_url, sku)
        if not answer.ok:
            context = f" for a SKU just listed (no such endpoint, or no {param_key!r})"
            self.failed("product_by_sku", answer, context)
            self.param("product_by_sku", "sku", "unchecked", None, f"answered {answer.text}")
            return
        self.endpoint("product_by_sku", "confirmed", None, "answered HTTP 200")
        found = _records_in(answer.body)
        match = [r for r in found if r.get(sku_key) == sku]
        if match:
            self.param("product_by_sku", "sku", "confirmed", None, "answered the SKU asked for")
            self.keep("HikeProduct", match[0], again=True)
        else:
            got = _count(len(found), "other product", "other products")
            text = f"asked for a SKU with {param_key!r}, the API answered {got}"
            self.param("product_by_sku", "sku", "contradicted", got, text)

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
            self.endpoint("find_customer", "unchecked", None, text)
            self.param("find_customer", "email", "unchecked", None, text)
            return
        answer = yield rq.customer_request(self.base_url, email)
        if not answer.ok:
            context = f" for {source} (no such endpoint, or no customer by that email)"
            self.failed("find_customer", answer, context)
            self.param("find_customer", "email", "unchecked", None, f"answered {answer.text}")
            return
        self.endpoint("find_customer", "confirmed", None, "answered HTTP 200")
        found = _records_in(answer.body)
        match = [
            r
            for r in found
            if isinstance(r.get(email_key), str) and r[email_key].lower() == email.lower()
        ]
        if match:
            text = f"answered the customer of {source}"
            self.param("find_customer", "email", "confirmed", None, text)
            self.keep("HikeCustomer", match[0], again=True)
        elif found:
            got = _count(len(found), "other customer", "other customers")
            text = f"asked for {source} with {param_key!r}, the API answered {got}"
            self.param("find_customer", "email", "contradicted", got, text)
        else:
            text = f"the API answered no customer for {source}"
            self.param("find_customer", "email", "unchecked", None, text)

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


def _answer_of(exc: ApiError | PayloadError) -> _Answer:
    if isinstance(exc, PayloadError):
        return _Answer(200, None, "an answer that is not JSON")
    if exc.status == 401:  # the token itself: no fact about the schema
        raise exc
    return _Answer(exc.status, None, exc.api_message)


def _done(stop: StopIteration) -> ProbeReport:
    report: ProbeReport = stop.value
    return report


def probe_account(client: HikeClient, *, limit: int = 3, email: str | None = None) -> ProbeReport:
    """Read a few records of each kind the sync uses and check the schema against them.

    Sends only ``GET`` requests (about a dozen; ``limit`` records per list, 1 to 500):
    the active outlets, a page each of sales, products and register closures, the
    second page of one list, windows that should list nothing, and one lookup each by
    id, SKU and email (the email of a customer on a sale read, or ``email``). Never a
    create, an update or a status change. Returns a :class:`ProbeReport` listing every
    entry of :mod:`~hikewoo_core.hike.schema` as confirmed, contradicted or unchecked.

    A refused access token raises :class:`~hikewoo_core.AuthenticationError`; other
    error answers (404 and the like) are facts, reported on their entries.
    """
    encoding = client.status_encoding or schema.STATUS_ENCODING
    steps = _Probe(client.base_url, limit, email, encoding).run()
    try:
        request = next(steps)
        while True:
            try:
                answer = _Answer(200, client._json(_readable(request), "Hike probe"))
            except (ApiError, PayloadError) as exc:
                answer = _answer_of(exc)
            request = steps.send(answer)
    except StopIteration as stop:
        return _done(stop)


async def probe_account_async(
    client: AsyncHikeClient, *, limit: int = 3, email: str | None = None
) -> ProbeReport:
    """:func:`probe_account` through an :class:`~hikewoo_core.hike.AsyncHikeClient`."""
    encoding = client.status_encoding or schema.STATUS_ENCODING
    steps = _Probe(client.base_url, limit, email, encoding).run()
    try:
        request = next(steps)
        while True:
            try:
                answer = _Answer(200, await client._json(_readable(request), "Hike probe"))
            except (ApiError, PayloadError) as exc:
                answer = _answer_of(exc)
            request = steps.send(answer)
    except StopIteration as stop:
        return _done(stop)
