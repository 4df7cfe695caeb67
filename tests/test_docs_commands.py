"""The documentation's commands work as written: every `longbench ...` line of a shell block in README.md and
docs/*.md parses with the CLI's own parser (commands, options and values), every task spec it names resolves (a
`~` in it included: the shell does not expand it inside `jsonl:~/...`), and the torch range it states is
pyproject's. Nothing is run: the commands need models and data this machine does not have."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer

from longbench.cli import app
from longbench.tasks import resolve_tasks

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
BLOCK = re.compile(r"^```(?:sh|bash|shell|console)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def commands() -> list[tuple[str, list[str]]]:
    """(where, argv after `longbench`) of every command line in the pages' shell blocks."""
    found = []
    for page in PAGES:
        for block in BLOCK.findall(page.read_text(encoding="utf-8")):
            for line in block.replace("\\\n", " ").splitlines():
                words = shlex.split(line, comments=True)
                if "longbench" in words:  # `longbench ...`, `torchrun ... -m longbench ...`, `python -m longbench`
                    found.append((f"{page.name}: {' '.join(line.split()[:8])}", words[words.index("longbench") + 1:]))
    return found


COMMANDS = commands()


def test_the_pages_have_commands():
    assert len(COMMANDS) >= 20


@pytest.mark.parametrize("argv", [argv for _, argv in COMMANDS], ids=[where for where, _ in COMMANDS])
def test_a_documented_command_parses_and_its_tasks_resolve(argv, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    command = typer.main.get_command(app)
    args, names = list(argv), []
    while hasattr(command, "get_command") and args and not args[0].startswith("-"):  # a group: its subcommand
        names.append(args.pop(0))
        command = command.get_command(command.make_context(names[-1], ["--help"], resilient_parsing=True), names[-1])
        assert command is not None, f"unknown command {' '.join(names)}"
    ctx = command.make_context(" ".join(names), args)  # raises on an unknown option, a missing value
    assert names and not hasattr(command, "get_command"), f"{argv}: not a command"
    spec = ctx.params.get("tasks") or ctx.params.get("task")
    if names[0] in ("run", "probe") and spec:
        for task in resolve_tasks(spec):
            assert "~" not in str(getattr(task, "path", "")), f"{task.meta.name}: ~ not expanded"


def test_the_torch_range_the_pages_state_is_pyprojects():
    required = re.search(r'"torch(>=[\d.]+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert required
    for page in PAGES:
        for stated in re.findall(r"`torch(>=\s*[\d.]+)`", page.read_text(encoding="utf-8")):
            assert stated.replace(" ", "") == required.group(1), page.name
