"""Run settings: checked where they are given, resolved once per run, handed to the encoder."""

from __future__ import annotations

import pytest
import torch

from longbench import settings as settings_module
from longbench.errors import DataError, UnknownNameError
from longbench.runner import RunConfig, run
from longbench.settings import RunSettings
from tests.helpers.samples import write_samples


def test_resolve_turns_auto_into_what_is_used():
    s = RunSettings.resolve("cpu")
    assert (s.device, s.dtype, s.batch_size, s.workers, s.decode) == (torch.device("cpu"), torch.float32, 64,
                                                                        "auto", "pil")
    assert RunSettings.resolve("cpu", "bf16", "8", "2").batch_size == 8


@pytest.mark.parametrize(("field", "value", "error", "message"), [
    ("precision", "fp8", DataError, "unknown precision 'fp8'"),
    ("batch_size", "0", DataError, "--batch-size 0"),
    ("workers", "many", DataError, "--workers 'many'"),
    ("decode", "nvjpeg", UnknownNameError, "unknown image decoding"),
])
def test_a_bad_value_fails_when_the_config_is_made(field, value, error, message):
    with pytest.raises(error, match=message):
        RunConfig(**{field: value})


def test_counts_given_as_text_are_kept_as_numbers():
    config = RunConfig(batch_size="8", workers="auto")
    assert (config.batch_size, config.workers) == (8, "auto")


def test_a_run_resolves_the_device_once_and_the_encoder_uses_it(tmp_path, monkeypatch):
    data = write_samples(tmp_path / "data", "urban1k,coco", 4, seed=0)
    calls = []
    real = settings_module.resolve_device
    monkeypatch.setattr(settings_module, "resolve_device", lambda d: calls.append(d) or real(d))
    monkeypatch.setattr("longbench.runner.resolve_device", settings_module.resolve_device)
    runs = run("tiny-clip", "urban1k,coco", RunConfig(data_root=data, output=tmp_path / "out", device="cpu",
                                                     batch_size=3, progress=False, cache=False))
    assert calls == ["cpu"]
    assert all(r.result.environment["batch_size"] == 3 for r in runs)
