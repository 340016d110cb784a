"""The layering is enforced, not labelled: import-linter's contracts (``pyproject.toml``,
``[tool.importlinter]``) hold. The core (models, parsers, mapping, refunds, planner,
plans, translation, settings, serial numbers, money) imports no httpx, ``sqlite3``,
``threading``, client, ledger or executor; the fakes import no client and no ``Syncer``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _lint_imports() -> str:
    found = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if found is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("import-linter is not installed (the tests and lint groups bring it)")
        pytest.skip("import-linter is not installed: pip install --group lint")
    return found


def test_the_import_contracts_hold() -> None:
    out = subprocess.run(
        [_lint_imports(), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout


def test_a_broken_contract_is_caught(tmp_path: Path) -> None:
    """The check can fail: a contract that the code breaks (the planner imports attrs)
    is reported broken."""
    config = tmp_path / "contracts.toml"
    config.write_text(
        "[tool.importlinter]\n"
        'root_package = "hikewoo_core"\n'
        "include_external_packages = true\n"
        "[[tool.importlinter.contracts]]\n"
        'name = "the planner imports no attrs"\n'
        'type = "forbidden"\n'
        'source_modules = ["hikewoo_core._planner"]\n'
        'forbidden_modules = ["attrs"]\n'
    )
    out = subprocess.run(
        [_lint_imports(), "--no-cache", "--config", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 1
    assert "1 broken" in out.stdout
