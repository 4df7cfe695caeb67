"""The README and docs/ stay true to the code.

- every `longbench COMMAND ... --flag` they show names a command and options the CLI has (renames break here);
- every relative link, and every `#section` anchor, leads somewhere; every section the code cites exists;
- the README stays a front door (at most 300 lines) and lists every docs page;
- the torch floor they state is pyproject's, and the test command is the one CI runs;
- the published truncation figures `longbench tasks` shows are the ones docs/tasks.md explains;
- the tables generated from the registries (tasks, groups) match them: after adding a task or a group, regenerate
  them with `python -m tests.test_docs`;
- no tracked file points outside the repository.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer

from longbench.cli import app
from longbench.tasks import GROUPS, all_tasks
from longbench.truncation_profile import TruncationProfile

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
MAX_README_LINES = 300

FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)
INLINE = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)
#: A `longbench` command in a code snippet: not part of a longer word, a path (`python -m longbench`) or a dotted name.
COMMAND = re.compile(r"(?<![\w./-])longbench(?=\s|$)")
#: Where a command line ends inside a snippet: a comment, a pipe, a chained command, a backtick.
COMMAND_END = re.compile(r"\s#|\||&&|;|`")


def pages() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# --- markdown ------------------------------------------------------------------------------------------------

def code_snippets(text: str) -> Iterator[str]:
    """Fenced blocks line by line (backslash continuations joined), then the inline code spans outside them."""
    for block in FENCE.findall(text):
        yield from block.replace("\\\n", " ").splitlines()
    yield from INLINE.findall(FENCE.sub("", text))


def prose(text: str) -> str:
    """The text without its code, where links live."""
    return INLINE.sub("", FENCE.sub("", text))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = heading.replace("`", "").strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def headings(text: str) -> list[str]:
    return [match[2].replace("`", "") for match in HEADING.finditer(FENCE.sub("", text))]


def anchors(text: str) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for heading in headings(text):
        base = slug(heading)
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


# --- the command line --------------------------------------------------------------------------------------

def commands(text: str) -> Iterator[tuple[str, list[str]]]:
    """(the snippet, its words after `longbench`) for every longbench command line shown in `text`'s code."""
    for snippet in code_snippets(text):
        for match in COMMAND.finditer(snippet):
            rest = snippet[match.end():]
            end = COMMAND_END.search(rest)
            rest = rest[:end.start()] if end else rest
            try:
                words = shlex.split(rest)
            except ValueError:  # an unbalanced quote in prose-like code: plain words are enough here
                words = rest.split()
            yield snippet, words


def option_names(command) -> set[str]:
    return {name for param in command.params for name in (*param.opts, *param.secondary_opts)} | {"--help"}


def all_option_names(command) -> set[str]:
    names = option_names(command)
    for sub in getattr(command, "commands", {}).values():
        names |= all_option_names(sub)
    return names


def check_command(root, words: list[str]) -> str | None:
    """Why `longbench WORDS` is not a command line of this CLI (a click command tree, which typer vendors), or
    None."""
    command, path = root, ["longbench"]
    for word in words:
        if word.startswith("-"):
            break
        if not hasattr(command, "commands"):  # a command, not a group: the rest are its arguments
            break
        if not re.fullmatch(r"[a-z][a-z0-9-]*", word):  # a placeholder, or "longbench" in a table of output
            return None
        if word not in command.commands:
            return f"`{' '.join(path)}` has no command {word!r} (it has {', '.join(sorted(command.commands))})"
        command, path = command.commands[word], [*path, word]
    known = option_names(command)
    for word in words:
        if re.fullmatch(r"--[a-z][\w-]*(=.*)?|-[A-Za-z]", word) and word.split("=")[0] not in known:
            return f"`{' '.join(path)}` has no option {word.split('=')[0]}"
    return None


@pytest.fixture(scope="module")
def cli():
    return typer.main.get_command(app)


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_command_and_option_shown_exists(page: Path, cli):
    problems = [f"{problem}: {snippet.strip()}" for snippet, words in commands(read(page))
                if (problem := check_command(cli, words))]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_option_named_on_its_own_exists(page: Path, cli):
    known = all_option_names(cli)
    named = {span.split()[0].split("=")[0] for span in INLINE.findall(FENCE.sub("", read(page)))
             if re.match(r"--[a-z]", span)}
    assert not named - known, f"{page.name} names options no longbench command has: {sorted(named - known)}"


def test_the_command_check_catches_renames(cli):
    """The check above is only worth something if it fails on what it is meant to catch."""
    assert check_command(cli, ["run", "--model", "clip-B", "--tasks", "urban1k"]) is None
    assert check_command(cli, ["data", "fetch", "urban1k", "--data-root", "d"]) is None
    assert "no option --data-dir" in check_command(cli, ["run", "--data-dir", "d"])
    assert "no command 'evaluate'" in check_command(cli, ["evaluate", "--model", "m"])
    assert "no command 'download'" in check_command(cli, ["data", "download", "urban1k"])
    text = "```sh\nlongbench run --modle x   # typo\n```\nand `longbench gate --baseline a`"
    assert [words for _, words in commands(text)] == [["run", "--modle", "x"], ["gate", "--baseline", "a"]]


# --- links and citations -------------------------------------------------------------------------------------

@pytest.mark.parametrize("page", pages(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(page: Path):
    problems = []
    for target in LINK.findall(prose(read(page))):
        if re.match(r"[a-z]+:", target):  # https:, mailto:
            continue
        path_part, _, anchor = target.partition("#")
        path = (page.parent / path_part).resolve() if path_part else page
        if not path.exists():
            problems.append(f"{target}: no such file")
        elif not path.resolve().is_relative_to(ROOT):
            problems.append(f"{target}: outside the repository")
        elif anchor and path.suffix == ".md" and anchor not in anchors(read(path)):
            problems.append(f"{target}: {path.name} has no section #{anchor}")
    assert not problems, f"{page.name}:\n" + "\n".join(problems)


def test_every_docs_section_the_code_cites_exists():
    """Code comments cite the reference as `docs/PAGE.md, "Section"`; the page and its section must exist."""
    cited = re.compile(r"docs/([a-z][a-z0-9-]*\.md)(?:,\s*\"([^\"]+)\")?")
    problems = []
    for file in tracked_files():
        if file.suffix not in (".py", ".toml", ".yml", ".md") or not file.is_file():
            continue
        for page, section in cited.findall(file.read_text(encoding="utf-8", errors="replace")):
            target = DOCS / page
            if not target.exists():
                problems.append(f"{file.relative_to(ROOT)}: cites docs/{page}, which does not exist")
            elif section and section not in headings(read(target)):
                problems.append(f"{file.relative_to(ROOT)}: cites docs/{page}, {section!r}, which has no such section")
    assert not problems, "\n".join(problems)


def test_the_readme_links_every_docs_page():
    linked = {(README.parent / target.partition("#")[0]).resolve() for target in LINK.findall(prose(read(README)))}
    missing = [p.name for p in sorted(DOCS.glob("*.md")) if p.resolve() not in linked]
    assert not missing, f"README.md's 'Read more' does not link {missing}"


# --- the front door ------------------------------------------------------------------------------------------

def test_the_readme_is_a_front_door():
    lines = len(read(README).splitlines())
    assert lines <= MAX_README_LINES, f"README.md has {lines} lines; the reference belongs in docs/"


def test_the_readme_shows_the_command_ci_runs():
    ci = [line for line in read(ROOT / ".ci" / "run").splitlines() if line.startswith("python3 ")]
    assert len(ci) == 1 and ci[0] in read(README)


def test_the_torch_floor_stated_is_pyprojects():
    floor = re.search(r'"torch>=([\d.]+)"', read(ROOT / "pyproject.toml"))[1]
    stated = {page.relative_to(ROOT).as_posix(): re.findall(r"torch\s*>=\s*(\d[\d.]*\d)", read(page))
              for page in pages()}
    assert stated["README.md"], "README.md does not state the torch floor"
    wrong = {name: found for name, found in stated.items() if set(found) - {floor}}
    assert not wrong, f"pyproject says torch>={floor}; the docs say {wrong}"


def test_the_published_truncation_figures_are_explained():
    text = read(DOCS / "tasks.md")
    for task in all_tasks():
        figure = task.meta.truncation_profile
        if figure is not None:
            shares = TruncationProfile(figure, "published").describe().removesuffix(" (published)")
            assert re.search(rf"`{re.escape(task.meta.name)}` \| {re.escape(shares)} \|", text), (
                f"docs/tasks.md does not explain {task.meta.name}'s published truncation figure {shares}")


# --- tables generated from the registries --------------------------------------------------------------------

def cell(text: str) -> str:
    """Registry text as a table cell: markdown's active characters escaped."""
    for char, escaped in (("|", "\\|"), ("*", "\\*"), ("<", "&lt;"), (">", "&gt;")):
        text = text.replace(char, escaped)
    return text


def tasks_table() -> str:
    rows = ["| task | kind | size | protocol | layout under `<data-root>/<folder>/` |", "| --- " * 5 + "|"]
    for task in all_tasks():
        meta = task.meta
        size = ", ".join(f"{n:,} {what}" for what, n in meta.expected.items())
        rows.append(f"| `{meta.name}` | {meta.kind} | {size} | {cell(meta.protocol)} | "
                    f"`{meta.subdir}/`: {cell(meta.layout)} |")
    return "\n".join(rows)


def groups_table() -> str:
    all_tasks()  # registers the tasks, and so their groups
    rows = ["| group | tasks |", "| --- | --- |"]
    for group, members in sorted(GROUPS.items()):
        rows.append(f"| `{group}` | {', '.join(f'`{name}`' for name in members)} |")
    return "\n".join(rows)


@dataclass(frozen=True)
class Generated:
    path: Path
    name: str
    render: Callable[[], str]

    @property
    def block(self) -> re.Pattern[str]:
        return re.compile(re.escape(self.start) + r"\n.*?" + re.escape(self.end), re.DOTALL)

    @property
    def start(self) -> str:
        return f"<!-- {self.name}: generated by tests/test_docs.py -->"

    @property
    def end(self) -> str:
        return f"<!-- end of {self.name} -->"

    def expected(self) -> str:
        return f"{self.start}\n{self.render()}\n{self.end}"

    def current(self) -> str:
        match = self.block.search(read(self.path))
        assert match, f"{self.path.name} has no {self.name} between {self.start!r} and {self.end!r}"
        return match[0]


GENERATED = (Generated(DOCS / "protocols.md", "tasks table", tasks_table),
             Generated(DOCS / "tasks.md", "groups table", groups_table))


@pytest.mark.parametrize("generated", GENERATED, ids=lambda g: g.name)
def test_generated_tables_match_the_registries(generated: Generated):
    assert generated.current() == generated.expected(), (
        f"the {generated.name} in {generated.path.name} is out of date: run `python -m tests.test_docs`")


# --- nothing points outside --------------------------------------------------------------------------------

#: Spelled in pieces so that this file does not match itself.
OUTSIDE = ("../" + "shared", "PROTOCOLS" + ".md", "shared/" + "research", "shared/" + "tools")
#: Untracked folders a walk skips when git is not at hand (a source archive).
SKIPPED = {".git", ".venv", "build", "dist", "__pycache__", ".pytest_cache", ".ruff_cache", "results"}


def tracked_files() -> list[Path]:
    """The repository's files: git's list where there is one, else a walk that skips build and cache folders."""
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
        return [ROOT / name for name in out.decode().split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for folder, dirs, names in os.walk(ROOT):
            dirs[:] = [d for d in dirs if d not in SKIPPED and not d.endswith(".egg-info")]
            files += [Path(folder) / name for name in names]
        return files


def test_no_file_points_outside_the_repository():
    found = [f"{file.relative_to(ROOT)}: {pattern}" for file in tracked_files() if file.is_file()
             for pattern in OUTSIDE if pattern.encode() in file.read_bytes()]
    assert not found, "files that point outside the repository:\n" + "\n".join(found)


if __name__ == "__main__":
    for generated in GENERATED:
        text = read(generated.path)
        generated.path.write_text(text.replace(generated.current(), generated.expected()), encoding="utf-8")
        print(f"updated the {generated.name} in {os.path.relpath(generated.path)}", file=sys.stderr)
