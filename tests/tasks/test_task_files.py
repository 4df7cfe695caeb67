"""Every file a task reads (annotation, caption, split and mapping files, not only images) is opened only when it
is a regular file inside the task's folder: a symlink leading out, a FIFO or a folder in its place is refused by
name (data/paths.py), never read, never called "not found"."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from longbench.datasets import LoadOptions
from longbench.errors import DataError
from longbench.tasks import all_tasks, get_task

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
BUILT_IN = [t.meta.name for t in all_tasks()]


def files_read(task, root: Path) -> list[Path]:
    """The sample's non-image files that loading reads (without each, loading fails or loads other data)."""
    whole = task.load(root, LoadOptions()).image_ids
    read = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() not in IMAGE_SUFFIXES):
        data = path.read_bytes()
        path.unlink()
        try:
            if task.load(root, LoadOptions()).image_ids != whole:
                read.append(path)
        except DataError:
            read.append(path)
        path.write_bytes(data)
    return read


@pytest.mark.parametrize("name", BUILT_IN)
def test_a_file_a_task_reads_is_refused_as_a_symlink_out_a_fifo_or_a_folder(tmp_path, name):
    task = get_task(name)
    if task.unavailable():  # ARO's order tasks without spaCy and NLTK
        pytest.skip(task.unavailable())
    root = task.root(tmp_path / "data")
    task.write_sample(root, 4, seed=0)
    outside = tmp_path / "outside"
    outside.mkdir()
    read = files_read(task, root)
    assert read or name == "imagenet"  # ImageNet reads images only
    for path in read:
        data = path.read_bytes()
        shutil.copy(path, outside / path.name)
        path.unlink()
        path.symlink_to(outside / path.name)
        with pytest.raises(DataError, match=rf"{path.name} is a symlink leading outside the data folder"):
            task.load(root, LoadOptions())
        path.unlink()
        os.mkfifo(path)
        with pytest.raises(DataError, match=rf"{path.name} is a FIFO \(named pipe\); only regular files are read"):
            task.load(root, LoadOptions())
        path.unlink()
        path.mkdir()
        with pytest.raises(DataError, match=rf"{path.name} is a folder; only regular files are read"):
            task.load(root, LoadOptions())
        path.rmdir()
        path.write_bytes(data)
    task.load(root, LoadOptions())


def test_a_folder_task_refuses_a_caption_symlinked_out(tmp_path):
    task = get_task(f"folder:{tmp_path / 'mine'}")
    task.write_sample(task.root(None), 3)
    caption = tmp_path / "mine" / "caption" / "2.txt"
    (tmp_path / "hostname").write_text("a machine's name")
    caption.unlink()
    caption.symlink_to(tmp_path / "hostname")
    with pytest.raises(DataError, match=r"caption/2\.txt is a symlink leading outside the data folder"):
        task.load(task.root(None), LoadOptions())
