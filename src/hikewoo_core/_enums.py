"""The base of the library's string enums (pure)."""

from __future__ import annotations

from enum import Enum

__all__ = ["TextEnum"]


class TextEnum(str, Enum):
    """A ``str`` enum whose ``str()`` and ``format()`` are its value, on every Python.

    Members compare equal to their plain strings (``WooStatus.COMPLETED ==
    "completed"``) and print as them (``f"{WooStatus.COMPLETED}"`` is ``completed``), as
    :class:`enum.StrEnum` does from Python 3.11 on; written once here for 3.10.
    """

    def __str__(self) -> str:
        text: str = self._value_  # not .value: a slow descriptor on 3.11
        return text

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)
