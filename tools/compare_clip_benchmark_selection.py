"""Comparison: longbench's SugarCrepe and Winoground against CLIP_benchmark's `image_caption_selection` on the same
files with the same model, timed in one process (docs/compositional.md has the figures).

Files: SugarCrepe's seven real annotation files (RAIVNLab/sugar-crepe's data/, given with --sugarcrepe-data) with a
synthetic picture written at every filename they name (COCO's images cannot be downloaded here), and a 400-item
Winoground sample in the Hub layout (examples.jsonl + images.zip; the real files are gated). A tie check: copies of
the seven files in which every tenth negative is replaced by its caption.

Model: longbench's tiny-clip (random weights), handed to CLIP_benchmark as its open_clip model, preprocessing and
an open_clip tokenizer (the script checks the token ids equal longbench's). CLIP_benchmark runs as its CLI would
with --no_amp (fp32, as longbench on the CPU), its default --batch_size 64 and --num_workers 4; SugarCrepe through
its own dataset class and collate function, Winoground through a dataset whose __getitem__ is CLIP_benchmark's
WinoGround.__getitem__ with the images read from the same files (its class loads the gated Hub dataset). longbench
runs as `longbench run` would (batch size and workers auto, embedding cache off). Each side runs --repeats times;
the fastest is reported.

    python tools/compare_clip_benchmark_selection.py --sugarcrepe-data PATH/TO/sugar-crepe/data [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
import zipfile
from pathlib import Path

import open_clip
import torch
from clip_benchmark.datasets.builder import image_captions_collate_fn
from clip_benchmark.datasets.sugar_crepe import SugarCrepe
from clip_benchmark.metrics import image_caption_selection
from PIL import Image

from longbench.adapters import load_model
from longbench.data.synthetic import write_image
from longbench.runner import RunConfig, run
from longbench.tasks import get_task, resolve_tasks

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
        write_image(data / "coco" / "val2017" / name, i)
    (work / "ties" / "coco").symlink_to(data / "coco")
    get_task("winoground").write_sample(data / "winoground", 400, seed=0)
    return data


def longbench_side(data: Path, tasks: str, repeats: int) -> tuple[float, dict[str, dict[str, float]]]:
    best, metrics = float("inf"), {}
    for r in range(repeats):
        start = time.perf_counter()
        runs = run("tiny-clip", tasks, RunConfig(data_root=data, output=data.parent / f"results-{r}", device="cpu",
                                                 progress=False, cache=False, overwrite=True))
        best = min(best, time.perf_counter() - start)
        metrics = {x.task: {**x.result.metrics, "exact_ties": x.result.task.counts["exact_ties"]} for x in runs}
    return best, metrics


def clip_benchmark_side(datasets: dict[str, torch.utils.data.Dataset], model, tokenizer,
                        repeats: int) -> tuple[float, dict[str, dict[str, float]]]:
    best, metrics = float("inf"), {}
    for _ in range(repeats):
        start = time.perf_counter()
        for name, dataset in datasets.items():
            loader = torch.utils.data.DataLoader(dataset, batch_size=64, shuffle=False, num_workers=4,
                                                 collate_fn=image_captions_collate_fn)
            metrics[name] = image_caption_selection.evaluate(model, loader, tokenizer, "cpu", amp=False)
        best = min(best, time.perf_counter() - start)
    return best, metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sugarcrepe-data", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=2)
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
        for label, root, tasks in (("sugarcrepe", data, "sugarcrepe"), ("ties", work / "ties", "sugarcrepe"),
                                   ("winoground", data, "winoground")):
            cb_sets = ({f"sugarcrepe-{s}": SugarCrepe(root / "coco" / "val2017",
                                                      root / "sugar-crepe" / "data" / f"{s}.json", transform)
                        for s in SUBSETS} if tasks == "sugarcrepe"
                       else {"winoground": WinoGroundFiles(root / "winoground", transform)})
            lb_time, lb = longbench_side(root, tasks, args.repeats)
            cb_time, cb = clip_benchmark_side(cb_sets, model, tokenizer, args.repeats)
            print(f"\n## {label}: longbench {lb_time:.1f} s, CLIP_benchmark {cb_time:.1f} s")
            for name in cb_sets:
                print(f"{name}: longbench {json.dumps(lb[name])}; CLIP_benchmark {json.dumps(cb[name])}")


if __name__ == "__main__":
    main()
