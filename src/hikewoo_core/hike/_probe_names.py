"""The probe's comparison of the names the live API used with the schema's (pure)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

import attrs

from .._convert import parse_utc
from ._probe_report import _NAMES, Outcome, _count
from ._schema import FIELDS, PARAMS

_PAGING: Final = PARAMS["paging"]
#: How alike two names must be (0 to 1) for one to be taken as the other renamed.
_CUTOFF: Final = 0.75


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
