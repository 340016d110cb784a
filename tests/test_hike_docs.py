"""``docs/hike.md`` embeds the provenance table generated from ``hike/schema.py``."""

from __future__ import annotations

import re
from pathlib import Path

from hikewoo_core.hike._schema import ENDPOINTS, FIELDS, PARAMS, schema_markdown

DOCS = Path(__file__).resolve().parents[1] / "docs" / "hike.md"


def test_docs_embed_the_generated_schema_table() -> None:
    """Fails when docs/hike.md and hike/schema.py drift apart: paste schema_markdown()."""
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(r"<!-- hike-schema:start -->\n(.*?)<!-- hike-schema:end -->", text, re.DOTALL)
    assert match, "docs/hike.md lacks the hike-schema markers"
    assert match.group(1) == schema_markdown()


def test_the_table_lists_every_entry_with_its_provenance() -> None:
    md = schema_markdown()
    for op, endpoint in ENDPOINTS.items():
        assert f"| `{op}` | `{endpoint.method} {endpoint.path}` |" in md
    for fields in (*FIELDS.values(), *PARAMS.values()):
        for field in fields.values():
            assert f"`{field.key}`" in md
    assert "| `read_sale` | `GET /sales/get` | **assumed** |" in md
    assert "| `list_outlets` | `GET /outlets/get_all_active` | documented |" in md
