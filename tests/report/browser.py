"""The system Chromium for browser tests and screenshots, driven by Playwright (which never downloads a browser
here): where it is, how it is launched on a machine without network, and why it is missing when it is."""

from __future__ import annotations

import os
import shutil

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str | None:
    wanted = os.environ.get("LONGBENCH_CHROMIUM")
    return shutil.which(wanted) if wanted else shutil.which("chromium") or shutil.which("chromium-browser")


def browser_problem() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install playwright; the `test` extra has it)"
    if chromium_path() is None:
        return ("no system Chromium (apt-get install chromium, or set LONGBENCH_CHROMIUM to a Chromium binary; "
                f"LONGBENCH_CHROMIUM={os.environ.get('LONGBENCH_CHROMIUM', '')!r})")
    return None
