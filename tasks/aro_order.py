"""ARO's COCO-Order and Flickr30k-Order (Yuksekgonul et al., ICLR 2023): each test caption against four order
perturbations of it, Precision@1 over the five options, built from the Karpathy test splits longbench already reads.

The authors read BLIP's `coco_karpathy_test.json` / `flickr30k_test.json`, which list the Karpathy test images in
order with all their sentences (25,010 and 5,000: the counts mteb's copies of these tasks report); here the same
images and sentences come from `dataset_coco.json` / `dataset_flickr30k.json` (the coco-karpathy and flickr30k
tasks' folders, `--root coco-karpathy=` / `--root flickr30k=` move them), in file order, each sentence's `raw` text
made one line and stripped. The options are made as aro_perturbations.py says (the authors' perturbations, caption
preprocessing and seed). An item is right when the image scores the true caption highest: `argmax == 0`, so a tie
with a perturbation (a perturbation that changes nothing after pre_caption, say) counts as right.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from longbench.datasets import LoadOptions, SelectionDataset
from longbench.kinds import SELECTION

from . import TASKS, register_task
from .aro_perturbations import MAX_WORDS, SEED, Shuffler, missing_tools, spacy_nltk
from .base import Task, TaskMeta, TaskStatus
from .karpathy import karpathy_items
from .selection_items import SelectionItem, build_selection, other_root

PROTOCOL = (f"Precision@1 of the true caption among it and its 4 order perturbations (argmax, a tie right); "
            f"perturbations, pre_caption (max {MAX_WORDS} words) and seed {SEED} as mertyg/vision-language-models-are-"
            "bows' COCO_Order / main_aro.py")


class OrderTask(Task):
    #: The retrieval task whose Karpathy file and images this task reads.
    karpathy_task: ClassVar[str]
    #: Builds the tagger and tokenizer (spaCy and NLTK); tests hand in others.
    tools = staticmethod(spacy_nltk)

    def _karpathy(self, root: Path, options: LoadOptions) -> tuple[Path, Path]:
        folder = other_root(self.karpathy_task, root, options)
        return folder, folder / TASKS.get(self.karpathy_task).annotations

    def _images(self, folder: Path, annotations: Path):
        """The Karpathy test images with all their sentences, their images where the Karpathy task finds them."""
        return karpathy_items(self, folder, annotations, TASKS.get(self.karpathy_task).image_folder)

    def load(self, root: Path, options: LoadOptions) -> SelectionDataset:
        folder, annotations = self._karpathy(root, options)
        if not annotations.is_file():
            raise self.missing(folder, annotations.name)
        shuffler = Shuffler.seeded(*self.tools())
        # Every caption is perturbed, in file order, before --limit cuts: the random state runs over all of them.
        items = [SelectionItem(f"{item.image_id}#{n}", [item.path], shuffler.options(caption))
                 for item in self._images(folder, annotations)
                 for n, caption in enumerate(item.captions)]
        return build_selection(self, folder, items, options, rule="first_argmax")

    def status(self, root: Path) -> TaskStatus:
        """Counts from the Karpathy file alone (perturbing 25,010 captions with spaCy is the run's work)."""
        folder, annotations = self._karpathy(root, LoadOptions())
        expected = dict(self.meta.expected)
        if not annotations.is_file():
            return TaskStatus("missing", folder, {}, expected, f"{annotations} not found (expected layout: "
                                                              f"{self.meta.layout})")
        items = self._images(folder, annotations)
        found = {"items": sum(len(item.captions) for item in items), "images": len(items)}
        problem = self.unavailable()
        state = "found" if found == expected and problem is None else "incomplete"
        detail = "; ".join(p for p in (None if found == expected else f"found {found}, expected {expected}", problem)
                           if p)
        return TaskStatus(state, root, found, expected, detail)

    def unavailable(self) -> str | None:
        return missing_tools() if self.tools is spacy_nltk else None

    def write_sample(self, root: Path, n: int, seed: int = 0) -> None:
        """The Karpathy task's own sample, in its folder (this task has no files of its own)."""
        source = TASKS.get(self.karpathy_task)
        source.write_sample(root.parent / source.meta.subdir, n, seed)


def _meta(name: str, label: str, karpathy: str, items: int, images: int) -> TaskMeta:
    return TaskMeta(
        name=name, kind=SELECTION, family="aro",
        description=f"ARO {label}: each of the {items:,} Karpathy test captions against 4 order perturbations",
        protocol=PROTOCOL, subdir="aro",
        layout=f"the {karpathy} task's Karpathy file and images (its folder); spaCy's en_core_web_sm and NLTK's punkt "
               "installed",
        source=f"the {karpathy} task's files (`longbench data status` says where they go)",
        licence="annotations as the Karpathy splits; perturbation code MIT (mertyg/vision-language-models-are-bows)",
        split=f"every sentence of every split == 'test' entry of the {karpathy} task's Karpathy file, in file order",
        expected={"items": items, "images": images},
        pitfalls=("The perturbations depend on spaCy's tagger and NLTK's tokenizer: another version of "
                  "en_core_web_sm can tag differently and so perturb differently.",),
        groups=("aro", "compositional"), reads=(karpathy,))


@register_task
class CocoOrder(OrderTask):
    karpathy_task = "coco-karpathy"
    meta = _meta("aro-coco-order", "COCO-Order", "coco-karpathy", 25010, 5000)


@register_task
class FlickrOrder(OrderTask):
    karpathy_task = "flickr30k"
    meta = _meta("aro-flickr30k-order", "Flickr30k-Order", "flickr30k", 5000, 1000)
