"""Prompt sets for zero-shot classification: templates with a `{c}` slot, and the class names that fill it.

Two protocols are registered, and the one used is recorded in every result:

- `imagenet80`: the 80 OpenAI ImageNet templates (taken from open_clip, not retyped) with each task's raw class
  names, as Long-CLIP evaluates all its classification tasks (CIFAR-100 `aquarium_fish` keeps its underscore).
- `clip`: the CLIP paper's dataset-specific prompts (openai/CLIP data/prompts.md) as CLIP_benchmark uses them:
  the 18 CIFAR templates with cleaned class names (underscores -> spaces, exactly the paper's CIFAR lists); for
  ImageNet the 80 templates with open_clip's cleaned names; for ObjectNet, for which CLIP_benchmark has no
  templates of its own, its fallback, the 80 ImageNet templates, with the lower-cased ObjectNet names.

A JSON file `{"templates": [...], "classnames": [...]}` (either key may be left out) gives a custom set. Data that
ships its own prompts (WebDataset shards' `zeroshot_classification_templates.txt` and `classnames.txt`) carries
them in its dataset (`shipped_prompts`); they are used unless --templates names others.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from .data.paths import require_regular_file
from .errors import DataError, UnknownNameError
from .registry import Registry

#: The slot a template's class name goes into. Filled with str.replace, so other braces in a template are kept.
SLOT = "{c}"
DEFAULT_PROMPTS = "imagenet80"

#: The CLIP paper's CIFAR-10 / CIFAR-100 templates (openai/CLIP data/prompts.md; CLIP_benchmark's `cifar10`,
#: `cifar100` entries).
CLIP_CIFAR_TEMPLATES: tuple[str, ...] = (
    "a photo of a {c}.",
    "a blurry photo of a {c}.",
    "a black and white photo of a {c}.",
    "a low contrast photo of a {c}.",
    "a high contrast photo of a {c}.",
    "a bad photo of a {c}.",
    "a good photo of a {c}.",
    "a photo of a small {c}.",
    "a photo of a big {c}.",
    "a photo of the {c}.",
    "a blurry photo of the {c}.",
    "a black and white photo of the {c}.",
    "a low contrast photo of the {c}.",
    "a high contrast photo of the {c}.",
    "a bad photo of the {c}.",
    "a good photo of the {c}.",
    "a photo of the small {c}.",
    "a photo of the big {c}.",
)


@dataclass(frozen=True)
class Prompts:
    """A resolved prompt set: `classnames[i]` is class i of the task, in the task's class order."""

    name: str
    templates: list[str]
    classnames: list[str]

    def texts(self, classname: str) -> list[str]:
        return [t.replace(SLOT, classname) for t in self.templates]


#: (task name, the task's own class names) -> (templates, class names to fill them with).
Builder = Callable[[str, list[str]], tuple[list[str], list[str]]]


@dataclass(frozen=True)
class PromptSet:
    name: str
    description: str
    build: Builder


PROMPT_SETS: Registry[PromptSet] = Registry("prompt set")


def openai_imagenet_templates() -> list[str]:
    """open_clip's copy of the 80 OpenAI ImageNet templates, as `{c}` strings."""
    return [template(SLOT) for template in _zero_shot_metadata().OPENAI_IMAGENET_TEMPLATES]


@functools.cache
def _zero_shot_metadata() -> ModuleType:
    """open_clip's `zero_shot_metadata.py`, run from its file: the module imports nothing, but importing it through
    its package imports open_clip, torch, torchvision and transformers (seconds that a re-run whose classifier is
    cached would spend for nothing)."""
    spec = importlib.util.find_spec("open_clip")
    path = Path(spec.submodule_search_locations[0]) / "zero_shot_metadata.py" if spec else None
    if path is None or not path.is_file():  # not installed as files: the ordinary import
        return importlib.import_module("open_clip.zero_shot_metadata")
    module_spec = importlib.util.spec_from_file_location("longbench_open_clip_zero_shot_metadata", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def _imagenet80(task: str, classnames: list[str]) -> tuple[list[str], list[str]]:
    return openai_imagenet_templates(), list(classnames)


def _underscores_to_spaces(classnames: list[str]) -> list[str]:
    return [c.replace("_", " ") for c in classnames]


#: task -> (templates, class-name cleaning) of the `clip` protocol.
_CLIP_BY_TASK: dict[str, tuple[Callable[[], list[str]], Callable[[list[str]], list[str]]]] = {
    "cifar10": (lambda: list(CLIP_CIFAR_TEMPLATES), _underscores_to_spaces),
    "cifar100": (lambda: list(CLIP_CIFAR_TEMPLATES), _underscores_to_spaces),
    # The ImageNet and ObjectNet tasks already name their classes the way CLIP_benchmark does.
    "imagenet": (openai_imagenet_templates, list),
    "objectnet": (openai_imagenet_templates, list),
}


def _clip(task: str, classnames: list[str]) -> tuple[list[str], list[str]]:
    if task not in _CLIP_BY_TASK:
        raise UnknownNameError(
            f"prompt set 'clip' has no prompts for task {task!r} (it covers: {', '.join(sorted(_CLIP_BY_TASK))})"
        )
    templates, clean = _CLIP_BY_TASK[task]
    return templates(), clean(list(classnames))


PROMPT_SETS.add("imagenet80", PromptSet(
    "imagenet80", "the 80 OpenAI ImageNet templates with the task's raw class names (Long-CLIP's protocol)",
    _imagenet80))
PROMPT_SETS.add("clip", PromptSet(
    "clip", "the CLIP paper's dataset-specific templates and cleaned class names (CLIP_benchmark's protocol)",
    _clip))


def resolve_prompts(name_or_path: str | Path, task_name: str, classnames: list[str],
                    default: str = DEFAULT_PROMPTS) -> Prompts:
    """A registered prompt set by name, or a JSON file; `classnames` are the task's own, in class order.

    A file that leaves out `templates` or `classnames` takes them from the `default` set.
    """
    if _is_file_spec(name_or_path):
        return _from_file(Path(name_or_path), task_name, classnames, default)
    name = str(name_or_path)
    templates, names = PROMPT_SETS.get(name).build(task_name, list(classnames))
    return Prompts(name, templates, names)


def _is_file_spec(value: str | Path) -> bool:
    text = str(value)
    return isinstance(value, Path) or text.endswith(".json") or "/" in text or "\\" in text or Path(text).is_file()


_FILE_KEYS = ("templates", "classnames")


def _from_file(path: Path, task_name: str, classnames: list[str], default: str) -> Prompts:
    data = _read_json(path)
    if not isinstance(data, dict) or not data:
        raise DataError(f"{path}: expected a JSON object with 'templates' and/or 'classnames'")
    unknown = sorted(set(data) - set(_FILE_KEYS))
    if unknown:
        raise DataError(f"{path}: unknown key(s) {', '.join(unknown)} (allowed: templates, classnames)")
    base_templates, base_names = PROMPT_SETS.get(default).build(task_name, list(classnames))
    templates = _string_list(data["templates"], path, "templates") if "templates" in data else base_templates
    names = _string_list(data["classnames"], path, "classnames") if "classnames" in data else base_names
    _require_slots(templates, path)
    if len(names) != len(classnames):
        raise DataError(
            f"{path}: 'classnames' has {len(names)} names but task {task_name} has {len(classnames)} classes "
            f"(give one name per class, in the task's class order)"
        )
    digest = hashlib.sha256(json.dumps([templates, names]).encode()).hexdigest()[:12]
    return Prompts(f"file:{path.name}@{digest}", templates, names)


def shipped_prompts(source: str, templates: list[str], classnames: list[str]) -> Prompts:
    """The prompts a dataset ships with, named `<source>@<digest>` (`source`: the files they were read from);
    a template without the `{c}` slot is a DataError naming it."""
    _require_slots(templates, source)
    digest = hashlib.sha256(json.dumps([templates, classnames]).encode()).hexdigest()[:12]
    return Prompts(f"{source}@{digest}", list(templates), list(classnames))


def _require_slots(templates: list[str], where: object) -> None:
    for i, template in enumerate(templates):
        if SLOT not in template:
            hint = " (write {c}, not {})" if "{}" in template else ""
            raise DataError(f"{where}: template {i} {template!r} has no {SLOT} slot for the class name{hint}")


def _read_json(path: Path) -> object:
    require_regular_file(path, "--templates")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: prompt file not found") from None
    except IsADirectoryError:
        raise DataError(f"{path}: expected a JSON prompt file, found a folder") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: prompt file is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None


def _string_list(value: object, path: Path, key: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise DataError(f"{path}: '{key}' must be a non-empty list of non-empty strings")
    return list(value)
