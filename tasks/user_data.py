"""Your own caption data as a retrieval task, without writing a plugin: `jsonl:PATH`, `csv:PATH`, `folder:PATH`.

- `jsonl:data.jsonl`: one JSON object per line, `{"image": "rel/path.jpg", "caption": "..."}` (or `"captions": [...]`,
  never both).
- `csv:data.csv`: a header with `image` and `caption` columns (`.tsv`: tab-separated); quoted fields may hold
  newlines and separators. A row with more or fewer fields than the header, a quote never closed or a column named
  twice is refused, naming the line (csv_files.py).
- `folder:DIR`: images and same-name `.txt` captions, either side by side or in `image/` and `caption/` (Urban1k);
  two images of one stem (`1.jpg`, `1.png`) are refused.

Several rows may name one image: its captions are grouped (I2T then scores a hit if any of them is in the top K).
Images keep the order of their first row. Image paths are relative to the annotation file's folder and must stay
inside it. A caption that is empty after stripping is dropped and counted (an image left with none is dropped too);
a missing image is an error unless `--skip-bad-images`. Results are filed under the file's stem and fingerprinted
like any task's; two sources of one name in one run (`jsonl:x.jsonl,csv:x.csv`) are refused. `~` in the path is
expanded (the shell does not expand it inside a task spec).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from longbench.data.paths import is_data_file, is_regular_file, safe_join
from longbench.data.synthetic import write_image
from longbench.datasets import LoadOptions, RetrievalDataset
from longbench.errors import DataError

from . import TASKS, register_source
from .base import Task, TaskMeta, TaskStatus
from .caption_text import one_line
from .csv_files import read_csv
from .retrieval_dataset import Item, Notes, build_dataset
from .sample_captions import long_caption, sample_rng
from .stem_pairs import pair_by_stem

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp")

#: A reader yields (where, image path relative to the task root, caption) for every row of the source.
Rows = Iterator[tuple[str, str, str]]
Reader = Callable[[Path, LoadOptions, Notes], Rows]
Writer = Callable[[Path, list[tuple[str, str]]], None]


@dataclass(frozen=True)
class SourceFormat:
    prefix: str
    layout: str
    read_rows: Reader
    #: Writes the rows of a sample (images are already written under `image_dir`).
    write_rows: Writer
    #: The spec names a folder (the task root) rather than a file in it.
    is_folder: bool = False
    image_dir: str = "images"


class UserDataTask(Task):
    """A retrieval task read from a user's file or folder; its root is the file's folder (or the folder)."""

    def __init__(self, fmt: SourceFormat, path: Path):
        self.format = fmt
        self.path = Path(path).expanduser()  # a task spec is not expanded by the shell: `jsonl:~/mine.jsonl`
        name = self.path.name if fmt.is_folder else self.path.stem
        if not name or name in TASKS:
            raise DataError(f"{fmt.prefix}:{path}: results are named after the file ({name!r}), which "
                            f"{'is a built-in task name' if name else 'is empty'}; rename the file or folder")
        self.meta = TaskMeta(
            name=name, kind="retrieval", family="user", description=f"your own data: {fmt.prefix}:{self.path}",
            protocol=f"every row of {fmt.prefix}:{self.path.name}, hit@K retrieval, one or more captions per image",
            subdir="", layout=fmt.layout, source=str(self.path), licence="as the data's owner states",
            split="every row, in file order", expected={})

    def root(self, data_root: Path | None, overrides: dict[str, Path] | None = None) -> Path:
        """The annotation file's folder (the folder itself for `folder:`): image paths are relative to it."""
        return self.path if self.format.is_folder else self.path.parent

    def load(self, root: Path, options: LoadOptions) -> RetrievalDataset:
        if not self.path.exists():
            raise self.missing(root, self.path.name)
        notes = Notes()
        items = _group(self.format.read_rows(self.path, options, notes), root, self.meta.name, notes)
        if not items:
            raise DataError(f"{self.meta.name}: {self.path} holds no image with a non-empty caption "
                            f"(expected: {self.meta.layout})")
        return build_dataset(self, root, items, options, notes)

    def status(self, root: Path) -> TaskStatus:
        if not self.path.exists():
            return TaskStatus("missing", root, detail=f"{self.path} not found")
        try:
            data = self.load(root, LoadOptions(skip_bad_images=True))
        except DataError as err:
            return TaskStatus("incomplete", root, detail=str(err))
        return TaskStatus("found", root, {"images": len(data.images), "texts": len(data.texts)})

    def write_sample(self, root: Path, n: int, seed: int = 0) -> None:
        """n images with long captions at `self.path`; the second image gets a second caption."""
        rng = sample_rng(seed, f"user-{self.meta.name}")
        rows = []
        for i in range(1, n + 1):
            image = f"{self.format.image_dir}/{i}.jpg"
            write_image(self.root(None) / image, i, seed=seed)
            rows.append((image, long_caption(rng)))
            if i == 2:
                rows.append((image, long_caption(rng, 10, 30)))
        self.format.write_rows(self.path, rows)


def _group(rows: Rows, root: Path, name: str, notes: Notes) -> list[Item]:
    """Rows grouped by image (first-row order); empty captions dropped and counted."""
    items: dict[Path, Item] = {}
    empty = 0
    for where, image, caption in rows:
        path = safe_join(root, image, f"{name}: {where}")
        item = items.setdefault(path, Item(path.relative_to(root).as_posix(), path, []))
        text = one_line(caption)
        if text:
            item.captions.append(text)
        else:
            empty += 1
    captionless = [item.image_id for item in items.values() if not item.captions]
    notes.counts["empty_captions"] = empty
    notes.counts["images_without_captions"] = len(captionless)
    if empty:
        notes.warnings.append(f"{name}: {empty} empty caption(s) dropped"
                              + (f"; images left without a caption: {', '.join(captionless[:5])}"
                                 + (" ..." if len(captionless) > 5 else "") if captionless else ""))
    return [item for item in items.values() if item.captions]


def _read_text(path: Path, name: str, root: Path | None = None) -> str:
    """The file's text; a FIFO (which would block forever) is refused by name, and a file of a `folder:` task
    (`root`) must not lead outside it through a symlink."""
    if not (is_data_file(path, root) if root is not None else is_regular_file(path)):
        raise DataError(f"{name}: {path} not found")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise DataError(f"{name}: {path} is not UTF-8 text ({err.reason})") from None


# --- jsonl ------------------------------------------------------------------------------------------------------

def _jsonl_rows(path: Path, options: LoadOptions, notes: Notes) -> Rows:
    for number, line in enumerate(_read_text(path, path.name).splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name} line {number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataError(f"{where}: not valid JSON ({err.msg})") from None
        if not isinstance(row, dict) or not isinstance(row.get("image"), str):
            raise DataError(f"{where}: expected an object with an 'image' path string")
        if "caption" in row and "captions" in row:
            raise DataError(f"{where}: has both 'caption' and 'captions'; give one (a string, or a list of strings)")
        captions = [row["caption"]] if "caption" in row else row.get("captions")
        if not isinstance(captions, list) or not all(isinstance(c, str) for c in captions):
            raise DataError(f"{where}: expected 'caption' (a string) or 'captions' (a list of strings)")
        for caption in captions:
            yield where, row["image"], caption


def _write_jsonl(path: Path, rows: list[tuple[str, str]]) -> None:
    lines = [json.dumps({"image": image, "caption": caption}) for image, caption in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- csv / tsv --------------------------------------------------------------------------------------------------

def _delimiter(path: Path) -> str:
    return "\t" if path.suffix.lower() == ".tsv" else ","


def _csv_rows(path: Path, options: LoadOptions, notes: Notes) -> Rows:
    if not is_regular_file(path):
        raise DataError(f"{path.name}: {path} not found")
    for line, row in read_csv(path, path.name, _delimiter(path), ("image", "caption")):
        yield f"{path.name} line {line}", row["image"], row["caption"]


def _write_csv(path: Path, rows: list[tuple[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=_delimiter(path))
        writer.writerow(["image", "caption"])
        writer.writerows(rows)


# --- folder -----------------------------------------------------------------------------------------------------

def _folder_sides(folder: Path) -> tuple[Path, Path]:
    """(image folder, caption folder): `image/` + `caption/` when both exist (Urban1k), else the folder itself."""
    if (folder / "image").is_dir() and (folder / "caption").is_dir():
        return folder / "image", folder / "caption"
    return folder, folder


def _folder_rows(folder: Path, options: LoadOptions, notes: Notes) -> Rows:
    if not folder.is_dir():
        raise DataError(f"folder:{folder}: not a folder (expected images and same-name .txt captions)")
    image_dir, caption_dir = _folder_sides(folder)
    pairs = pair_by_stem((p for p in image_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES),
                         caption_dir.glob("*.txt"))
    for stem in pairs.unpaired:
        has = f"image {pairs.images[stem].name} has no {stem}.txt" if stem in pairs.images else \
            f"caption {stem}.txt has no image ({'/'.join(IMAGE_SUFFIXES)})"
        if not options.skip_bad_images:
            raise DataError(f"folder:{folder}: {has} (use --skip-bad-images to drop unpaired files)")
        notes.warnings.append(f"{folder.name}: skipped unpaired {stem}: {has}")
    notes.counts["unpaired_files"] = len(pairs.unpaired)
    for stem in pairs.paired:
        path = pairs.captions[stem]
        yield path.name, pairs.images[stem].relative_to(folder).as_posix(), _read_text(path, path.name, folder)


def _write_folder(folder: Path, rows: list[tuple[str, str]]) -> None:
    """Urban1k layout (the images are already under image/): caption/<n>.txt, the first caption of each image."""
    (folder / "caption").mkdir(parents=True, exist_ok=True)
    for image, caption in reversed(rows):  # reversed: the first row's caption is written last and wins
        (folder / "caption" / f"{Path(image).stem}.txt").write_text(caption, encoding="utf-8")


for _fmt in (
    SourceFormat("jsonl", "one JSON object per line: {\"image\": \"<path relative to the file>\", \"caption\": "
                 "\"...\"} (or \"captions\": [...])", _jsonl_rows, _write_jsonl),
    SourceFormat("csv", "a header row with 'image' and 'caption' columns; image paths relative to the file "
                 "(.tsv: tabs)", _csv_rows, _write_csv),
    SourceFormat("folder", "<name>.jpg|.png|... beside <name>.txt, or image/<name>.jpg and caption/<name>.txt",
                 _folder_rows, _write_folder, is_folder=True, image_dir="image"),
):
    register_source(_fmt.prefix)(lambda path, fmt=_fmt: UserDataTask(fmt, Path(path)))
