"""The scale benchmark's machinery on a tiny case (it is run for real by hand; no timing is asserted here)."""

from __future__ import annotations

import json

from longbench.bench_scale import main


def test_each_index_measures_the_same_recall_in_its_own_process(tmp_path, capsys):
    out = tmp_path / "bench.json"
    main(["--cases", "300x60", "--indexes", "dense,chunked,faiss", "--budget", "300", "--dp-images", "0",
          "--json", str(out)])
    cases = json.loads(out.read_text())["cases"]
    assert [c["index"] for c in cases] == ["dense", "chunked", "faiss"]
    assert all(c["status"] == "ok" and c["peak_mib"] > 0 and c["seconds"] > 0 for c in cases)
    assert len({c["t2i_r1"] for c in cases}) == 1 and 0 < cases[0]["t2i_r1"] < 100
    assert "| 300 | 60 | faiss |" in capsys.readouterr().out
