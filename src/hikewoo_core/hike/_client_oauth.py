"""OAuth2 token requests to Hike: exchange a code, refresh tokens (shell: does I/O).

They are written once, with the clients, in :mod:`._client_async` (the synchronous
ones generated into :mod:`._client`); this module gathers the four. The pure parts
(authorization URL, :class:`~hikewoo_core.hike.Tokens`, request building and response
parsing) are in :mod:`hikewoo_core.hike._oauth`.
"""

from __future__ import annotations

from ._client import exchange_code, refresh_tokens
from ._client_async import exchange_code_async, refresh_tokens_async

__all__ = ["exchange_code", "exchange_code_async", "refresh_tokens", "refresh_tokens_async"]
