"""`prolip:ORG/REPO[@REVISION]` or `prolip:FOLDER`, optionally `#tokenizer=ORG/REPO[@REVISION]` or
`#tokenizer=FOLDER`: a ProLIP / LongProLIP checkpoint in the layout its authors publish (`config.json` +
`model.safetensors`, written by `PyTorchModelHubMixin`), loaded without running any of their code.

`--checkpoint FILE` replaces the weights file (the config still comes from the repository or folder). The tokenizer
is the one the config names (`text_cfg.hf_tokenizer_name`, e.g. timm/ViT-B-16-SigLIP), at the commit pinned in
TOKENIZER_PINS; `#tokenizer=` names another copy of it (an offline folder). The image transform is the authors'
evaluation transform (`image_transform_v2` of their default `PreprocessCfg`): bicubic resize of the short side,
centre crop, OpenAI mean and std.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import torch

from ....errors import CheckpointError, UnknownNameError
from ....provenance import ModelInfo
from ...core.checkpoint_files import read_checkpoint
from ...core.hf_source import resolve_source, split_name
from ...core.registry import register_prefix
from ...core.scoring import CSD
from ..open_clip.build import clip_preprocess
from ..transformers.loading import first_line, transformers
from .config import ProLIPConfig, read_config
from .model import ProLIPModel
from .tokenizer import ProLIPTokenizer
from .towers import ProLIPTowers

CONFIG, WEIGHTS = "config.json", "model.safetensors"
#: Tensors of the checkpoint that scale the loss's logits and no embedding.
LOSS_SCALARS = ("logit_scale", "logit_bias")
#: Tokenizer repositories the released configs name -> the commit their files are read at.
TOKENIZER_PINS = {"timm/ViT-B-16-SigLIP": "41f575766f40e752fdd1383e9565b7f02388c1c4",
                  "timm/ViT-SO400M-14-SigLIP": "c85ba2402be4b49b5d178f2e2384fdf50f8c7961"}
TOKENIZER_FILES = ["*.json", "*.model", "*.txt"]


@register_prefix("prolip")
def prolip_model(spec: str, checkpoint: Path | None, trust_remote_code: bool = False) -> ProLIPModel:
    """No code from the checkpoint or the tokenizer repository runs, so `trust_remote_code` changes nothing."""
    source = resolve_source(spec, [CONFIG] if checkpoint else [CONFIG, WEIGHTS])
    config_path = source.folder / CONFIG
    config = read_config(source.config, str(config_path))
    weights = checkpoint or source.folder / WEIGHTS
    if not Path(weights).is_file():
        raise CheckpointError(f"{source.name}: no {WEIGHTS} in {source.folder} (pass --checkpoint FILE)")
    ckpt = read_checkpoint(weights)
    towers = ProLIPTowers(config)
    load_strict(towers, ckpt.state_dict, str(ckpt.path), str(config_path))
    tokenizer = load_tokenizer(config, source.variant, source.name)
    provenance = ModelInfo(name=f"prolip:{spec}", architecture=config.description,
                           context_length=config.text.context_length, pos_embed_kind=None, checkpoint=str(ckpt.path),
                           checkpoint_sha256=ckpt.sha256, source=f"{source.repo or source.folder} ({ckpt.container})",
                           backend="prolip", revision=source.revision, tokenizer=tokenizer.name, scoring=CSD)
    model = ProLIPModel(towers, tokenizer, provenance, clip_preprocess(config.vision.image_size))
    model.provenance = replace(provenance, text_spec=model.text_spec.to_dict())
    return model


def load_strict(towers: ProLIPTowers, state: dict[str, torch.Tensor], where: str, config: str) -> None:
    """Every tensor of the layout present with its shape, nothing else but the loss scalars; else one line naming
    the first missing, unexpected or misshapen tensor."""
    expected = towers.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected and k not in LOSS_SCALARS]
    if missing or unexpected:
        found = [f"missing {', '.join(missing[:3])}" if missing else "",
                 f"unexpected {', '.join(unexpected[:3])}" if unexpected else ""]
        raise CheckpointError(f"{where}: not the ProLIP layout {config} describes: "
                              f"{'; '.join(f for f in found if f)}")
    for key, tensor in expected.items():
        if state[key].shape != tensor.shape:
            raise CheckpointError(f"{where}: {key} has shape {tuple(state[key].shape)}, {config} implies "
                                  f"{tuple(tensor.shape)}")
    towers.load_state_dict({k: state[k].float() for k in expected}, strict=True)


def load_tokenizer(config: ProLIPConfig, variant: str | None, name: str) -> ProLIPTokenizer:
    spec = tokenizer_spec(config, variant, name)
    source = resolve_source(spec, TOKENIZER_FILES)
    try:
        tok = transformers().AutoTokenizer.from_pretrained(source.folder)
    except (OSError, ValueError, TypeError) as exc:
        raise CheckpointError(f"{source.name}: transformers could not read the tokenizer ({first_line(exc)})") \
            from None
    origin = f"{source.repo}@{source.revision}" if source.repo else str(source.folder)
    return ProLIPTokenizer(tok, config.text.clean, origin)


def tokenizer_spec(config: ProLIPConfig, variant: str | None, name: str) -> str:
    """`#tokenizer=...` where given, else the config's tokenizer at its pinned commit."""
    if variant is not None:
        key, sep, value = variant.partition("=")
        if key != "tokenizer" or not sep or not value:
            raise UnknownNameError(f"{name}: ProLIP takes #tokenizer=ORG/REPO[@REVISION] or #tokenizer=FOLDER, not "
                                   f"#{variant}")
        return value
    repo = config.text.tokenizer_name
    if repo is None:
        raise CheckpointError(f"{name}: its config names no tokenizer (text_cfg.hf_tokenizer_name), and the authors' "
                              "get_tokenizer refuses such a model ('simple tokenizer is not supported'); name one "
                              "with #tokenizer=ORG/REPO@REVISION")
    target, revision, _ = split_name(repo)
    pin = revision or TOKENIZER_PINS.get(target)
    return f"{target}@{pin}" if pin else target
