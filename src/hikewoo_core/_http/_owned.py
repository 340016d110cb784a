"""Ownership of the httpx client, shared by the four HTTP clients.

A client passed in by the caller is the caller's: it is never closed here. A client
created for the caller is closed by :meth:`close` / ``with`` (or :meth:`aclose` /
``async with``).
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, TypeVar

import httpx

from .._closing import Closing
from ._io import default_async_client, default_client, warn_if_unverified

__all__ = ["OwnedAsyncClient", "OwnedClient"]

_A = TypeVar("_A", bound="OwnedAsyncClient")


class OwnedClient(Closing):
    """Holds a synchronous ``httpx.Client`` in ``_http`` and closes it only if it made it."""

    _http: httpx.Client
    _owns_client: bool

    def _own(self, client: httpx.Client | None, url: str = "", **options: Any) -> None:
        """Use the caller's ``client``, or make one with the library's defaults.

        A caller's client that does not verify certificates for an ``https`` ``url`` is
        warned about, once per client (see :func:`warn_if_unverified`).
        """
        self._owns_client = client is None
        self._http = client if client is not None else default_client(**options)
        if client is not None:
            warn_if_unverified(client, url, type(self).__name__)

    def close(self) -> None:
        """Close the httpx client if this object created it (a caller's is left open)."""
        if self._owns_client:
            self._http.close()


class OwnedAsyncClient:
    """Holds an ``httpx.AsyncClient`` in ``_http`` and closes it only if it made it."""

    _http: httpx.AsyncClient
    _owns_client: bool

    def _own(self, client: httpx.AsyncClient | None, url: str = "", **options: Any) -> None:
        """Use the caller's ``client``, or make one with the library's defaults (see
        :meth:`OwnedClient._own`)."""
        self._owns_client = client is None
        self._http = client if client is not None else default_async_client(**options)
        if client is not None:
            warn_if_unverified(client, url, type(self).__name__)

    async def aclose(self) -> None:
        """Close the httpx client if this object created it (a caller's is left open)."""
        if self._owns_client:
            await self._http.aclose()

    async def __aenter__(self: _A) -> _A:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
