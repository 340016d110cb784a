"""Locate the read-only ``shared/`` folder that CI places beside the clone."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest


def shared_dir() -> Path:
    """``shared/`` beside the repository (``<clone>/../shared``), or ``$HIKEWOO_SHARED_DIR``."""
    override = os.environ.get("HIKEWOO_SHARED_DIR")
    return Path(override) if override else Path(__file__).resolve().parents[2] / "shared"


SHARED = shared_dir()
WOO_FIXTURES = SHARED / "fixtures" / "woocommerce"
DOCS_EXAMPLES = WOO_FIXTURES / "docs-examples"
REAL = WOO_FIXTURES / "real-10.0.2"

requires_shared = pytest.mark.skipif(
    not WOO_FIXTURES.is_dir(),
    reason=f"shared fixtures not found at {WOO_FIXTURES} (CI places shared/ beside the clone)",
)


def load(path: Path) -> Any:
    """Read a JSON fixture."""
    return json.loads(path.read_text(encoding="utf-8"))
