"""`longbench doctor`: what this machine has (versions, device, folders, weights, datasets), as a list of checks.

A report, not a gate: a red line says what is absent and where it would go; nothing is downloaded or created.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from .cache_home import WEIGHTS, cache_folder, cache_home, cache_home_source

#: (label, distribution name) of the packages whose versions matter for reproducing a number.
PACKAGES = (("torch", "torch"), ("torchvision", "torchvision"), ("open_clip", "open_clip_torch"),
            ("longbench", "longbench"), ("numpy", "numpy"))


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def version_checks() -> list[Check]:
    checks = [Check("python", True, f"{platform.python_version()} ({platform.python_implementation()})")]
    for label, dist in PACKAGES:
        try:
            checks.append(Check(label, True, version(dist)))
        except PackageNotFoundError:
            checks.append(Check(label, False, f"not installed (pip install {dist})"))
    return checks


def device_check() -> Check:
    """The accelerator torch would use; a CPU is a valid device, only slower."""
    try:
        import torch
    except ImportError as err:
        return Check("device", False, f"torch cannot be imported ({err})")
    if torch.cuda.is_available():
        names = ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
        return Check("device", True, f"cuda: {names} (CUDA {torch.version.cuda})")
    if torch.backends.mps.is_available():
        return Check("device", True, "mps (Apple GPU)")
    return Check("device", True, f"cpu: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
                                 f"{torch.get_num_threads()} torch threads (no CUDA or MPS device)")


def folder_check(name: str, path: Path) -> Check:
    """A folder is fine if it is writable, or if it does not exist yet and can be created."""
    if path.is_dir():
        writable = os.access(path, os.W_OK)
        return Check(name, writable, f"{path}" + ("" if writable else " (not writable)"))
    parent = next((p for p in path.parents if p.exists()), None)
    creatable = parent is not None and parent.is_dir() and os.access(parent, os.W_OK)
    return Check(name, creatable, f"{path} (" + ("will be created on first use" if creatable else
                                                  f"cannot be created: {parent} is not a writable folder") + ")")


def folder_checks() -> list[Check]:
    home = folder_check("cache home", cache_home())
    home = Check(home.name, home.ok, f"{home.detail} [{cache_home_source()}]")
    return [home, folder_check("weights folder", cache_folder(WEIGHTS))]


def weights_checks() -> list[Check]:
    """One line per registry model: built in, local weights found (where), or absent (where they would come from)."""
    from .adapters import MODELS

    checks = []
    for name, spec in MODELS.items():
        if spec.build is not None:
            checks.append(Check(f"model {name}", True, "built in (random weights, no file needed)"))
            continue
        if spec.unavailable:
            continue  # listed by `longbench models` with the reason; nothing here could make it loadable
        path = spec.local_path()
        if path is not None:
            checks.append(Check(f"model {name}", True, f"weights at {path}"))
        elif spec.hf_repo and not spec.hf_filename and not spec.load_as:
            checks.append(Check(f"model {name}", False, f"no local weights: put the checkpoint from "
                                f"{spec.weights_source} at {cache_folder(WEIGHTS) / spec.local_filename} (it is not "
                                "downloaded)"))
        else:
            where = f" or {cache_folder(WEIGHTS) / spec.local_filename}" if spec.local_filename else ""
            checks.append(Check(f"model {name}", False,
                                f"no local weights (downloaded on first use from {spec.weights_source}{where})"))
    return checks


def dataset_checks(data_root: Path | None) -> list[Check]:
    if data_root is None:
        return [Check("datasets", False, "no --data-root given: datasets not checked")]
    from .fetch.status import data_status

    checks = []
    for row in data_status(data_root):
        status = row.status
        counts = ", ".join(f"{key} {status.found.get(key, 0)}/{n}" for key, n in status.expected.items())
        checks.append(Check(f"data {row.task}", status.state == "found",
                            f"{status.state}: {status.root}" + (f" ({counts})" if counts else "")))
    return checks


def doctor(data_root: Path | None = None) -> list[Check]:
    """Every check, in display order."""
    return [*version_checks(), device_check(), *folder_checks(), *weights_checks(), *dataset_checks(data_root)]
