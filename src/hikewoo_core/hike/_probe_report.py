"""The probe's report: one entry per name of the Hike schema, and its renderings (pure)."""

from __future__ import annotations

import textwrap
from typing import Any, Final, Literal

import attrs

from ._schema import Provenance

#: What the live API said about one entry of the schema.
Outcome = Literal["confirmed", "contradicted", "unchecked"]
#: Which table of :mod:`~hikewoo_core.hike._schema` an entry comes from.
Table = Literal["ENDPOINTS", "PARAMS", "FIELDS", "CONSTANTS"]

OUTCOMES: Final[tuple[Outcome, ...]] = ("confirmed", "contradicted", "unchecked")


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

_SHORT: Final = {
    Provenance.DOCUMENTED: "documented",
    Provenance.THIRD_PARTY: "third-party",
    Provenance.ASSUMED: "assumed",
}


@attrs.frozen
class ProbeEntry:
    """What the live API said about one entry of :mod:`~hikewoo_core.hike._schema`.

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
            out.append("Contradicted (correct these in hikewoo_core/hike/_schema.py):")
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
