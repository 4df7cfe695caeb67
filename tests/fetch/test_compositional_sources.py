"""Fetch sources of the compositional tasks: SugarCrepe's and SugarCrepe++'s annotation files at pinned commits
(sha256 + size measured there), placed in the authors' data/ layout; Winoground and ARO's VG files by hand."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

from typer.testing import CliRunner

from longbench.cli import app
from longbench.fetch import SOURCES
from longbench.fetch.sources import SUGARCREPE_PARTS, SUGARCREPE_PP_PARTS

FIXTURES = Path(__file__).parent.parent / "fixtures" / "compositional"
runner = CliRunner()


def test_parts_are_pinned_to_commits_with_measured_checksums():
    for part in (*SUGARCREPE_PARTS, *SUGARCREPE_PP_PARTS):
        assert "/0047054b243992f0fad63d6f64f7544862daf846/" in part.url or \
            "/c083bbf039a5ca215acaf25e7ee736d2ea6f3864/" in part.url
        assert len(part.expect.sha256) == 64 and part.expect.size
    assert {p.places[0].task for p in SUGARCREPE_PARTS} == {f"sugarcrepe-{s}" for s in (
        "add_att", "add_obj", "replace_att", "replace_obj", "replace_rel", "swap_att", "swap_obj")}


def test_sugarcrepe_files_land_in_the_authors_layout(tmp_path, server, monkeypatch):
    files = {p.filename: (FIXTURES / "sugar-crepe" / "data" / f"{p.places[0].to.split('/')[-1]}").read_bytes()
             for p in SUGARCREPE_PARTS}
    source = SOURCES.get("sugarcrepe")
    parts = tuple(dataclasses.replace(p, expect=dataclasses.replace(
        p.expect, sha256=hashlib.sha256(files[p.filename]).hexdigest(), size=len(files[p.filename])))
        for p in source.parts)
    monkeypatch.setitem(SOURCES._items, "sugarcrepe", dataclasses.replace(source, parts=parts))
    server.state.files.update(files)
    result = runner.invoke(app, ["data", "fetch", "sugarcrepe", "-d", str(tmp_path / "d"), "--source", server.url])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "d" / "sugar-crepe" / "data").iterdir()) == sorted(
        f"{s}.json" for s in ("add_att", "add_obj", "replace_att", "replace_obj", "replace_rel", "swap_att",
                              "swap_obj"))
    assert "longbench data fetch coco" in " ".join(result.output.split())  # the images come from COCO


def test_a_file_that_is_not_the_pinned_one_is_refused(tmp_path, server):
    server.state.files.update({p.filename: b"{}" for p in SUGARCREPE_PP_PARTS})
    result = runner.invoke(app, ["data", "fetch", "sugarcrepe-pp", "-d", str(tmp_path / "d"), "--source",
                                 server.url])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert not (tmp_path / "d" / "sugarcrepe-pp").exists()


def test_winoground_and_aro_are_fetched_by_hand():
    for name, needle in (("winoground", "images.zip"), ("aro", "1kX2iCHEv0CADL8dSO1nMdW-V0NqIAiP3")):
        result = runner.invoke(app, ["data", "fetch", name, "-d", "/tmp/nowhere"])
        assert result.exit_code == 2 and needle in " ".join(result.output.split()), result.output
