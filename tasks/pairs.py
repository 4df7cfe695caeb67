"""Your own hard negatives as a selection task, without writing a plugin: `pairs:FILE.jsonl`.

One JSON object per line: `{"image": "rel/path.jpg", "caption": "...", "negatives": ["...", ...]}`. An item is right
when its image scores the caption strictly above every negative (a tie counts as wrong, SugarCrepe's rule), so long
captions can be tested against long-caption hard negatives. Image paths are relative to the file's folder and must
stay inside it. Results are filed under the file's stem.
"""

from __future__ import annotations

import json
from pathlib import Path

from longbench.data.paths import safe_join
from longbench.data.synthetic import write_image
from longbench.datasets import LoadOptions, SelectionDataset
from longbench.errors import DataError
from longbench.kinds import SELECTION

from . import TASKS, register_source
from .base import Task, TaskMeta, TaskStatus
from .json_files import read_jsonl, string_field
from .sample_captions import long_caption, sample_rng
from .selection_items import SelectionItem, anything_at, build_selection, selection_status

PREFIX = "pairs"
LAYOUT = ('one JSON object per line: {"image": "<path relative to the file>", "caption": "...", "negatives": '
          '["...", ...]} (at least one negative)')


class PairsTask(Task):
    """A selection task read from a user's JSON-lines file; its root is the file's folder."""

    def __init__(self, path: Path):
        self.path = Path(path).expanduser()  # a task spec is not expanded by the shell: `pairs:~/hard.jsonl`
        name = self.path.stem
        if not name or name in TASKS:
            raise DataError(f"{PREFIX}:{path}: results are named after the file ({name!r}), which "
                            f"{'is a built-in task name' if name else 'is empty'}; rename the file")
        self.meta = TaskMeta(
            name=name, kind=SELECTION, family="user", description=f"your own hard negatives: {PREFIX}:{self.path}",
            protocol=f"every line of {PREFIX}:{self.path.name}: right when the image scores the caption strictly above "
                     "every negative (a tie wrong)",
            subdir="", layout=LAYOUT, source=str(self.path), licence="as the data's owner states",
            split="every line, in file order", expected={})

    def root(self, data_root: Path | None, overrides: dict[str, Path] | None = None) -> Path:
        """The file's folder: image paths are relative to it."""
        return self.path.parent

    def load(self, root: Path, options: LoadOptions) -> SelectionDataset:
        if not anything_at(self.path):
            raise self.missing(root, self.path.name)
        rows = read_jsonl(self.path, self.meta.name, root)
        if not rows:
            raise DataError(f"{self.meta.name}: {self.path} holds no item (expected: {LAYOUT})")
        items = [self._item(root, number, row) for number, row in enumerate(rows, 1)]
        return build_selection(self, root, items, options, rule="first_strict")

    def _item(self, root: Path, number: int, row: dict) -> SelectionItem:
        where = f"{self.meta.name}: {self.path} item {number}"
        image = safe_join(root, string_field(row, "image", where), where)
        caption = string_field(row, "caption", where)
        negatives = row.get("negatives")
        if not isinstance(negatives, list) or not all(isinstance(n, str) for n in negatives):
            raise DataError(f"{where}: expected 'negatives', a list of caption strings, found {negatives!r:.60}")
        if not negatives:
            raise DataError(f"{where}: expected at least one negative caption (an item needs two captions or more)")
        return SelectionItem(str(number), [image], [caption, *negatives])

    def status(self, root: Path) -> TaskStatus:
        return selection_status(self, root, [self.path])

    def write_sample(self, root: Path, n: int, seed: int = 0) -> None:
        """n images with a long caption each and two long negatives (its sentences in another order, another
        image's caption); the second image has a second line: its first two sentences against them swapped."""
        rng = sample_rng(seed, f"pairs-{self.meta.name}")
        captions = [long_caption(rng, 40, 120) for _ in range(n)]
        rows = []
        for i, caption in enumerate(captions):
            image = f"images/{i + 1}.jpg"
            write_image(self.root(None) / image, i, seed=seed)
            sentences = caption.split(". ")
            reordered = ". ".join([*sentences[1:], sentences[0]])
            rows.append({"image": image, "caption": caption, "negatives": [reordered, captions[(i + 1) % n]]})
            if i == 1:
                rows.append({"image": image, "caption": ". ".join(sentences[:2]),
                             "negatives": [". ".join(sentences[1::-1])]})
        self.path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


register_source(PREFIX)(PairsTask)
