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


def test_settings_are_names_until_torch_objects_are_asked_for():
    s = RunSettings.resolve("cpu", "bf16")
    assert (s.device_name, s.device_type, s.precision, s.dtype_name) == ("cpu", "cpu", "bf16", "bfloat16")
    assert (s.device, s.dtype) == (torch.device("cpu"), torch.bfloat16)


class _Torch:
    """A stand-in for torch that says whether CUDA is there, and records that it was asked."""

    def __init__(self, cuda: bool):
        self.asked = []
        self.cuda = type("cuda", (), {"is_available": lambda _: self.asked.append("cuda") or cuda})()
        self.backends = type("backends", (), {"mps": type("mps", (), {"is_available": lambda _: False})()})()


@pytest.mark.parametrize(("files", "cuda", "expected", "asked"), [
    ([], True, "cpu", []),  # no accelerator's device file on Linux: the CPU, without importing torch
    (["nvidiactl"], True, "cuda", ["cuda"]),
    (["kfd"], False, "cpu", ["cuda"]),  # the files are there, torch sees no device
])
def test_auto_asks_torch_only_where_an_accelerator_can_be(tmp_path, monkeypatch, files, cuda, expected, asked):
    for name in files:
        (tmp_path / name).touch()
    monkeypatch.setattr(settings_module, "ACCELERATOR_FILES", tuple(str(tmp_path / n) for n in ("nvidiactl", "kfd")))
    monkeypatch.setattr(settings_module.sys, "platform", "linux")
    fake = _Torch(cuda)
    monkeypatch.setattr(settings_module, "torch", fake)
    assert settings_module.resolve_device("auto") == expected and fake.asked == asked
    assert settings_module.resolve_device("cpu") == "cpu" and fake.asked == asked
