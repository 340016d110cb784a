"""The public surface: explicit, sorted-by-group ``__all__``, importable, versioned."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

import hikewoo_core


def test_all_names_exist() -> None:
    for name in hikewoo_core.__all__:
        assert hasattr(hikewoo_core, name), name
    assert len(set(hikewoo_core.__all__)) == len(hikewoo_core.__all__)


def test_every_public_class_and_function_is_exported() -> None:
    public = {
        name
        for name, obj in vars(hikewoo_core).items()
        if not name.startswith("_")
        and callable(obj)
        and getattr(obj, "__module__", "").startswith("hikewoo_core")
    }
    assert public <= set(hikewoo_core.__all__)


def test_version_matches_metadata() -> None:
    assert hikewoo_core.__version__ == version("hikewoo-core")


def test_core_never_imports_httpx() -> None:
    """Importing the models, converters, mapping and planner loads no httpx."""
    code = (
        "import sys, hikewoo_core, hikewoo_core.woo, hikewoo_core.hike;"
        "import hikewoo_core.woo.models, hikewoo_core.hike.schema;"
        "print('httpx' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_py_typed_is_shipped() -> None:
    from importlib.resources import files

    assert files("hikewoo_core").joinpath("py.typed").is_file()
