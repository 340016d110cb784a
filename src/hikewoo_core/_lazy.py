"""Names a package exports but imports on first use (so ``import hikewoo_core`` stays light).

The clients import httpx and the durable ledgers import ``sqlite3`` or psycopg; a package
lists such names in a table of ``name -> module`` and installs the ``__getattr__`` and
``__dir__`` this module builds (PEP 562). Type checkers see the names through the
package's ``if TYPE_CHECKING:`` imports.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from importlib import import_module
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, table: Mapping[str, str], public: Iterable[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return ``(__getattr__, __dir__)`` for ``package``.

    ``table`` maps each lazily exported name to the module (relative to ``package``)
    that defines it. The first access imports that module and caches the value in the
    package's namespace, so later accesses cost nothing.
    """
    names = sorted(set(public))

    def __getattr__(name: str) -> Any:  # noqa: N807 (installed as the module's)
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module, package), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:  # noqa: N807
        return sorted(set(vars(sys.modules[package])) | set(names))

    return __getattr__, __dir__
