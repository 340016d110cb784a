"""Run the Python code blocks of the README and docs/ as tests (sybil)."""

from __future__ import annotations

import os
import tempfile
from typing import Any

from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser


def _setup(namespace: dict[str, Any]) -> None:
    namespace["__cwd"] = os.getcwd()
    namespace["__tmp"] = tempfile.TemporaryDirectory()
    os.chdir(namespace["__tmp"].name)  # files the examples create land in a temp dir


def _teardown(namespace: dict[str, Any]) -> None:
    os.chdir(namespace["__cwd"])
    namespace["__tmp"].cleanup()


pytest_collect_file = Sybil(
    parsers=[PythonCodeBlockParser(), SkipParser()],
    patterns=["*.md"],
    setup=_setup,
    teardown=_teardown,
).pytest()
