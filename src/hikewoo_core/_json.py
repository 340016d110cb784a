"""The JSON decoder the parsers and clients use by default (pure, private).

:func:`loads` is :func:`orjson.loads` when orjson is importable (``pip install
hikewoo-core[fast]``), else :func:`json.loads`. Either way it returns exactly what
:func:`json.loads` returns, and refuses exactly what it refuses, with its message:
orjson is only ever a faster way to the same result.

Where the two decoders differ, :func:`json.loads` decides:

- orjson refuses what :mod:`json` reads: ``NaN``, ``Infinity``, numbers too large for a
  double (``1e400``), lone surrogates (``"\\ud800"``), a UTF-8 byte order mark, UTF-16
  and UTF-32 bytes, nesting deeper than 1,024. On any orjson refusal the bytes are
  decoded again by :func:`json.loads`, which reads them as before or raises its own
  error (so a :class:`~hikewoo_core.PayloadError` says what it always said).
- orjson reads an integer outside 64 bits (``18446744073709551616``) as a *float*;
  :mod:`json` reads it exactly, as an ``int``. Such an integer has at least 19 digits,
  so a document with a run of 19 digits or more (anywhere, in strings too) is decoded
  by :func:`json.loads` from the start. Looking for the run costs about 0.8 ns a byte
  (a ``bytes.translate``), against about 3 ns a byte for orjson and 7 for ``json``.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from typing import Any

__all__ = ["BACKEND", "json_loads", "loads"]

json_loads: Callable[[str | bytes], Any] = json.loads

#: Every ASCII digit becomes ``0`` and every other byte a space, so that a run of
#: digits is a run of zeros.
_DIGITS = bytes(0x30 if 0x30 <= i <= 0x39 else 0x20 for i in range(256))
#: The shortest integer orjson may read as a float: ``-9223372036854775809`` (19 digits).
_LONG_RUN = b"0" * 19


def _loads_with(orjson_loads: Callable[[str | bytes], Any]) -> Callable[[str | bytes], Any]:
    def loads(data: str | bytes) -> Any:
        """:func:`json.loads`, through orjson where that gives the same result."""
        try:
            raw = data.encode() if type(data) is str else data
            if _LONG_RUN not in raw.translate(_DIGITS):
                return orjson_loads(data)
        except ValueError:  # orjson's JSONDecodeError, or a str with a lone surrogate
            pass
        return json_loads(data)

    return loads


try:
    # By name, so that type checkers need no orjson (an optional dependency).
    _orjson = importlib.import_module("orjson")
except ImportError:
    BACKEND = "json"
    loads: Callable[[str | bytes], Any] = json_loads
else:
    BACKEND = "orjson"
    loads = _loads_with(_orjson.loads)
