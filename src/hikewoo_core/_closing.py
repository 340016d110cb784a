"""``with obj:`` closes ``obj``: the one context-manager protocol of the ledgers and the
synchronous clients (pure)."""

from __future__ import annotations

from types import TracebackType
from typing import TypeVar

__all__ = ["Closing"]

_C = TypeVar("_C", bound="Closing")


class Closing:
    """A base for objects with a ``close()``: ``with`` returns the object and closes it
    at the end, whether the block raised or not."""

    def close(self) -> None:
        """Release what the object holds (subclasses say what)."""

    def __enter__(self: _C) -> _C:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
