"""The package reads right on an index page: one licence, project URLs, a README whose
links work away from the repository, and the two commands that run from a clone."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest depends on tomli before 3.11
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS_SITE = "https://hikewoo.github.io/hikewoo-core/"
REPOSITORY = "https://github.com/hikewoo/hikewoo-core"

#: The README's two set-up-and-go commands, run from a clone (CI and the project's rules
#: depend on them): wrapped for width in the README, these once their lines are joined.
QUICKSTART = (
    "python3 -m venv .venv && .venv/bin/pip install -q -U pip && "
    ".venv/bin/pip install -q -e . && .venv/bin/python examples/quickstart.py"
)
TESTS = (
    "python3 -m venv .venv && .venv/bin/pip install -q -U pip && "
    ".venv/bin/pip install -q -e . --group tests && .venv/bin/python -m pytest"
)


@pytest.fixture(scope="module")
def pyproject() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


def links(markdown: str) -> list[str]:
    """Every link and image target: inline, reference-style, autolinks and HTML."""
    inline = re.findall(r"\]\(\s*<?([^)\s>]+)", markdown)
    reference = re.findall(r"^\s*\[[^\]]+\]:\s*<?(\S+?)>?\s*$", markdown, re.MULTILINE)
    auto = re.findall(r"<(https?://[^>\s]+)>", markdown)
    html = re.findall(r"""(?:href|src)\s*=\s*["']([^"']+)""", markdown)
    return inline + reference + auto + html


def slug(heading: str) -> str:
    """The anchor MkDocs (Python-Markdown's toc) gives a heading."""
    text = re.sub(r"[`*]", "", heading)
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def test_the_licence_is_declared_once(pyproject: dict[str, Any]) -> None:
    project = pyproject["project"]
    assert project["license"] == "MIT"  # a PEP 639 SPDX expression, not a table
    assert project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").is_file()
    licence_classifiers = [c for c in project["classifiers"] if c.startswith("License ::")]
    assert licence_classifiers == [], "PEP 639: the expression replaces License classifiers"


def test_the_project_urls_point_at_the_repository_and_the_docs(
    pyproject: dict[str, Any],
) -> None:
    urls = pyproject["project"]["urls"]
    assert set(urls) == {"Homepage", "Documentation", "Source", "Changelog", "Issues"}
    assert all(url.startswith("https://") for url in urls.values()), urls
    assert urls["Documentation"] == DOCS_SITE
    assert urls["Source"] == REPOSITORY
    assert urls["Issues"] == f"{REPOSITORY}/issues"
    assert urls["Changelog"].startswith(DOCS_SITE)
    mkdocs = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert re.search(rf"^site_url: {re.escape(DOCS_SITE)}$", mkdocs, re.MULTILINE)
    assert re.search(rf"^repo_url: {re.escape(REPOSITORY)}$", mkdocs, re.MULTILINE)


def test_the_readme_has_no_relative_links() -> None:
    found = links(README)
    assert found, "the link pattern finds nothing: it is broken"
    relative = [t for t in found if not re.match(r"(https?://|mailto:|#)", t)]
    assert relative == [], f"links that break on an index page: {relative}"


def test_the_readme_links_to_pages_and_anchors_the_docs_site_has() -> None:
    to_docs = [t for t in links(README) if t.startswith(DOCS_SITE)]
    assert len(to_docs) >= 10
    for target in to_docs:
        path, _, anchor = target.removeprefix(DOCS_SITE).partition("#")
        assert path == "" or path.endswith("/"), f"{target}: pages are directories"
        page = ROOT / "docs" / (path.rstrip("/") or "index")
        source = page / "index.md" if page.is_dir() else page.with_suffix(".md")
        assert source.is_file(), f"{target}: no docs page {source.relative_to(ROOT)}"
        if anchor:
            text = source.read_text(encoding="utf-8")
            headings = re.findall(r"^#{1,6} (.+?)\s*$", text, re.MULTILINE)
            assert anchor in {slug(h) for h in headings}, f"{target}: no such heading"


def test_the_readme_installs_from_the_index(pyproject: dict[str, Any]) -> None:
    assert f"`pip install {pyproject['project']['name']}`" in README


def test_the_two_commands_run_from_a_clone_exactly_as_ci_knows_them() -> None:
    blocks = re.findall(r"```sh\n(.*?)```", README, re.DOTALL)
    commands = [re.sub(r"\s*\\\n\s*", " ", block).strip() for block in blocks]
    assert commands == [QUICKSTART, TESTS]
    assert all(len(line) <= 80 for block in blocks for line in block.splitlines())
    assert "from a clone" in README


def test_every_group_install_upgrades_pip_first() -> None:
    """``--group`` needs pip 25.1+; a fresh venv's pip is older and fails on it."""
    spans = re.findall(r"`([^`\n]+)`", README)
    spans += [re.sub(r"\s*\\\n\s*", " ", b) for b in re.findall(r"```sh\n(.*?)```", README, re.S)]
    installs = [s for s in spans if "--group" in s and "pip install" in s]
    assert installs, "no pip install --group line found"
    for command in installs:
        before = command[: command.index("--group")]
        assert "install -q -U pip" in before or "install -U pip" in before, command


def test_the_examples_group_is_part_of_dev(pyproject: dict[str, Any]) -> None:
    groups = pyproject["dependency-groups"]
    assert any(r.startswith("tqdm") for r in groups["examples"])
    assert {"include-group": "examples"} in groups["dev"]
