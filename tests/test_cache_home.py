"""One cache home for weights, embeddings and classifiers, honouring LONGBENCH_CACHE and XDG_CACHE_HOME."""

from __future__ import annotations

from pathlib import Path

import pytest

from longbench.adapters.core.weights import weights_dir
from longbench.cache_home import (
    CLASSIFIERS,
    EMBEDDINGS,
    WEBDATASETS,
    WEIGHTS,
    cache_folder,
    cache_home,
    cache_home_source,
)
from longbench.embedding_cache import EmbeddingCache


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for variable in ("LONGBENCH_CACHE", "XDG_CACHE_HOME", "LONGBENCH_WEIGHTS"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return monkeypatch


def test_default_is_under_the_home_folder(clean_env, tmp_path):
    assert cache_home() == tmp_path / "home" / ".cache" / "longbench"
    assert "default" in cache_home_source()


def test_xdg_cache_home_moves_every_folder(clean_env, tmp_path):
    clean_env.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    home = tmp_path / "xdg" / "longbench"
    assert cache_home() == home and cache_home_source() == "$XDG_CACHE_HOME"
    assert weights_dir() == home / WEIGHTS
    assert EmbeddingCache().folder == home / EMBEDDINGS
    assert cache_folder(CLASSIFIERS) == home / CLASSIFIERS
    assert cache_folder(WEBDATASETS) == home / WEBDATASETS  # Hub downloads of wds: tasks


def test_longbench_cache_wins_over_xdg(clean_env, tmp_path):
    clean_env.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    clean_env.setenv("LONGBENCH_CACHE", str(tmp_path / "lb"))
    assert cache_home() == tmp_path / "lb" and cache_home_source() == "$LONGBENCH_CACHE"
    assert {weights_dir(), EmbeddingCache().folder, cache_folder(CLASSIFIERS)} == {
        tmp_path / "lb" / WEIGHTS, tmp_path / "lb" / EMBEDDINGS, tmp_path / "lb" / CLASSIFIERS}


def test_longbench_weights_overrides_the_weights_folder_alone(clean_env, tmp_path):
    clean_env.setenv("LONGBENCH_CACHE", str(tmp_path / "lb"))
    clean_env.setenv("LONGBENCH_WEIGHTS", str(tmp_path / "w"))
    assert weights_dir() == tmp_path / "w"
    assert cache_folder(EMBEDDINGS) == tmp_path / "lb" / EMBEDDINGS


def test_a_run_override_replaces_the_home(clean_env, tmp_path):
    clean_env.setenv("LONGBENCH_CACHE", str(tmp_path / "lb"))
    assert cache_folder(CLASSIFIERS, tmp_path / "run") == tmp_path / "run" / CLASSIFIERS
    assert EmbeddingCache(tmp_path / "run").folder == tmp_path / "run" / EMBEDDINGS
    assert cache_home_source(Path("x")) == "--cache-dir"


def test_unknown_folder_is_refused():
    with pytest.raises(ValueError, match="unknown cache folder"):
        cache_folder("tmp")
