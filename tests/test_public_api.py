"""The public surface has two tiers, and every public name is importable and documented.

The tiers: ``hikewoo_core`` itself, and its subpackages ``woo``, ``hike`` and
``testing``. Every other module is private (a name part starts with ``_``). Each name
in a tier's ``__all__`` can be imported from that tier and has its own ``:::`` entry in
the API reference (``docs/api/``) under that tier's path, and every entry there names a
public path, never a private module.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from types import ModuleType

import pytest

import hikewoo_core

TIERS = ("hikewoo_core", "hikewoo_core.woo", "hikewoo_core.hike", "hikewoo_core.testing")
API_DOCS = Path(__file__).resolve().parent.parent / "docs" / "api"
ENTRY = re.compile(r"^:::\s+(\S+)", re.MULTILINE)


def _tier(name: str) -> ModuleType:
    return importlib.import_module(name)


def _documented() -> set[str]:
    return {m for page in API_DOCS.glob("*.md") for m in ENTRY.findall(page.read_text())}


def test_every_module_outside_the_tiers_is_private() -> None:
    public = [
        info.name
        for info in pkgutil.walk_packages(hikewoo_core.__path__, "hikewoo_core.")
        if info.name not in TIERS
        and not any(part.startswith("_") for part in info.name.split(".")[1:])
    ]
    assert public == []


@pytest.mark.parametrize("tier", TIERS)
def test_every_exported_name_exists_once(tier: str) -> None:
    module = _tier(tier)
    names = module.__all__
    assert len(set(names)) == len(names)
    for name in names:
        assert getattr(module, name) is not None, f"{tier}.{name}"


@pytest.mark.parametrize("tier", TIERS)
def test_every_public_class_and_function_of_a_tier_is_exported(tier: str) -> None:
    module = _tier(tier)
    public = {
        name
        for name, obj in vars(module).items()
        if not name.startswith("_")
        and callable(obj)
        and getattr(obj, "__module__", "").startswith("hikewoo_core")
    }
    assert public <= set(module.__all__)


@pytest.mark.parametrize("tier", TIERS)
def test_every_exported_name_is_documented_under_its_tier(tier: str) -> None:
    documented = _documented()
    if tier in documented:  # the page renders the whole tier
        return
    module = _tier(tier)
    missing = [
        name
        for name in module.__all__
        # a name two tiers export (WooOrder: hikewoo_core and hikewoo_core.woo) is
        # documented once, under either
        if not any(
            f"{other}.{name}" in documented and getattr(_tier(other), name, None) is obj
            for other in TIERS
            for obj in [getattr(module, name)]
        )
    ]
    assert missing == [], f"not in docs/api/ as '::: {tier}.<name>'"


def test_the_api_reference_names_only_public_paths() -> None:
    for entry in sorted(_documented()):
        assert not any(part.startswith("_") for part in entry.split(".")), entry
        tier, _, name = entry.rpartition(".")
        if entry in TIERS:
            continue
        assert tier in TIERS, entry
        assert name in _tier(tier).__all__, entry


def test_docs_and_docstrings_cite_no_private_module() -> None:
    """Prose and docstrings point readers at the public path of a name."""
    root = API_DOCS.parent.parent
    private = re.compile(r"hikewoo_core(?:\.[a-z]+)*\._[a-z]\w*")
    where = [*root.glob("docs/**/*.md"), root / "README.md", *root.glob("examples/*.py")]
    hits = [
        f"{path.relative_to(root)}: {m.group(0)}"
        for path in where
        if path.name != "changelog.md"
        for m in private.finditer(path.read_text())
    ]
    # internals that the performance and reliability pages explain
    allowed = (
        "hikewoo_core._json",
        "hikewoo_core._fastgen",
        "hikewoo_core.testing._woo_oauth_check",
    )
    assert [h for h in hits if not h.endswith(allowed)] == []


def test_version_matches_metadata() -> None:
    assert hikewoo_core.__version__ == version("hikewoo-core")


def test_importing_the_package_loads_neither_httpx_nor_sqlite3() -> None:
    """The models, converters, mapping and planner load no httpx; the durable ledgers
    (sqlite3, psycopg) and the clients are imported on first use."""
    code = (
        "import sys, hikewoo_core, hikewoo_core.woo, hikewoo_core.hike;"
        "print(sorted(m for m in ('httpx', 'sqlite3', 'psycopg') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_lazy_names_load_on_first_use() -> None:
    code = (
        "import sys, hikewoo_core, hikewoo_core.woo;"
        "hikewoo_core.SqliteLedger; hikewoo_core.woo.WooClient;"
        "print(sorted(m for m in ('httpx', 'sqlite3') if m in sys.modules),"
        " 'SqliteLedger' in dir(hikewoo_core))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['httpx', 'sqlite3'] True"


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = hikewoo_core.Nope  # type: ignore[attr-defined]


def test_py_typed_is_shipped() -> None:
    from importlib.resources import files

    assert files("hikewoo_core").joinpath("py.typed").is_file()
