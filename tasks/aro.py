"""ARO's Visual Genome tasks (Yuksekgonul et al., ICLR 2023; mertyg/vision-language-models-are-bows): VG-Relation and
VG-Attribution, each image cropped to the annotated box and scored as the authors' code scores it.

Layout (the authors' `root_dir`): `visual_genome_relation.json`, `visual_genome_attribution.json` and `images/`
(`vgr_vga_images.zip` extracted), under `<data-root>/aro/`. Each entry names `image_path` (under `images/`),
`bbox_x`, `bbox_y`, `bbox_w`, `bbox_h`, `true_caption`, `false_caption`, and `relation_name` (VG-Relation) or
`attributes` (VG-Attribution, two of them).

As `dataset_zoo/aro_datasets.py`: the image is `Image.open(path).convert('RGB').crop((x, y, x + w, y + h))`; the
options are `[false_caption, true_caption]` and an item is right when `argmax == 1`, so a tie counts as wrong.
`text_acc` is their `Accuracy` over all items. The paper's number is the macro accuracy of the authors' notebook
("Replicate ARO! VG-Relation, VG-Attribution"): VG-Relation, the mean over relations of each one's accuracy, the
notebook's list of symmetric relations left out; VG-Attribution, the mean over attribute pairs
("<attr0>_<attr1>") with 25 items or more (`evaluate_scores` skips smaller ones). Both means run over the groups in
np.unique order, and the result breaks the accuracy down by relation / attribute pair.
"""

from __future__ import annotations

import json
from abc import abstractmethod
from pathlib import Path
from typing import ClassVar

from longbench.data.image_ref import ImageRef
from longbench.data.paths import safe_join
from longbench.data.synthetic import write_image
from longbench.datasets import LoadOptions, Macro, SelectionDataset
from longbench.errors import DataError
from longbench.kinds import SELECTION
from longbench.metrics.registry import MACRO_ACC, TEXT_ACC

from . import register_task
from .base import Task, TaskMeta, TaskStatus
from .json_files import read_json, string_field
from .sample_captions import sample_rng, short_caption
from .selection_items import SelectionItem, anything_at, build_selection, selection_status

SUBDIR = "aro"
IMAGES = "images"
BOX = ("bbox_x", "bbox_y", "bbox_w", "bbox_h")
SOURCE = ("mertyg/vision-language-models-are-bows (README): visual_genome_relation.json (Google Drive id "
          "1kX2iCHEv0CADL8dSO1nMdW-V0NqIAiP3), visual_genome_attribution.json (13tWvOrNOLHxl3Rm9cR3geAdHx2qR3-Tw) and "
          "vgr_vga_images.zip (1qaPlrwhGNMrR3a11iopZUT_GPP_LrgP9), as their dataset_zoo/aro_datasets.py downloads them")
LICENCE = "annotations MIT (mertyg/vision-language-models-are-bows); images Visual Genome / GQA, CC-BY-4.0"
#: The relations the authors' notebook leaves out of VG-Relation's macro accuracy (`symmetric`, copied verbatim).
SYMMETRIC = frozenset((
    'adjusting', 'attached to', 'between', 'bigger than', 'biting', 'boarding', 'brushing', 'chewing', 'cleaning',
    'climbing', 'close to', 'coming from', 'coming out of', 'contain', 'crossing', 'dragging', 'draped over',
    'drinking', 'drinking from', 'driving', 'driving down', 'driving on', 'eating from', 'eating in', 'enclosing',
    'exiting', 'facing', 'filled with', 'floating in', 'floating on', 'flying', 'flying above', 'flying in',
    'flying over', 'flying through', 'full of', 'going down', 'going into', 'going through', 'grazing in',
    'growing in', 'growing on', 'guiding', 'hanging from', 'hanging in', 'hanging off', 'hanging over',
    'higher than', 'holding onto', 'hugging', 'in between', 'jumping off', 'jumping on', 'jumping over', 'kept in',
    'larger than', 'leading', 'leaning over', 'leaving', 'licking', 'longer than', 'looking in', 'looking into',
    'looking out', 'looking over', 'looking through', 'lying next to', 'lying on top of', 'making', 'mixed with',
    'mounted on', 'moving', 'on the back of', 'on the edge of', 'on the front of', 'on the other side of', 'opening',
    'painted on', 'parked at', 'parked beside', 'parked by', 'parked in', 'parked in front of', 'parked near',
    'parked next to', 'perched on', 'petting', 'piled on', 'playing', 'playing in', 'playing on', 'playing with',
    'pouring', 'reaching for', 'reading', 'reflected on', 'riding on', 'running in', 'running on', 'running through',
    'seen through', 'sitting behind', 'sitting beside', 'sitting by', 'sitting in front of', 'sitting near',
    'sitting next to', 'sitting under', 'skiing down', 'skiing on', 'sleeping in', 'sleeping on', 'smiling at',
    'sniffing', 'splashing', 'sprinkled on', 'stacked on', 'standing against', 'standing around', 'standing behind',
    'standing beside', 'standing in front of', 'standing near', 'standing next to', 'staring at', 'stuck in',
    'surrounding', 'swimming in', 'swinging', 'talking to', 'topped with', 'touching', 'traveling down',
    'traveling on', 'tying', 'typing on', 'underneath', 'wading in', 'waiting for', 'walking across', 'walking by',
    'walking down', 'walking next to', 'walking through', 'working in', 'working on', 'worn on', 'wrapped around',
    'wrapped in', 'by', 'of', 'near', 'next to', 'with', 'beside', 'on the side of', 'around'))


_PITFALLS = ("The paper reports the macro accuracy (macro_acc), not the share of all items (text_acc).",
             "mteb's AROVisualRelation/Attribution order the captions [true, false] and count a tie as right; the "
             "authors' [false, true] with argmax == 1 counts it wrong.")


class VisualGenomeTask(Task):
    annotations: ClassVar[str]
    #: The breakdown key each item's label goes under, and the macro average over it.
    label: ClassVar[str]
    macro: ClassVar[Macro]

    def load(self, root: Path, options: LoadOptions) -> SelectionDataset:
        path = root / self.annotations
        if not anything_at(path):
            raise self.missing(root, self.annotations)
        data = read_json(path, self.meta.name, root)
        if not isinstance(data, list):
            raise DataError(f"{self.meta.name}: {path}: expected a JSON list of entries (the authors' layout), found "
                            f"a {type(data).__name__}")
        items = [self._item(root, path, index, entry) for index, entry in enumerate(data)]
        return build_selection(self, root / IMAGES, items, options, rule="first_strict",
                               macros={MACRO_ACC.name: self.macro})

    def _item(self, root: Path, path: Path, index: int, entry: object) -> SelectionItem:
        where = f"{self.meta.name}: {path}: entry {index}"
        if not isinstance(entry, dict):
            raise DataError(f"{where}: expected an object with image_path, {', '.join(BOX)}, true_caption, "
                            "false_caption")
        image = safe_join(root / IMAGES, string_field(entry, "image_path", where), where)
        box = [entry.get(key) for key in BOX]
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in box):
            raise DataError(f"{where}: expected numbers {', '.join(BOX)}, found {box}")
        x, y, w, h = box
        captions = [string_field(entry, "true_caption", where), string_field(entry, "false_caption", where)]
        return SelectionItem(str(index), [ImageRef(image, box=(x, y, x + w, y + h))], captions,
                             {self.label: self.group(entry, where)})

    @abstractmethod
    def group(self, entry: dict, where: str) -> str:
        """The entry's label for the breakdown and the macro average."""

    def status(self, root: Path) -> TaskStatus:
        return selection_status(self, root, [root / self.annotations, root / IMAGES])

    def write_sample(self, root: Path, n: int, seed: int = 0) -> None:
        """The annotation file with n entries on n/2 pictures (two boxes each) in images/; every label but one is
        shared by at least two entries, and one entry's captions are equal (a tie, counted wrong)."""
        rng = sample_rng(seed, self.meta.name)
        entries = []
        for i in range(n):
            name = f"{2343729 + 17 * (i // 2)}.jpg"
            picture = write_image(root / IMAGES / name, i // 2, seed=seed, size=(64, 48))
            true = short_caption(rng).rstrip(".")
            words = true.split()
            false = true if i == 1 else " ".join([words[-1], *words[1:-1], words[0]])
            entry = {"image_id": name[:-4], "image_path": picture.name, "bbox_x": 4 * (i % 3), "bbox_y": 2 * (i % 2),
                     "bbox_w": 40 + i % 7, "bbox_h": 30 + i % 5, "true_caption": true, "false_caption": false}
            entries.append({**entry, **self.sample_labels(i)})
        (root / self.annotations).write_text(json.dumps(entries), encoding="utf-8")

    @abstractmethod
    def sample_labels(self, i: int) -> dict:
        """The label fields of sample entry i."""


@register_task
class VGRelation(VisualGenomeTask):
    annotations = "visual_genome_relation.json"
    label = "relation"
    macro = Macro(label, TEXT_ACC.name, exclude=SYMMETRIC)
    meta = TaskMeta(
        name="aro-vg-relation", kind=SELECTION, family="aro",
        description="ARO VG-Relation: 23,937 Visual Genome crops with a relation caption and its swapped version",
        protocol="the crop to the relation's box; right when true caption > false caption (argmax == 1, a tie "
                 "wrong); macro accuracy over relations, the notebook's symmetric ones left out "
                 "(mertyg/vision-language-models-are-bows)",
        subdir=SUBDIR, layout=f"visual_genome_relation.json and {IMAGES}/<image_path> (vgr_vga_images.zip extracted)",
        source=SOURCE, licence=LICENCE, split="every entry of visual_genome_relation.json, in file order",
        expected={"items": 23937}, pitfalls=_PITFALLS, groups=("aro", "compositional"))

    def group(self, entry: dict, where: str) -> str:
        return string_field(entry, "relation_name", where)

    def sample_labels(self, i: int) -> dict:
        return {"relation_name": ("on", "behind", "next to", "holding")[i % 4]}


@register_task
class VGAttribution(VisualGenomeTask):
    annotations = "visual_genome_attribution.json"
    label = "attributes"
    macro = Macro(label, TEXT_ACC.name, min_items=25)
    meta = TaskMeta(
        name="aro-vg-attribution", kind=SELECTION, family="aro",
        description="ARO VG-Attribution: 28,748 Visual Genome crops with an attribute caption and its swapped version",
        protocol="the crop to the objects' box; right when true caption > false caption (argmax == 1, a tie wrong); "
                 "macro accuracy over attribute pairs with >= 25 items (mertyg/vision-language-models-are-bows)",
        subdir=SUBDIR,
        layout=f"visual_genome_attribution.json and {IMAGES}/<image_path> (vgr_vga_images.zip extracted)",
        source=SOURCE, licence=LICENCE, split="every entry of visual_genome_attribution.json, in file order",
        expected={"items": 28748}, pitfalls=_PITFALLS, groups=("aro", "compositional"))

    def group(self, entry: dict, where: str) -> str:
        attributes = entry.get("attributes")
        if not isinstance(attributes, list) or len(attributes) < 2 or not all(isinstance(a, str) for a in attributes):
            raise DataError(f"{where}: expected 'attributes', a list of two strings, found {attributes!r:.60}")
        return f"{attributes[0]}_{attributes[1]}"

    def sample_labels(self, i: int) -> dict:
        return {"attributes": [("white", "black"), ("red", "green"), ("large", "small")][i % 3]}
