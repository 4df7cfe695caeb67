"""Truncation profiles: measured from the files when present (against an independent token count), else the
published figure, labelled; and `longbench tasks` showing them with protocols and licences."""

from __future__ import annotations

from typer.testing import CliRunner

from longbench.cli import app
from longbench.datasets import LoadOptions
from longbench.tasks import get_task
from longbench.truncation_profile import truncation_profile

runner = CliRunner()


def test_measured_from_the_files_when_present(tmp_path):
    from open_clip.tokenizer import SimpleTokenizer

    task = get_task("iiw")
    task.write_sample(tmp_path, 6)
    texts = task.load(tmp_path, LoadOptions()).texts
    lengths = [len(SimpleTokenizer().encode(t)) + 2 for t in texts]  # SOT and EOT counted
    profile = truncation_profile(task, tmp_path)
    assert profile.source == "measured" and profile.n_texts == 6
    assert profile.over == (sum(n > 77 for n in lengths) / 6, sum(n > 248 for n in lengths) / 6)
    assert profile.over[1] > 0  # the sample's first caption is over 248 tokens
    assert profile.describe().endswith("(measured on 6 captions)")


def test_published_figure_when_absent_and_unknown_without_one(tmp_path):
    docci = truncation_profile(get_task("docci"), tmp_path / "nowhere")
    assert docci.over == (0.944, 0.038) and docci.describe() == "94.4% / 3.8% (published)"
    assert truncation_profile(get_task("dci")).describe() == "unknown"


def test_tasks_command_shows_paper_licence_profile_and_groups(tmp_path, console_width):
    console_width(2000)  # one line per row
    get_task("docci").write_sample(tmp_path / "docci", 4)
    result = runner.invoke(app, ["tasks", "-d", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = {line.split("│")[1].strip(): line for line in result.output.splitlines() if line.count("│") > 3}
    assert "LoTLIP" in lines["dci"] and "CC-BY-NC-4.0" in lines["dci"] and "unknown" in lines["dci"]
    assert "TULIP" in lines["dci-long"] and "FG-CLIP" in lines["dci-fgclip"]
    assert "measured on 4 captions" in lines["docci"] and "99.2% / 43.0% (published)" in lines["iiw"]
    assert "group long_retrieval_2025 = dci, docci, iiw, sharegpt4v-1k, urban1k" in result.output
