"""Building WebDataset shards for the tests: real tar files of real JPEG, PNG and WEBP images with captions or
classes, in CLIP_benchmark's layout."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from PIL import Image

from longbench.data.synthetic import synthetic_rgb

Member = tuple[str, bytes]


def image_bytes(index: int, fmt: str = "JPEG") -> bytes:
    out = io.BytesIO()
    Image.fromarray(synthetic_rgb(index, (40 + 3 * (index % 7), 32 + 5 * (index % 4)), seed=3), "RGB").save(out, fmt)
    return out.getvalue()


def write_tar(path: Path, members: list[Member]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def make_shards(folder: Path, shards: list[list[Member]], dataset_type: str | None = "retrieval",
                nshards: int | None | bool = True, classnames: list[str] | None = None,
                templates: list[str] | None = None) -> Path:
    """`folder` in CLIP_benchmark's layout: test/<i>.tar per shard, nshards.txt (True: the count; an int: that
    number; None or False: none), dataset_type.txt unless None, classnames and templates where given."""
    for i, members in enumerate(shards):
        write_tar(folder / "test" / f"{i}.tar", members)
    (folder / "test").mkdir(parents=True, exist_ok=True)
    if nshards is not None and nshards is not False:
        count = len(shards) if nshards is True else nshards
        (folder / "test" / "nshards.txt").write_text(f"{count}\n")
    if dataset_type is not None:
        (folder / "dataset_type.txt").write_text(f"{dataset_type}\n")
    if classnames is not None:
        (folder / "classnames.txt").write_text("".join(f"{c}\n" for c in classnames))
    if templates is not None:
        (folder / "zeroshot_classification_templates.txt").write_text("".join(f"{t}\n" for t in templates))
    return folder


def retrieval_shards(folder: Path) -> Path:
    """Two shards of 7 samples: every image format (upper-case extensions too), 1-3 captions each (an empty line
    among them), a sample with both webp and jpg (webp wins), keys under a folder, and files CLIP_benchmark passes
    over (a .json, a __meta__ member, a name without a dot)."""
    captions = ["a red square on a grey field", "two dogs\nplaying in the snow\n", "one line only",
                "first caption\n\nthird line after an empty one", "a long caption " * 30, "street at night\nrain",
                "last one"]
    shard0 = [("__index__", b"meta"), ("README", b"no dot")]
    for i in range(4):
        fmt, ext = [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp"), ("JPEG", "JPEG")][i]
        shard0 += [(f"s{i:03d}.{ext}", image_bytes(i, fmt)), (f"s{i:03d}.txt", captions[i].encode()),
                   (f"s{i:03d}.json", b"{}")]
    shard1 = [("d/s004.jpg", image_bytes(4)), ("d/s004.webp", image_bytes(40, "WEBP")),
              ("d/s004.txt", captions[4].encode())]
    for i in (5, 6):
        shard1 += [(f"s{i:03d}.txt", captions[i].encode()), (f"s{i:03d}.jpeg", image_bytes(i))]
    return make_shards(folder, [shard0, shard1])


def classification_shards(folder: Path, n: int = 12, classes: int = 6) -> Path:
    names = [f"thing {c}" for c in range(classes)]
    templates = ["a photo of a {c}.", "a drawing of the {c}.", "itap of my {c}."]
    shards: list[list[Member]] = [[], []]
    for i in range(n):
        fmt, ext = [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")][i % 3]
        shards[i * 2 // n] += [(f"k{i:03d}.{ext}", image_bytes(100 + i, fmt)),
                               (f"k{i:03d}.cls", f"{i % classes}\n".encode())]
    return make_shards(folder, shards, "classification", classnames=names, templates=templates)
