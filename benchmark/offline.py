"""Whether downloads are off: `LONGBENCH_OFFLINE` or `HF_HUB_OFFLINE` set to a true value (1, true, yes, on).

Every download longbench makes (registry weights, Hub checkpoints, Hub WebDataset shards) asks here first.
"""

from __future__ import annotations

import os

VARIABLES = ("LONGBENCH_OFFLINE", "HF_HUB_OFFLINE")


def offline() -> bool:
    truthy = {"1", "true", "yes", "on"}
    return any(os.environ.get(v, "").lower() in truthy for v in VARIABLES)
