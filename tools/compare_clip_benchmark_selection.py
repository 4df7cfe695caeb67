"""Comparison: longbench's SugarCrepe and Winoground against CLIP_benchmark's `image_caption_selection` on the same
files with the same model, timed in one process (docs/compositional.md has the figures).

Files: SugarCrepe's seven real annotation files (RAIVNLab/sugar-crepe's data/, given with --sugarcrepe-data) with a
synthetic JPEG picture (RGB or greyscale, as COCO's) written at every filename they name (COCO's images cannot be
downloaded here), and a 400-item Winoground sample in the Hub layout (examples.jsonl + images.zip; the real files
are gated). A tie check: copies of the seven files in which every tenth negative is replaced by its caption.

Model: longbench's tiny-clip (random weights), handed to CLIP_benchmark as its open_clip model, preprocessing and
an open_clip tokenizer (the script checks the token ids equal longbench's). CLIP_benchmark runs as its CLI would
with --no_amp (fp32, as longbench on the CPU), its default --batch_size 64 and --num_workers 4; SugarCrepe through
its own dataset class and collate function, Winoground through a dataset whose __getitem__ is CLIP_benchmark's
WinoGround.__getitem__ with the images read from the same files (its class loads the gated Hub dataset). longbench
runs as `longbench run` would (batch size and workers auto, embedding cache off). The two alternate --repeats times
(longbench first on even repeats, CLIP_benchmark first on odd ones), each run printed with the one-minute load
average read before it; the fastest of each and their ratio are reported.

    python tools/compare_clip_benchmark_selection.py --sugarcrepe-data PATH/TO/sugar-crepe/data [--repeats 2]

With --agreement it times nothing: for each SugarCrepe subset and Winoground it computes every item's scores both
ways (longbench's evaluator encoding each distinct image and caption once; CLIP_benchmark's image_caption_selection
loop, batch size 64, keeping the scores), decides each item by each tool's own rule, and counts the items decided
differently: at an exact tie in longbench's scores (where the tie rules differ by design) and elsewhere, with the
smallest score gap among the latter (float noise between differently composed batches).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import open_clip
import torch
import torch.nn.functional as F
from clip_benchmark.datasets.builder import image_captions_collate_fn
from clip_benchmark.datasets.sugar_crepe import SugarCrepe
from clip_benchmark.metrics import image_caption_selection
from PIL import Image

from longbench.adapters import load_model
from longbench.adapters.core.scoring import scoring_of
from longbench.data.synthetic import write_image
from longbench.datasets import LoadOptions
from longbench.metrics.selection import RULES, item_scores
from longbench.runner import RunConfig, make_encoder, run
from longbench.tasks import get_task, resolve_tasks

#: COCO val2017's pictures are JPEG files, RGB or greyscale. Other modes (palette, RGBA, CMYK) would make the tools
#: differ by up to 1e-2 in score: open_clip's transform resizes before it converts to RGB, longbench converts first.
COCO_MODES = (("RGB", "JPEG"), ("L", "JPEG"))
SUBSETS = [task.meta.name.removeprefix("sugarcrepe-") for task in resolve_tasks("sugarcrepe")]


class WinoGroundFiles(torch.utils.data.Dataset):
    """CLIP_benchmark's WinoGround with its rows read from examples.jsonl and images.zip instead of the Hub."""

    def __init__(self, root: Path, transform):
        self.rows = [json.loads(line) for line in (root / "data" / "examples.jsonl").read_text().splitlines()]
        self.zip = root / "data" / "images.zip"
        self.transform = transform

    def _image(self, name: str) -> Image.Image:
        with zipfile.ZipFile(self.zip) as archive:
            return Image.open(archive.open(f"images/{name}.png")).convert("RGB")

    def __getitem__(self, idx):  # CLIP_benchmark's WinoGround.__getitem__ from here on
        data = self.rows[idx]
        img0 = self._image(data["image_0"])
        img1 = self._image(data["image_1"])
        cap0 = data["caption_0"]
        cap1 = data["caption_1"]
        if self.transform is not None:
            img0 = self.transform(img0)
            img1 = self.transform(img1)
            imgs = torch.stack([img0, img1])
        else:
            imgs = [img0, img1]
        caps = [cap0, cap1]
        return imgs, caps

    def __len__(self):
        return len(self.rows)


def write_files(work: Path, sugarcrepe_data: Path) -> Path:
    data = work / "data"
    names = set()
    for subset in SUBSETS:
        target = data / "sugar-crepe" / "data" / f"{subset}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(sugarcrepe_data / f"{subset}.json", target)
        names |= {entry["filename"] for entry in json.loads(target.read_text()).values()}
        tied = json.loads(target.read_text())
        for n, entry in enumerate(tied.values()):
            if n % 10 == 0:
                entry["negative_caption"] = entry["caption"]
        tie_file = work / "ties" / "sugar-crepe" / "data" / f"{subset}.json"
        tie_file.parent.mkdir(parents=True, exist_ok=True)
        tie_file.write_text(json.dumps(tied))
    for i, name in enumerate(sorted(names)):
        write_image(data / "coco" / "val2017" / name, i, mode_format=COCO_MODES[i % len(COCO_MODES)])
    (work / "ties" / "coco").symlink_to(data / "coco")
    get_task("winoground").write_sample(data / "winoground", 400, seed=0)
    return data


def longbench_once(data: Path, tasks: str, out: Path) -> tuple[float, dict[str, dict[str, float]]]:
    start = time.perf_counter()
    runs = run("tiny-clip", tasks, RunConfig(data_root=data, output=out, device="cpu", progress=False, cache=False,
                                             overwrite=True))
    seconds = time.perf_counter() - start
    return seconds, {x.task: {**x.result.metrics, "exact_ties": x.result.task.counts["exact_ties"]} for x in runs}


def clip_benchmark_once(datasets: dict[str, torch.utils.data.Dataset], model,
                        tokenizer) -> tuple[float, dict[str, dict[str, float]]]:
    metrics = {}
    start = time.perf_counter()
    for name, dataset in datasets.items():
        loader = torch.utils.data.DataLoader(dataset, batch_size=64, shuffle=False, num_workers=4,
                                             collate_fn=image_captions_collate_fn)
        metrics[name] = image_caption_selection.evaluate(model, loader, tokenizer, "cpu", amp=False)
    return time.perf_counter() - start, metrics


def timings(data: Path, tasks: str, cb_sets: dict, model, tokenizer, repeats: int) -> None:
    """The two tools alternate (longbench first on even repeats, CLIP_benchmark first on odd ones), each time with
    the one-minute load average read just before it, so that other work on the machine hits both alike."""
    sides = {"longbench": lambda r: longbench_once(data, tasks, data.parent / f"results-{r}"),
             "CLIP_benchmark": lambda r: clip_benchmark_once(cb_sets, model, tokenizer)}
    seconds: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
    metrics = {}
    for r in range(repeats):
        for name in (list(sides) if r % 2 == 0 else list(sides)[::-1]):
            load = os.getloadavg()[0]
            took, metrics[name] = sides[name](r)
            seconds[name].append((took, load))
            print(f"  repeat {r}: {name} {took:.1f} s (load {load:.2f})", flush=True)
    best = {name: min(t for t, _ in runs) for name, runs in seconds.items()}
    print(f"best: longbench {best['longbench']:.1f} s, CLIP_benchmark {best['CLIP_benchmark']:.1f} s, "
          f"ratio CLIP_benchmark / longbench {best['CLIP_benchmark'] / best['longbench']:.2f}")
    for name in cb_sets:
        print(f"{name}: longbench {json.dumps(metrics['longbench'][name])}; "
              f"CLIP_benchmark {json.dumps(metrics['CLIP_benchmark'][name])}")


def longbench_scores(data: Path, task_name: str) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """Per item, the [images, captions] scores, the decisions and the exact ties as longbench's selection evaluator
    computes them (one encoding of each distinct image and caption)."""
    task = get_task(task_name)
    dataset = task.load(task.root(data), LoadOptions())
    encoder = make_encoder(load_model("tiny-clip"), RunConfig(device="cpu", progress=False, cache=False))
    texts = encoder.texts(dataset.texts)
    images = encoder.images(dataset.images)
    rows = scoring_of(encoder.adapter).ranking_pair(images.vectors, texts.vectors)
    scores = item_scores(*rows, dataset.item_images, dataset.item_texts)
    outcomes = RULES.get(dataset.rule).outcomes(scores)
    return scores.image_text, outcomes.correct, outcomes.ties


@torch.no_grad()
def clip_benchmark_scores(dataset, model, tokenizer) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """image_caption_selection.evaluate's loop (batch size 64, fp32), keeping each item's scores and decisions."""
    loader = torch.utils.data.DataLoader(dataset, batch_size=64, shuffle=False, num_workers=0,
                                         collate_fn=image_captions_collate_fn)
    out = []
    for batch_images, batch_texts in loader:
        if batch_images.dim() == 4:
            batch_images = batch_images.unsqueeze(1)
        b, k = batch_images.shape[:2]
        tokens = tokenizer([text for texts in batch_texts for text in texts])
        images = F.normalize(model.encode_image(batch_images.flatten(0, 1)), dim=-1).view(b, k, -1)
        texts = F.normalize(model.encode_text(tokens), dim=-1).view(b, len(batch_texts[0]), -1)
        out.append(torch.einsum("bkd,bmd->bkm", images, texts))
    scores = torch.cat(out)
    gt = torch.arange(min(scores.shape[1:]))
    text = (scores.argmax(dim=2)[:, :len(gt)] == gt).all(dim=1)
    image = (scores.argmax(dim=1)[:, :len(gt)] == gt).all(dim=1)
    return scores.numpy(), {"text_acc": text.numpy(), "image_acc": image.numpy(), "acc": (text & image).numpy()}


def smallest_gap(scores: np.ndarray) -> np.ndarray:
    """Per item, the smallest |difference| between two scores either tool compares (same image or same caption)."""
    n, k, m = scores.shape
    gaps = [np.abs(scores[:, :, :, None] - scores[:, :, None, :])[:, :, ~np.eye(m, dtype=bool)].reshape(n, -1)]
    if k > 1:
        gaps.append(np.abs(scores[:, :, None, :] - scores[:, None, :, :])[:, ~np.eye(k, dtype=bool)].reshape(n, -1))
    return np.concatenate(gaps, axis=1).min(axis=1)


def agreement(task_name: str, dataset, data: Path, pairs: dict[str, str], model, tokenizer) -> None:
    """Where the tools decide an item differently, and whether every such item is one where longbench met an exact
    tie (decided by the rules as docs/compositional.md says) or a score gap below float noise between batches."""
    mine, decided, ties = longbench_scores(data, task_name)
    theirs, their_decided = clip_benchmark_scores(dataset, model, tokenizer)
    gaps = smallest_gap(mine)
    print(f"{task_name}: {len(mine)} items, {int(ties.sum())} with an exact tie in longbench's scores; largest score "
          f"difference between the tools {float(np.abs(mine - theirs).max()):.2e}")
    for ours, cb in pairs.items():
        differ = decided[ours] != their_decided[cb]
        untied = differ & ~ties
        print(f"  {ours} vs {cb}: {100 * decided[ours].mean():.2f} vs {100 * their_decided[cb].mean():.2f}; "
              f"decided differently {int(differ.sum())} (at a tie {int((differ & ties).sum())}, elsewhere "
              f"{int(untied.sum())}, their smallest score gap {float(gaps[untied].min()) if untied.any() else 0:.1e})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sugarcrepe-data", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--agreement", action="store_true", help="Per-item decisions instead of timings.")
    args = parser.parse_args()
    torch.set_num_threads(torch.get_num_threads())
    adapter = load_model("tiny-clip")
    model, transform = adapter.model.eval(), adapter.preprocess
    tokenizer = open_clip.get_tokenizer("ViT-B-32")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = write_files(work, args.sugarcrepe_data)
        captions = [c for s in SUBSETS for e in json.loads((data / "sugar-crepe" / "data" / f"{s}.json").read_text())
                    .values() for c in (e["caption"], e["negative_caption"])]
        same_ids = all(torch.equal(adapter.tokenize(captions[i:i + 512]).padded(77).ids, tokenizer(captions[i:i + 512]))
                       for i in range(0, len(captions), 512))
        print(f"token ids equal (longbench vs open_clip tokenizer, {len(captions)} captions): {same_ids}")
        cb_sugarcrepe = {f"sugarcrepe-{s}": SugarCrepe(data / "coco" / "val2017",
                                                       data / "sugar-crepe" / "data" / f"{s}.json", transform)
                         for s in SUBSETS}
        cb_winoground = {"winoground": WinoGroundFiles(data / "winoground", transform)}
        if args.agreement:
            for name, dataset in cb_sugarcrepe.items():
                agreement(name, dataset, data, {"text_acc": "text_acc"}, model, tokenizer)
            agreement("winoground", cb_winoground["winoground"], data,
                      {"text_score": "text_acc", "image_score": "image_acc", "group_score": "acc"}, model, tokenizer)
            return
        cb_ties = {name: SugarCrepe(work / "ties" / "coco" / "val2017",
                                    work / "ties" / "sugar-crepe" / "data" / f"{name.removeprefix('sugarcrepe-')}.json",
                                    transform) for name in cb_sugarcrepe}
        for label, root, tasks, cb_sets in (("sugarcrepe", data, "sugarcrepe", cb_sugarcrepe),
                                            ("ties", work / "ties", "sugarcrepe", cb_ties),
                                            ("winoground", data, "winoground", cb_winoground)):
            print(f"\n## {label} ({os.cpu_count()} cpus, torch threads {torch.get_num_threads()})", flush=True)
            timings(root, tasks, cb_sets, model, tokenizer, args.repeats)

if __name__ == "__main__":
    main()
