"""A results folder that exercises every rule of the leaderboard (marks, ranks, ties, versions, probes, duplicates),
for golden tests: the same files must always give the same pages."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.results import retrieval

FIXTURES = Path(__file__).parents[1] / "fixtures" / "leaderboard"
REFERENCES = FIXTURES / "references.json"


def write_golden_results(write, write_probe) -> list[str]:
    """Write the golden set under the roots `r` and `r2`; returns the roots' names (load them together)."""
    write("r", "longclip-B", "urban1k", retrieval(80.0, 79.0), task_version=2,
          ci={"i2t_r1": [78.5, 81.5], "t2i_r1": [77.0, 81.0]})
    write("r", "longclip-B", "flickr30k-full", retrieval(47.0, 34.0))
    write("r", "longclip-B", "coco-karpathy", retrieval(56.25, 40.75))
    write("r", "longclip-B", "sharegpt4v-1k", retrieval(94.6, 93.3))
    write("r", "longclip-B", "imagenet", {"acc1": 66.0, "acc5": 90.0})
    write("r", "clip-B", "urban1k", retrieval(67.5, 60.0), task_version=2)
    write("r", "clip-B", "urban-200", retrieval(46.0, 45.0))
    write("r", "clip-B", "coco", retrieval(50.0, 30.0), limit=200)
    write("r", "clip-B", "imagenet", {"acc1": 68.4})
    write("r", "toy", "urban1k", retrieval(67.5, 10.0), task_version=2)
    write("r", "toy", "dci-long", retrieval(35.5, 33.5))
    write("r", "toy", "docci", retrieval(20.0, 25.0))
    write("r", "toy", "cifar10", {"acc1": float("nan")})
    write("r", "toy", "winoground", {"acc1": 12.0})
    write("r", "old-model", "urban1k", retrieval(90.0, 90.0), task_version=1)
    write("r", "old-model", "flickr30k", retrieval(70.0, 55.0), expected_images=1000, n_images=990, subset=True)
    write("r2", "clip-B", "imagenet", {"acc1": 10.0}, created="2024-06-01T00:00:00+00:00", limit=3)
    write("r2", "toy", "docci", retrieval(21.0, 26.0), created="2024-06-01T00:00:00+00:00")
    write_probe("r", "longclip-B", "urban1k", "tokens", 60, None)
    write_probe("r", "longclip-B", "urban1k", "words", 45, 50)
    write_probe("r", "clip-B", "sharegpt4v-1k", "tokens", 20, 30)
    write_probe("r", "probe-only", "urban1k", "tokens", None, None)
    return ["r", "r2"]
