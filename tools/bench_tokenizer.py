"""Benchmark: the Rust BPE path (longbench.fast_tokenizer) against open_clip's SimpleTokenizer, in one run.

COCO-style captions from the COCO sample writer's generator (one sentence, 8-20 words), optionally a share of
non-ASCII ones (accents, CJK, emoji, HTML entities) to show the slower paths. Each tokenizer starts with an empty
word cache (a fresh instance), as in a new process. Prints both times, the ratio, the table build times, and
checks that every caption's ids are identical. CPU time (all threads) is printed beside wall time: on a shared
machine it is the steadier measure.

    python tools/bench_tokenizer.py [--captions 25000] [--non-ascii 0.0] [--seed 0]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np
from open_clip.tokenizer import SimpleTokenizer

from longbench.fast_tokenizer import FastBpe
from longbench.tasks.sample_captions import sample_rng, short_caption

EXTRAS = (" café crème", " 東京の夜景", " 😀👍", " &amp; friends", " naïve façade", " Ünïcödé")


def corpus(n: int, non_ascii: float, seed: int) -> list[str]:
    rng = sample_rng(seed, "bench-tokenizer")
    texts = [short_caption(rng) for _ in range(n)]
    for i in np.flatnonzero(rng.random(n) < non_ascii):
        texts[i] = texts[i] + str(rng.choice(EXTRAS))
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captions", type=int, default=25_000)
    parser.add_argument("--non-ascii", type=float, default=0.0, help="share of captions given a non-ASCII ending")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    texts = corpus(args.captions, args.non_ascii, args.seed)

    ref_build, reference = timed(SimpleTokenizer)
    ref_time, expected = timed(lambda: [reference.encode(t) for t in texts])
    fast_build, fast = timed(lambda: FastBpe(SimpleTokenizer()))
    fast_time, got = timed(lambda: fast.encode_batch(texts))

    same = sum(e == got.row(i) for i, e in enumerate(expected))
    print(f"{len(texts)} captions ({args.non_ascii:.0%} non-ASCII), mean {np.mean([len(e) for e in expected]):.1f} "
          f"BPE tokens")
    print(f"reference SimpleTokenizer: {ref_time}  (table build {ref_build})")
    print(f"fast (Rust BPE):           {fast_time}  (table build {fast_build}, incl. the reference's)")
    print(f"speed-up: {ref_time.wall / fast_time.wall:.1f}x wall, {ref_time.cpu / fast_time.cpu:.1f}x CPU; "
          f"identical ids: {same}/{len(texts)}")


@dataclass
class Took:
    wall: float
    cpu: float

    def __str__(self) -> str:
        return f"{self.wall:.3f} s wall, {self.cpu:.3f} s CPU"


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return Took(time.perf_counter() - wall, time.process_time() - cpu), value


if __name__ == "__main__":
    main()
