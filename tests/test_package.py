"""The library surface: one call per CLI job, imported lazily."""

from __future__ import annotations

import subprocess
import sys

import longbench


def test_top_level_calls_are_the_library_functions():
    from longbench.adapters import load_model
    from longbench.runner import RunConfig, run

    assert longbench.run is run and longbench.RunConfig is RunConfig and longbench.load_model is load_model


def test_import_longbench_does_not_import_torch():
    code = "import sys, longbench; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def test_the_cli_loads_torch_only_for_commands_that_need_it():
    """`longbench --help`, `gate`, `results`, `leaderboard` and `data` start in well under a second."""
    code = ("import sys, longbench.cli; "
            "print(sorted(m for m in ('torch', 'open_clip', 'matplotlib') if m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "[]"
