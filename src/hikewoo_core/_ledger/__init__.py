"""The sync ledger: what has been linked, what was about to be written, who holds what (shell).

Implementations of :class:`hikewoo_core.LedgerPort`, observably identical:

- :class:`MemoryLedger`: dicts under a lock, for tests and one-shot runs.
- :class:`SqliteLedger`: one SQLite file (WAL, ``synchronous=FULL``), durable and
  safe to share between threads and processes; versioned schema
  (:data:`SCHEMA_VERSION`), migrated on open.

The durable ledgers are imported on first use, so importing the package does not load
``sqlite3``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports as _lazy_exports
from ._memory import MemoryLedger

if TYPE_CHECKING:
    from ._sqlite import SCHEMA_VERSION, SqliteLedger

__all__ = ["SCHEMA_VERSION", "MemoryLedger", "SqliteLedger"]

if not TYPE_CHECKING:  # a type checker sees the imports above, and a typo as an error
    __getattr__, __dir__ = _lazy_exports(
        __name__, {"SCHEMA_VERSION": "._sqlite", "SqliteLedger": "._sqlite"}, __all__
    )
