"""One timed `longbench.run` of the bench job in a fresh process: `python -m longbench.bench.child SETTINGS_JSON`
(also under torchrun, where rank 0 alone reports).

Prints one JSON line: seconds spent importing, in `run` and writing result files, and the result (its timings are
the library's stage timings). The parent measures the process's wall time around it.
"""

from __future__ import annotations

import time

_START = time.perf_counter()

import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402


def main(argv: list[str]) -> None:
    settings = json.loads(argv[0])
    from longbench.runner import RunConfig, run
    from longbench.startup import process_age

    imported = time.perf_counter()
    config = RunConfig(data_root=Path(settings["data_root"]), output=Path(settings["output"]),
                       device=settings["device"], batch_size=settings["batch_size"], workers=settings["workers"],
                       decode=settings["decode"], precision=settings["precision"],
                       cache=settings.get("cache", True), progress=False, startup=process_age())
    runs = run(settings["model"], "coco", config, checkpoint=settings["checkpoint"])
    if not runs:  # a torchrun rank other than 0: rank 0 reports
        return
    [done] = runs
    print(json.dumps({"imports": imported - _START, "run": time.perf_counter() - imported,
                      "write": done.write_seconds, "result": done.result.to_dict()}))


if __name__ == "__main__":
    main(sys.argv[1:])
