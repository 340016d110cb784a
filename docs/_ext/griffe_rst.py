"""A Griffe extension that renders the reST habits of our docstrings as Markdown.

The docstrings are written for people reading the source and for ``help()``: Sphinx
roles (``:class:`~hikewoo_core.Syncer```), ``Example::`` literal blocks and ``>>>``
doctests. mkdocstrings renders docstrings as Markdown, where those come out as stray
colons and nested block quotes. Before rendering, this extension rewrites, in every
docstring of the package:

- a role into a code span that links to the object's API entry when it has one
  (an *optional* autoref: no link, and no warning, for ``decimal.Decimal`` and other
  objects the site does not document); ``~`` keeps only the last name, as in Sphinx;
- a paragraph ending in ``::`` and the indented block after it into a fenced block;
- a run of ``>>>`` lines (with their ``...`` continuations and output) into a fenced
  ``pycon`` block.

Loaded by ``mkdocs.yml`` (``extensions: [docs/_ext/griffe_rst.py]``); docs tooling only.
"""

from __future__ import annotations

import ast
import html
import re
import textwrap
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|meth|func|attr|data|mod|obj|exc|const):`([^`]+)`")
_FENCE = "```"


def _lookup(scope: griffe.Object, name: str) -> griffe.Object | griffe.Alias | None:
    try:
        found: griffe.Object | griffe.Alias = scope[name]
    except (KeyError, ValueError, griffe.AliasResolutionError, griffe.CyclicAliasError):
        return None
    return found


def _canonical(obj: griffe.Object, name: str) -> str | None:
    """The canonical path of ``name`` as seen from ``obj``, or None if unknown."""
    root = obj.package
    target = None
    if name.startswith(f"{root.name}."):
        target = _lookup(root, name[len(root.name) + 1 :])
    else:
        scope: griffe.Object | None = obj
        while scope is not None and target is None:
            target = _lookup(scope, name)
            scope = scope.parent
    if target is None:
        return None
    try:
        return target.canonical_path
    except (griffe.AliasResolutionError, griffe.CyclicAliasError):
        return None


def _roles(obj: griffe.Object, text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        raw = match[1].strip()
        name = raw.lstrip("~").rstrip("()")
        shown = name.rsplit(".", 1)[-1] if raw.startswith("~") else name
        code = f"<code>{html.escape(shown)}</code>"
        path = _canonical(obj, name)
        if path is None:
            return code
        return f'<autoref identifier="{html.escape(path)}" optional>{code}</autoref>'

    return _ROLE.sub(replace, text)


def _language(block: str) -> str:
    try:
        ast.parse(block)
    except SyntaxError:
        return "text"
    return "python"


def _blocks(text: str) -> str:
    """``::`` literal blocks and ``>>>`` doctest runs into fenced blocks."""
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.endswith("::") and i + 1 < len(lines) and not lines[i + 1].strip():
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            indent = len(line) - len(line.lstrip())
            body: list[str] = []
            while j < len(lines) and (
                not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > indent
            ):
                body.append(lines[j])
                j += 1
            while body and not body[-1].strip():
                body.pop()
            if body:
                head = line.rstrip()[:-2].rstrip()
                block = textwrap.dedent("\n".join(body))
                pad = " " * indent
                if head.strip():
                    out += [f"{head}:", ""]
                out.append(f"{pad}{_FENCE}{_language(block)}")
                out += [f"{pad}{b}" if b else "" for b in block.splitlines()]
                out += [f"{pad}{_FENCE}", ""]
                i = j
                continue
        if stripped.startswith(">>>"):
            pad = line[: len(line) - len(line.lstrip())]
            run: list[str] = []
            while i < len(lines) and lines[i].strip():
                run.append(lines[i][len(pad) :] if lines[i].startswith(pad) else lines[i])
                i += 1
            out += [f"{pad}{_FENCE}pycon", *(f"{pad}{r}" for r in run), f"{pad}{_FENCE}"]
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


def _walk(obj: griffe.Object, seen: set[str]) -> None:
    if obj.path in seen:
        return
    seen.add(obj.path)
    if obj.docstring is not None:
        obj.docstring.value = _roles(obj, _blocks(obj.docstring.value))
    for member in obj.members.values():
        if not member.is_alias and isinstance(member, griffe.Object):
            _walk(member, seen)


class RstToMarkdown(griffe.Extension):
    """Rewrite roles, literal blocks and doctests once the whole package is loaded."""

    def __init__(self) -> None:
        super().__init__()
        self._done: set[str] = set()

    def _once(self, pkg: griffe.Module) -> None:
        if pkg.path not in self._done:
            self._done.add(pkg.path)
            _walk(pkg, set())

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Griffe 2 hook."""
        self._once(pkg)

    def on_package_loaded(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Griffe 1 hook."""
        self._once(pkg)
