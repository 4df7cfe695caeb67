"""Screenshots of the web leaderboard for docs/leaderboard.md, taken by Playwright in the system Chromium.

    python tools/site_screenshots.py [--out docs/img]

Runs `longbench demo` in a temporary folder (two tiny random models measured on generated samples of every task: real
measurements, so every number is chance level, and a probe), builds the site from its results and the packaged
reported numbers, then writes leaderboard-index.png (the index, light theme) and leaderboard-model.png (a model page,
dark theme), reduced to a small palette so that the repository stays light.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from longbench.demo import CANDIDATE, demo  # noqa: E402
from longbench.report import load_references, load_results  # noqa: E402
from longbench.report.site import build_site, write_site  # noqa: E402
from tests.report.browser import CHROMIUM_ARGS, chromium_path  # noqa: E402

WIDTH = 1280


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="longbench-shots-"))
    try:
        results = demo(work / "demo", log=print).results
        site = write_site(build_site(load_results(results), load_references()), work / "site")
        args.out.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                str(work / "profile"), executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS,
                viewport={"width": WIDTH, "height": 760})
            context.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
            page = context.new_page()
            page.goto((site / "index.html").as_uri())
            _save(page.screenshot(), args.out / "leaderboard-index.png")
            page.emulate_media(color_scheme="dark")
            page.goto((site / "models" / f"{CANDIDATE}.html").as_uri())
            top = page.locator("#results-retrieval").bounding_box()["y"] - 12
            page.set_viewport_size({"width": WIDTH, "height": 2400})
            _save(page.screenshot(clip={"x": 0, "y": top, "width": WIDTH, "height": 1200}),
                  args.out / "leaderboard-model.png")
            context.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _save(png: bytes, path: Path) -> None:
    """A 64-colour palette PNG: the pages are flat colours and text, so this keeps them sharp and small."""
    with tempfile.NamedTemporaryFile(suffix=".png") as raw:
        raw.write(png)
        raw.flush()
        image = Image.open(raw.name).convert("RGB")
        image.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
