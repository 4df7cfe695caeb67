"""The library surface: one call per CLI job, imported lazily."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import longbench


def test_top_level_calls_are_the_library_functions():
    from longbench.adapters import load_model
    from longbench.runner import RunConfig, run

    assert longbench.run is run and longbench.RunConfig is RunConfig and longbench.load_model is load_model


@pytest.mark.slow  # a new Python process
def test_import_longbench_does_not_import_torch():
    code = "import sys, longbench; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


@pytest.mark.slow  # a new Python process
def test_the_cli_loads_torch_only_for_commands_that_need_it():
    """`longbench --help`, `gate`, `results`, `leaderboard` and `data` start in well under a second: importing the
    CLI loads neither torch nor pandas (the report commands import it themselves)."""
    code = ("import sys, longbench.cli; "
            "print(sorted(m for m in ('torch', 'open_clip', 'matplotlib', 'pandas') if m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "[]"


def test_every_package_folder_is_listed_for_installation():
    """A non-editable install (CI's `pip install .`) ships only the packages pyproject lists: a new subfolder left
    out of the list would pass every test here and break every installed copy."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    root = Path(__file__).resolve().parent.parent
    listed = set(tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = set()
    for folder, package in (("benchmark", "longbench"), ("tasks", "longbench.tasks")):
        for init in (root / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(root / folder).parts
            found.add(".".join((package, *parts)))
    assert found == listed
