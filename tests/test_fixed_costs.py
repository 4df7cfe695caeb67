"""What a run costs before it computes anything: commands that read JSON never import torch, nor do a re-run whose
embeddings are all cached or a `--skip-existing` run with every result present; a result records its start-up,
and the pieces a run checks early are known without the libraries that implement them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from longbench.adapters.families.tiny import tiny_state_dict
from longbench.cli import app
from longbench.registry import Registry
from longbench.startup import process_age
from tests.helpers.checkpoints import save_torch
from tests.helpers.samples import write_samples

cli = CliRunner()

IMPORTED = "print(sorted(m for m in ('torch', 'open_clip', 'torchvision') if m in sys.modules), file=sys.stderr)"


def imported_by(*args: str) -> list[str]:
    """The heavy modules a `longbench ARGS` process imported (exit code aside)."""
    code = ("import sys\nfrom longbench.cli import app\ntry:\n    app(sys.argv[1:], standalone_mode=False)\n"
            f"except SystemExit:\n    pass\n{IMPORTED}")
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    return json.loads(proc.stderr.strip().splitlines()[-1].replace("'", '"'))


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("results")
    data = write_samples(out / "data", "urban1k", 6, seed=2)
    result = cli.invoke(app, ["run", "-m", "tiny-clip", "-t", "urban1k", "-d", str(data), "-o", str(out / "r"), "-q"])
    assert result.exit_code == 0, result.output
    return out / "r"


@pytest.mark.slow  # starts processes
def test_tasks_leaderboard_and_gate_never_import_torch(results):
    assert imported_by("tasks") == []
    assert imported_by("leaderboard", "--results", str(results)) == []
    assert imported_by("gate", "--baseline", str(results), "--candidate", str(results)) == []


@pytest.mark.slow  # starts processes
def test_a_warm_re_run_and_a_skip_existing_run_never_import_torch(tmp_path):
    """Every batch cached (and the ranks remembered), or every result present: the model's manifest, the cached
    token ids, embeddings and ranks decide everything, with the numbers of the first run."""
    tasks = "urban1k,coco,cifar10,winoground"  # retrieval, zero-shot classification, selection
    data = write_samples(tmp_path / "data", tasks, 6, seed=4)
    ckpt = save_torch(tiny_state_dict(seed=2), tmp_path / "step-2.pt")

    def run(output: str, *extra: str) -> list[str]:
        return imported_by("run", "--checkpoint", str(ckpt), "-t", tasks, "-d", str(data), "-o",
                           str(tmp_path / output), "--device", "cpu", "-q", *extra)

    assert "torch" in run("cold")
    assert run("warm") == []
    assert run("cold", "--skip-existing") == []
    for task in tasks.split(","):
        cold, warm = (json.loads((tmp_path / out / "step-2" / f"{task}.json").read_text()) for out in ("cold", "warm"))
        assert warm["metrics"] == cold["metrics"] and warm["environment"]["torch"] == cold["environment"]["torch"]
    assert "torch" in run("other", "--index", "chunked")  # other ranks: computed (the embeddings still cached)
    # A change that only touches what is computed from the ranks (Ks, bootstrap) needs no torch either.
    assert run("other-again", "--index", "chunked", "--recall-k", "1,2", "--bootstrap", "20") == []


def test_the_torch_version_read_without_torch_is_the_one_torch_reports():
    code = ("import sys; from longbench.versions import torch_version; v = torch_version(); "
            "assert 'torch' not in sys.modules; import torch; print(v == torch.__version__)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "True"


def test_a_cli_run_records_its_start_up_and_a_library_run_does_not(results, tmp_path):
    cli_timings = json.loads((results / "tiny-clip" / "urban1k.json").read_text())["timings"]
    assert list(cli_timings)[0] == "startup" and cli_timings["startup"] > 0
    from longbench.runner import RunConfig, run

    [done] = run("tiny-clip", "urban1k", RunConfig(data_root=results.parent / "data", output=tmp_path, progress=False))
    assert "startup" not in done.result.timings


@pytest.mark.slow  # starts processes
def test_process_age_counts_from_the_process_start():
    code = "import time; time.sleep(0.3); from longbench.startup import process_age; print(process_age())"
    age = float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout)
    assert 0.3 <= age < 30
    assert process_age() > 0


def test_a_registry_filled_on_first_use_fills_once_before_any_read():
    registry: Registry[int] = Registry("number")
    calls = []
    registry.fill_on_first_use(lambda: calls.append(1) or registry.add("one", 1))
    registry.add("two", 2)  # adding does not fill
    assert calls == []
    assert "one" in registry and registry.get("two") == 2 and list(registry) == ["one", "two"]
    assert calls == [1]


def test_the_decode_modes_checked_early_are_the_ones_implemented():
    from longbench.data.decode_modes import MODES
    from longbench.data.decoders import DECODERS

    assert list(MODES) == list(DECODERS)


def test_the_recorded_open_clip_version_is_the_one_open_clip_reports():
    import open_clip

    from longbench.versions import OPEN_CLIP, installed_version

    assert installed_version(OPEN_CLIP) == open_clip.__version__
    assert installed_version("no-such-distribution-here") is None
