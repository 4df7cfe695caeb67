"""Shared pieces of the caption-retrieval tasks: building a RetrievalDataset, status checks, sample captions.

Registers nothing (it is imported by the plugin loader like every module here, which is harmless).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from longbench.data.fingerprint import fingerprint
from longbench.data.paths import is_data_file, safe_join
from longbench.data.synthetic import write_image
from longbench.datasets import LoadOptions, RetrievalDataset
from longbench.errors import DataError

from .base import Task, TaskStatus


@dataclass
class Item:
    """One image of a retrieval task and its captions, before limit/skip handling."""

    image_id: str
    path: Path
    captions: list[str]
    #: Added to the "image not found" error (e.g. where this particular image comes from).
    missing_hint: str = ""


@dataclass
class Notes:
    """Warnings and named counts a loader collects while reading, copied into the dataset."""

    warnings: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def one_line(text: str) -> str:
    """Strip and replace each newline by a space (Long-CLIP's `.replace("\\n", " ")`, CRLF counted once)."""
    return text.strip().replace("\r\n", "\n").replace("\r", "\n").replace("\n", " ")


def lotlip_caption(text: str) -> str:
    """LoTLIP's `split_caption` re-joined with ". " (its DCI and IIW loaders; FLAIR's too), side effects included.

    Every newline, `</s>` and period is a sentence break: pieces are stripped, empty ones dropped, and the rest
    joined with ". ". So the final period disappears and "3.5" becomes "3. 5", exactly as in the reference code.
    """
    return ". ".join(piece.strip() for piece in _LOTLIP_BREAKS.split(text) if piece.strip())


_LOTLIP_BREAKS = re.compile(r"\n|</s>|[.]")


def stem_key(stem: str) -> tuple[int, int, str]:
    """Numeric stems in numeric order (1, 2, ..., 10), then any other stems in string order."""
    return (0, int(stem), "") if stem.isdigit() else (1, 0, stem)


def build_dataset(task: Task, root: Path, items: Sequence[Item], options: LoadOptions,
                  notes: Notes | None = None) -> RetrievalDataset:
    """Apply `limit` (first N items in canonical order), check image files exist, and build the dataset.

    The limit is applied before the existence check so a partial copy can be evaluated on its first N images;
    with skip_bad_images a missing image is dropped (with its captions) rather than replaced by a later one.
    """
    notes = notes or Notes()
    name = task.meta.name
    if options.limit is None and len(items) != task.meta.expected.get("images", len(items)):
        notes.warnings.append(f"{name}: {len(items)} images found, the published protocol has "
                              f"{task.meta.expected['images']}; numbers are not comparable to published ones")
    chosen = list(items[: options.limit] if options.limit is not None else items)
    kept: list[Item] = []
    skipped: list[str] = []
    for item in chosen:
        if is_data_file(item.path, root):
            kept.append(item)
        elif options.skip_bad_images:
            skipped.append(item.image_id)
        else:
            raise DataError(f"{name}: image {item.path} not found{item.missing_hint} "
                            f"(use --skip-bad-images to drop it)")
    notes.counts["missing_images"] = len(skipped)
    if skipped:
        notes.warnings.append(f"{name}: {len(skipped)} missing images skipped with their captions")
    if not kept:
        raise DataError(f"{name}: no images left to evaluate under {root}")
    texts = [caption for item in kept for caption in item.captions]
    text_to_image = np.repeat(np.arange(len(kept)), [len(item.captions) for item in kept])
    paths = [item.path for item in kept]
    return RetrievalDataset(images=paths, texts=texts, text_to_image=text_to_image,
                            image_ids=[item.image_id for item in kept],
                            fingerprint=fingerprint(paths, texts, root=root),
                            warnings=notes.warnings, counts=notes.counts, skipped=skipped, task=name)


def first_captions(task: Task, items: list[Item], per_image: int, notes: Notes) -> list[Item]:
    """The first `per_image` captions of each image; shortfalls counted; captionless images dropped."""
    name = task.meta.name
    fewer = sum(1 for item in items if 0 < len(item.captions) < per_image)
    captionless = [item.image_id for item in items if not item.captions]
    notes.counts[f"images_with_fewer_than_{per_image}_captions"] = fewer
    notes.counts["images_without_captions"] = len(captionless)
    if fewer:
        notes.warnings.append(f"{name}: {fewer} images have fewer than {per_image} captions (all kept)")
    if captionless:
        notes.warnings.append(f"{name}: {len(captionless)} images without captions left out: "
                              + ", ".join(captionless[:5]) + (" ..." if len(captionless) > 5 else ""))
    return [Item(item.image_id, item.path, item.captions[:per_image]) for item in items if item.captions]


def karpathy_items(task: Task, root: Path, annotations: Path, image_folder: str | None,
                   split: str = "test") -> list[Item]:
    """Images of one split of a Karpathy-format file, in file order, with all their raw sentences.

    Images live at `root/<image_folder>/<filename>`, or at `root/<filepath>/<filename>` when `image_folder` is
    None (dataset_coco.json names val2014/train2014 per image).
    """
    source = f"{task.meta.name}: {annotations}"
    data = read_json(annotations, task.meta.name)
    entries = data.get("images") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise DataError(f"{source}: expected a JSON object with an 'images' list (Karpathy format)")
    items = []
    seen: dict[Path, int] = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("split"), str):
            raise DataError(f"{source}: images[{index}]: expected an object with a 'split' string")
        if entry["split"] != split:
            continue
        folder = image_folder if image_folder is not None else entry.get("filepath")
        filename, sentences = entry.get("filename"), entry.get("sentences")
        if not isinstance(folder, str) or not isinstance(filename, str):
            raise DataError(f"{source}: images[{index}]: expected string 'filename'"
                            + (" and 'filepath'" if image_folder is None else ""))
        if not isinstance(sentences, list) or not all(
                isinstance(s, dict) and isinstance(s.get("raw"), str) for s in sentences):
            raise DataError(f"{source}: images[{index}]: expected 'sentences' to be a list of {{'raw': str}}")
        path = safe_join(root, f"{folder}/{filename}", f"{source}: images[{index}]")
        if path in seen:  # two gallery entries of one image: each would count as wrong for the other's captions
            raise DataError(f"{source}: images[{index}] and images[{seen[path]}] are both {folder}/{filename}; "
                            "each image must appear once in the split")
        seen[path] = index
        items.append(Item(Path(filename).stem, path, [one_line(s["raw"]) for s in sentences]))
    return items


def status_by_loading(task: Task, root: Path, required: Sequence[str]) -> TaskStatus:
    """Status from the loader itself (so the two cannot disagree): missing files, else counts vs expected.

    Loading reads annotations and stats image files but decodes no image.
    """
    expected = dict(task.meta.expected)
    absent = [rel for rel in required if not (root / rel).exists()]
    if not root.is_dir() or absent:
        what = f"{root} not found" if not root.is_dir() else f"missing {', '.join(absent)} under {root}"
        return TaskStatus("missing", root, {}, expected, f"{what} (expected layout: {task.meta.layout})")
    try:
        data = task.load(root, LoadOptions(skip_bad_images=True))
    except DataError as err:
        return TaskStatus("incomplete", root, {}, expected, str(err))
    found = {"images": len(data.images), "texts": len(data.texts)}
    # Only the published counts are compared (some protocols publish an image count but no caption count).
    state = "found" if all(found.get(key) == value for key, value in expected.items()) else "incomplete"
    detail = "" if state == "found" else f"found {found}, expected {expected}"
    return TaskStatus(state, root, found, expected, detail)


def read_json(path: Path, name: str) -> Any:
    try:
        with path.open(encoding="utf-8") as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DataError(f"{name}: {path} is not valid UTF-8 JSON ({err})") from None


def read_jsonl(path: Path, name: str) -> list[dict[str, Any]]:
    """Every non-blank line of a JSON-lines file as an object; a bad line is a DataError naming its number."""
    rows = []
    try:
        with path.open(encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as err:
                    raise DataError(f"{name}: {path}: line {number} is not valid JSON ({err.msg})") from None
                if not isinstance(row, dict):
                    raise DataError(f"{name}: {path}: line {number}: expected a JSON object")
                rows.append(row)
    except UnicodeDecodeError as err:
        raise DataError(f"{name}: {path} is not valid UTF-8 ({err.reason})") from None
    return rows


def string_field(row: dict[str, Any], key: str, where: str) -> str:
    """`row[key]` when it is a string, else a DataError naming the field and where the row is."""
    value = row.get(key)
    if not isinstance(value, str):
        found = "nothing" if value is None else type(value).__name__
        raise DataError(f"{where}: expected a string {key!r}, found {found}")
    return value


def flair_items(task: Task, path: Path, image_path: Callable[[str, str], Path]) -> list[Item]:
    """FLAIR's fine-grained annotation file: `{"annotations": [{"image_id", "image", "caption", "caption_id"}]}`.

    One caption per row; rows sharing an `image_id` are one image. Images keep the order of their first row
    (FLAIR's `extract_unique_img_list_from_data_list`), captions the file order. `image_path(image, where)` maps
    the row's `image` to a file.
    """
    source = f"{task.meta.name}: {path}"
    data = read_json(path, task.meta.name)
    rows = data.get("annotations") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise DataError(f"{source}: expected a JSON object with an 'annotations' list (FLAIR's format)")
    items: dict[Any, Item] = {}
    for index, row in enumerate(rows):
        where = f"{source}: annotations[{index}]"
        if not isinstance(row, dict) or "image_id" not in row:
            raise DataError(f"{where}: expected an object with 'image_id', 'image' and 'caption'")
        image, caption = string_field(row, "image", where), string_field(row, "caption", where)
        item = items.get(row["image_id"])
        if item is None:
            item = items[row["image_id"]] = Item(str(Path(image).with_suffix("").as_posix()),
                                                 image_path(image, where), [])
        elif image_path(image, where) != item.path:
            raise DataError(f"{where}: image_id {row['image_id']} names {image!r}, an earlier row another image")
        item.captions.append(caption)
    return list(items.values())


_NEXT_CHAR = re.compile(r"\s*(\S)")


def json_list_head(path: Path, n: int, name: str, chunk_size: int = 1 << 20) -> list[Any]:
    """The first `n` elements of a JSON list, decoded with the stdlib without reading the rest of the file.

    The ShareGPT4V file is ~1.5 GB; reading only its head keeps the 1k/10k tasks (and `status`) fast.
    """
    return list(_iter_json_list(path, name, chunk_size, n))


def _iter_json_list(path: Path, name: str, chunk_size: int, n: int) -> Iterator[Any]:
    decoder = json.JSONDecoder()
    with path.open(encoding="utf-8") as f:
        buf, pos, eof = "", 0, False

        def fill() -> bool:
            nonlocal buf, pos, eof
            data = f.read(chunk_size)
            eof = not data
            buf, pos = buf[pos:] + data, 0
            return not eof

        def skip_space() -> str:
            nonlocal pos
            while True:
                while pos < len(buf) and buf[pos].isspace():
                    pos += 1
                if pos < len(buf) or not fill():
                    return buf[pos] if pos < len(buf) else ""

        try:
            if skip_space() != "[":
                raise DataError(f"{name}: {path} must hold a JSON list of entries")
            pos += 1
            index = 0
            while index < n:
                if skip_space() == "]" and index == 0:
                    return
                while True:
                    try:
                        obj, end = decoder.raw_decode(buf, pos)
                    except json.JSONDecodeError as err:
                        if eof:
                            raise DataError(f"{name}: {path}: entry {index} is not valid JSON "
                                            f"({err.msg})") from None
                        fill()
                        continue
                    # A number cut by the chunk's end ("1." of "1.5") decodes "successfully": trust a value
                    # only once the separator after it is in the buffer.
                    after = _NEXT_CHAR.match(buf, end)
                    if not eof and (after is None or after.group(1) not in ",]"):
                        fill()
                        continue
                    break
                pos = end
                yield obj
                index += 1
                sep = skip_space()
                if sep == "]":
                    return
                if sep != ",":
                    raise DataError(f"{name}: {path}: expected ',' or ']' after entry {index - 1}, "
                                    f"found {sep!r}")
                pos += 1
        except UnicodeDecodeError as err:
            raise DataError(f"{name}: {path} is not valid UTF-8 ({err.reason})") from None


# --- sample captions ---------------------------------------------------------------------------------------

#: (preposition, place)
_PLACES = (("in", "a narrow street in an old European town"), ("at", "a crowded train station"),
           ("in", "a quiet harbour at dawn"), ("in", "a small kitchen with tiled walls"),
           ("in", "a city park in late autumn"), ("in", "a busy market square"),
           ("on", "a mountain road after the rain"), ("in", "a university library reading room"),
           ("on", "a beach at sunset"), ("in", "a parking lot behind a supermarket"))
_THINGS = ("a red bicycle", "a woman in a yellow raincoat", "two children holding balloons", "a black dog",
           "a delivery van", "a wooden bench", "a street lamp", "a man carrying a blue backpack",
           "a stack of old books", "a white sailboat", "a green umbrella", "a shop sign with gold letters",
           "an elderly couple", "a traffic light", "a row of potted plants", "a cyclist in a grey helmet")
_WHERE = ("on the left side of the image", "in the foreground", "near the centre", "in the background",
          "on the right", "partly hidden behind a tree", "at the bottom edge of the frame", "under an awning")
_ACTIONS = ("is leaning against a brick wall", "is waiting at the crossing", "is looking towards the camera",
            "casts a long shadow on the pavement", "is partly out of focus", "stands next to a parked car",
            "is reflected in a shop window", "is half covered by a striped canvas")
_DETAILS = ("The light is soft and comes from the upper left.", "The sky is overcast and pale grey.",
            "Several windows above the shops have their shutters closed.",
            "The pavement is still wet and reflects the street lights.",
            "A faint sign in the distance reads \"OPEN\" in red letters.",
            "The colours are muted, dominated by browns and greys.",
            "There is no text visible apart from a small street number, 42, above a door.")


def _sentence(rng: np.random.Generator) -> str:
    thing, where, action = (str(rng.choice(options)) for options in (_THINGS, _WHERE, _ACTIONS))
    if rng.random() < 0.25:
        return str(rng.choice(_DETAILS))
    return f"{where[0].upper()}{where[1:]}, {thing} {action}."


def short_caption(rng: np.random.Generator) -> str:
    """A COCO/Flickr-style one-sentence caption (8-20 words)."""
    thing, action = str(rng.choice(_THINGS)), str(rng.choice(_ACTIONS))
    preposition, place = _PLACES[int(rng.integers(len(_PLACES)))]
    return f"{thing[0].upper()}{thing[1:]} {action} {preposition} {place}."


def distinct_short_captions(rng: np.random.Generator, n: int) -> list[str]:
    """n captions like short_caption's, all different while the 32,000 combinations last (COCO's captions are
    almost all different; repeated ones are exact ties, which tools break differently). Most carry one more clause."""
    clauses = ("", *(f", {where}" for where in _WHERE), *(f", next to {thing}" for thing in _THINGS))
    shape = (len(_THINGS), len(_ACTIONS), len(_PLACES), len(clauses))
    space = int(np.prod(shape))
    out = []
    for t, a, p, c in zip(*np.unravel_index(rng.choice(space, size=n, replace=n > space), shape), strict=True):
        thing, (preposition, place) = _THINGS[t], _PLACES[p]
        out.append(f"{thing[0].upper()}{thing[1:]} {_ACTIONS[a]} {preposition} {place}{clauses[c]}.")
    return out


def long_caption(rng: np.random.Generator, min_words: int = 80, max_words: int = 220) -> str:
    """A Urban1k/ShareGPT4V-style detailed description of roughly `min_words`..`max_words` words."""
    target = int(rng.integers(min_words, max_words + 1))
    sentences = [f"The image shows {_PLACES[int(rng.integers(len(_PLACES)))][1]}."]
    while sum(len(s.split()) for s in sentences) < target:
        sentences.append(_sentence(rng))
    return " ".join(sentences)


def sample_rng(seed: int, salt: str) -> np.random.Generator:
    """A generator that depends only on (seed, salt), so each writer is deterministic and independent."""
    return np.random.default_rng([seed, *salt.encode()])


def write_karpathy(path: Path, n: int, seed: int, dataset: str, image_folder: str) -> None:
    """A Karpathy-format file with n test images (files written under `image_folder`) and 2 non-test entries.

    The non-test entries (whose images are not written) come first, so a loader that ignores `split` fails. The
    first test image has 6 sentences, as some real ones do. COCO entries carry `filepath`/`cocoid`, Flickr's not.
    """
    rng = sample_rng(seed, f"karpathy-{dataset}")
    entries = []
    for i, split in enumerate(["train", "restval" if dataset == "coco" else "val"] + ["test"] * n):
        coco = dataset == "coco"
        filename = f"COCO_{image_folder}_{391895 + 11 * i:012d}.jpg" if coco else f"{1000092795 + 17 * i}.jpg"
        sentences = []
        for _ in range(6 if i == 2 else 5):
            raw = short_caption(rng)
            sentences.append({"tokens": raw.lower().rstrip(".").split(), "raw": raw, "imgid": i,
                              "sentid": 6 * i + len(sentences)})
        entry = {"filename": filename, "imgid": i, "sentences": sentences, "split": split,
                 "sentids": [s["sentid"] for s in sentences]}
        entries.append({"filepath": image_folder, "cocoid": 391895 + 11 * i, **entry} if coco else entry)
        if split == "test":
            write_image(path.parent / image_folder / filename, i, seed=seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"images": entries, "dataset": dataset}), encoding="utf-8")
