"""Prompt sets: imagenet80 (Long-CLIP), clip (CLIP paper / CLIP_benchmark), and JSON prompt files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from longbench.errors import DataError, UnknownNameError
from longbench.prompts import PROMPT_SETS, resolve_prompts
from longbench.tasks.cifar import CIFAR10_NAMES, CIFAR100_NAMES

CIFAR10 = list(CIFAR10_NAMES)
CIFAR100 = list(CIFAR100_NAMES)


def test_registered_sets():
    assert {"imagenet80", "clip"} <= set(PROMPT_SETS)


def test_imagenet80_is_open_clips_80_openai_templates_with_raw_names():
    from open_clip.zero_shot_metadata import OPENAI_IMAGENET_TEMPLATES

    p = resolve_prompts("imagenet80", "cifar100", CIFAR100)
    assert p.name == "imagenet80" and len(p.templates) == 80 and len(set(p.templates)) == 80
    assert [t.replace("{c}", "cat") for t in p.templates] == [t("cat") for t in OPENAI_IMAGENET_TEMPLATES]
    assert p.classnames[1] == "aquarium_fish"  # Long-CLIP keeps the underscore
    assert "itap of a aquarium_fish." in p.texts("aquarium_fish")


def test_clip_set_on_cifar10_is_the_clip_papers_18_templates():
    p = resolve_prompts("clip", "cifar10", CIFAR10)
    assert len(p.templates) == 18
    assert p.templates[0] == "a photo of a {c}."
    assert "a blurry photo of a {c}." in p.templates
    assert "a black and white photo of the {c}." in p.templates
    assert p.templates[-1] == "a photo of the big {c}."
    assert p.classnames == CIFAR10


def test_clip_set_on_cifar100_cleans_class_names():
    p = resolve_prompts("clip", "cifar100", CIFAR100)
    assert p.classnames[1] == "aquarium fish" and "maple tree" in p.classnames
    assert p.texts("aquarium fish")[1] == "a blurry photo of a aquarium fish."


@pytest.mark.parametrize("task", ["imagenet", "objectnet"])
def test_clip_set_on_imagenet_like_tasks_uses_80_templates_and_the_tasks_names(task):
    p = resolve_prompts("clip", task, ["tench", "goldfish"])
    assert len(p.templates) == 80 and p.classnames == ["tench", "goldfish"]


def test_clip_set_on_an_unknown_task_is_an_error():
    with pytest.raises(UnknownNameError, match="no prompts for task 'mnist'"):
        resolve_prompts("clip", "mnist", ["0"])


def test_unknown_set_name_suggests():
    with pytest.raises(UnknownNameError, match="did you mean imagenet80"):
        resolve_prompts("imagenet8", "cifar10", CIFAR10)


def _write(tmp_path: Path, data, name: str = "prompts.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_file_with_both_keys(tmp_path):
    path = _write(tmp_path, {"templates": ["a {c}.", "{c} again"], "classnames": ["x", "y"]})
    p = resolve_prompts(str(path), "cifar10", ["a", "b"])
    assert p.templates == ["a {c}.", "{c} again"] and p.classnames == ["x", "y"]
    assert p.name.startswith("file:prompts.json@")
    other = resolve_prompts(_write(tmp_path, {"templates": ["b {c}."], "classnames": ["x", "y"]}, "b.json"),
                            "cifar10", ["a", "b"])
    assert other.name != p.name


def test_file_with_templates_only_uses_the_tasks_names(tmp_path):
    p = resolve_prompts(_write(tmp_path, {"templates": ["a photo of {c}"]}), "cifar100", CIFAR100)
    assert p.templates == ["a photo of {c}"] and p.classnames == CIFAR100


def test_file_with_classnames_only_uses_the_default_templates(tmp_path):
    p = resolve_prompts(str(_write(tmp_path, {"classnames": ["first", "second"]})), "cifar10", ["a", "b"])
    assert len(p.templates) == 80 and p.classnames == ["first", "second"]


@pytest.mark.parametrize("data,message", [
    ({"classnames": ["only one"]}, "'classnames' has 1 names but task cifar10 has 2 classes"),
    ({"templates": ["a photo of a {}."]}, r"template 0 'a photo of a \{\}.' has no \{c\} slot .*write \{c\}"),
    ({"templates": "a {c}"}, "'templates' must be a non-empty list"),
    ({"templates": []}, "'templates' must be a non-empty list"),
    ({"template": ["a {c}"]}, "unknown key.* template "),
    ([1, 2], "expected a JSON object"),
    ("{not json", r"not valid JSON \(line 1"),
])
def test_file_errors_are_one_line_and_name_the_file(tmp_path, data, message):
    path = _write(tmp_path, data)
    with pytest.raises(DataError, match=message) as err:
        resolve_prompts(str(path), "cifar10", ["a", "b"])
    assert str(err.value).startswith(str(path)) and "\n" not in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="prompt file not found"):
        resolve_prompts(str(tmp_path / "nope.json"), "cifar10", ["a", "b"])
