"""Reading JSON annotation files: the head of a JSON list without reading the rest."""

from __future__ import annotations

import json
import random

from longbench.tasks.json_files import json_list_head


def test_json_head_matches_the_stdlib_across_chunk_boundaries(tmp_path):
    path = tmp_path / "list.json"
    for trial in range(60):
        rng = random.Random(trial)
        values = [rng.choice([rng.randint(-10**6, 10**6), 1.25e-3, "caf\u00e9\n\"q\"", None, True,
                              {"a": [1, {"b": "]"}], "c": "[,"}]) for _ in range(rng.randint(0, 12))]
        path.write_text(json.dumps(values, indent=rng.choice([None, 2]), ensure_ascii=trial % 2 == 0))
        for n in (0, 1, 5, 50):
            assert json_list_head(path, n, "t", tmp_path, chunk_size=rng.randint(1, 9)) == values[:n]
