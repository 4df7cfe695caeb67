"""The bench's shared pieces: its settings, the context every section reads, a section's table, the registry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from ..artifacts.outputs import check_output_folder
from ..errors import DataError
from ..metrics.retrieval import check_index
from ..registry import Registry
from .job import Job, write_job


@dataclass
class BenchConfig:
    #: A longbench model name, or an open_clip architecture (`ViT-B-16`): random weights saved as a checkpoint.
    model: str = "ViT-B-16"
    images: int = 5000
    captions_per_image: int = 5
    #: Width and height of the generated JPEGs (COCO's are about 640x480).
    image_size: tuple[int, int] = (640, 480)
    device: str = "auto"
    batch_size: int | str = "auto"
    workers: int | str = "auto"
    decode: str = "pil"
    precision: str = "auto"
    #: Section names in order; None: the default sections; ["all"]: the opt-in ones (scale, ranks) too.
    sections: list[str] | None = None
    #: Keep the generated job here instead of a temporary folder (reused when it matches).
    job_dir: Path | None = None
    seed: int = 0
    #: The scale section's retrieval cases, (queries, gallery), and the indexes each is ranked with.
    scale_cases: tuple[tuple[int, int], ...] = ((10_000, 5_000), (100_000, 100_000), (1_000_000, 100_000))
    scale_indexes: tuple[str, ...] = ("dense", "chunked", "faiss")
    #: Seconds a scale case may take before it is reported unfinished (never estimated).
    scale_budget: float = 3600
    #: The memory the scale section's "largest case within" line is about (the issue's 4 GB).
    memory_mib: int = 4096
    #: Processes of the ranks section's torchrun run (against one process).
    ranks: int = 2

    def __post_init__(self) -> None:
        if self.images < 1 or self.captions_per_image < 1:
            raise DataError(f"bench needs at least 1 image and 1 caption per image, got --images {self.images} "
                            f"--captions-per-image {self.captions_per_image}")
        width, height = self.image_size
        if min(width, height) < 8:
            raise DataError(f"--image-size {width}x{height}: each side must be >= 8 px")
        if width * height > Image.MAX_IMAGE_PIXELS:  # checked before a single pixel is allocated
            raise DataError(f"--image-size {width}x{height}: {width * height:,} pixels per image, at most "
                            f"{Image.MAX_IMAGE_PIXELS:,} (the decompression-bomb limit every decoder applies)")
        if self.job_dir is not None:
            check_output_folder(self.job_dir, "--keep")
        if any(min(case) < 1 for case in self.scale_cases):
            raise DataError("--scale-cases: every QUERIESxGALLERY needs at least 1 query and 1 gallery item")
        for name in self.scale_indexes:
            check_index(name)
        if self.ranks < 2:
            raise DataError(f"--ranks {self.ranks}: the ranks section compares one process with 2 or more")


@dataclass
class ChildRun:
    """One `longbench run` of the job in a fresh process: its wall time and what the library recorded."""

    wall: float
    imports: float
    run: float
    write: float
    result: dict[str, Any]

    @property
    def timings(self) -> dict[str, float]:
        return self.result["timings"]


@dataclass
class Section:
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class BenchContext:
    config: BenchConfig
    #: Where the job is written, by the first section that needs it (the scale section does not).
    folder: Path
    #: Results shared between sections (e.g. the loaded model), keyed by name.
    shared: dict[str, Any] = field(default_factory=dict)
    #: Progress lines of long sections (one per finished case), e.g. printed by the CLI as they come.
    log: Callable[[str], None] = lambda line: None

    @property
    def job(self) -> Job:
        if "job" not in self.shared:
            self.shared["job"] = write_job(self.folder, self.config)
        return self.shared["job"]

    def cold(self) -> ChildRun:
        """The first run of the job with the bench's settings (made once, by whichever section asks first)."""
        if "cold" not in self.shared:
            self.shared["cold"] = self.run_child(self.job.root.parent / "results-cold")
        return self.shared["cold"]

    def adapter(self):
        """The job's model loaded in this process (for the bare-encoder and text measurements)."""
        if "adapter" not in self.shared:
            from ..adapters import load_model

            self.shared["adapter"] = load_model(self.job.model, self.job.checkpoint)
        return self.shared["adapter"]

    def encoder(self, trim: bool = True):
        """An Encoder with the settings the cold run resolved (device, dtype, batch size); `trim=False` pads every
        text batch to the full context."""
        key = f"encoder-trim={trim}"
        if key not in self.shared:
            from ..encode import Encoder
            from ..settings import RunSettings

            env = self.cold().result["environment"]
            settings = RunSettings.resolve(self.config.device, self.config.precision, env["batch_size"], 0)
            self.shared[key] = Encoder(self.adapter(), settings, progress=False, trim=trim)
        return self.shared[key]

    def run_child(self, output: Path, ranks: int = 1, **overrides: Any) -> ChildRun:
        """`longbench.run` on the job in a new Python process (cold: nothing imported or cached in memory), or in
        `ranks` processes under torchrun (gloo on the CPU; the wall time is the launcher's)."""
        cfg = self.config
        settings = {"model": self.job.model, "checkpoint": self.job.checkpoint, "data_root": str(self.job.root),
                    "output": str(output), "device": cfg.device, "batch_size": cfg.batch_size,
                    "workers": cfg.workers, "decode": cfg.decode, "precision": cfg.precision, **overrides}
        env = {**os.environ, "LONGBENCH_CACHE": str(self.job.cache)}
        start = time.perf_counter()
        launcher = [sys.executable]
        if ranks > 1:
            launcher += ["-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={ranks}"]
        proc = subprocess.run([*launcher, "-m", "longbench.bench.child", json.dumps(settings)],
                              capture_output=True, text=True, env=env, check=False)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            raise DataError(f"bench: the timed run failed (exit {proc.returncode}): {tail[0]}")
        report = json.loads(proc.stdout.strip().splitlines()[-1])
        return ChildRun(wall=wall, **report)


SectionFn = Callable[[BenchContext], Section]
SECTIONS: Registry[SectionFn] = Registry("bench section")
_ORDER: dict[str, int] = {}
#: Sections run only when named in `sections` (they take long: the scale benchmark).
OPT_IN: set[str] = set()


def register_section(name: str, order: int, default: bool = True) -> Callable[[SectionFn], SectionFn]:
    """Register a section; sections print by `order` (pipeline 10, text 20, cache 30, peer 40, small 45, scale 50,
    ranks 60). A section with `default=False` runs only when asked for by name."""
    def add(fn: SectionFn) -> SectionFn:
        _ORDER[name] = order
        if not default:
            OPT_IN.add(name)
        return SECTIONS.add(name, fn)
    return add


def section_names(everything: bool = False) -> list[str]:
    """Registered sections in print order: the default ones, or with `everything` the opt-in ones too."""
    return sorted((n for n in _ORDER if everything or n not in OPT_IN), key=_ORDER.__getitem__)


def chosen_sections(config: BenchConfig) -> list[str]:
    """The sections `config` asks for: named ones, "all", or the default ones."""
    if config.sections == ["all"]:
        return section_names(everything=True)
    return config.sections or section_names()


@contextmanager
def _job_dir(config: BenchConfig) -> Iterator[Path]:
    if config.job_dir is not None:
        yield Path(config.job_dir)
        return
    with tempfile.TemporaryDirectory(prefix="longbench-bench-") as tmp:
        yield Path(tmp)


def run_bench(config: BenchConfig, on_section: Callable[[Section], None] | None = None,
              log: Callable[[str], None] = lambda line: None) -> list[Section]:
    """Run each chosen section in order (the job is generated by the first section that needs it); `on_section`
    sees each section as soon as it is done, `log` each progress line of the long sections."""
    fns = [SECTIONS.get(name) for name in chosen_sections(config)]  # an unknown name fails before any work
    sections = []
    with _job_dir(config) as folder:
        context = BenchContext(config, folder, log=log)
        for fn in fns:
            sections.append(fn(context))
            if on_section:
                on_section(sections[-1])
    return sections
