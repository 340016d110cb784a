"""The sync ledger: what has been linked, what was about to be written, who holds what (shell).

Two implementations of :class:`hikewoo_core.ports.LedgerPort`, observably identical:

- :class:`MemoryLedger`: dicts under a lock, for tests and one-shot runs.
- :class:`SqliteLedger`: one SQLite file (WAL, ``synchronous=FULL``), durable and
  safe to share between threads and processes; versioned schema
  (:data:`SCHEMA_VERSION`), migrated on open.

Standard library only (``sqlite3``, ``threading``, ``json``, ``datetime``).
"""

from __future__ import annotations

from ._memory import MemoryLedger
from ._sqlite import SCHEMA_VERSION, SqliteLedger

__all__ = ["SCHEMA_VERSION", "MemoryLedger", "SqliteLedger"]
