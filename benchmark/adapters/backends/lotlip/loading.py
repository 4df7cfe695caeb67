"""`lotlip:ARCH[#bert=SOURCE] --checkpoint FILE`: a LoTLIP checkpoint, loaded the way the authors' evaluation does.

The authors' evaluation (wuw2019/LoTLIP at 301b906, README and `training/main.py`) builds
`create_model_and_transforms("lotlip_bert-ViT-B-16", pretrained=".../model.pt", cache_dir=CACHE)` with their open_clip
fork: a CustomTextCLIP whose text tower is BERT built from `CACHE/bert-base-uncased`'s config (not its weights), its
vocabulary grown by the 2 corner tokens, with a bias-free linear projection, and whose image tower is
`timm.create_model("vit_base_patch16_224.augreg_in21k", num_classes=0, global_pool="token")`; the checkpoint's
`state_dict` (`module.` stripped) is loaded over it. The tokenizer is `CACHE/bert-base-uncased`'s (tokenizer.py),
at 128 tokens; images go through timm's eval transform at 224 px with mean = std = 0.5 (the fork's `use_timm`
preprocessing: shortest side resized bicubic, centre crop, crop_pct 1).

ARCH is ViT-B-16 or ViT-B-32 (lotlip_bert-ViT-B-{16,32}.json). BERT's config and tokenizer come from SOURCE: by
default google-bert/bert-base-uncased at a pinned commit (what CACHE/bert-base-uncased holds), or a local folder or
ORG/REPO@COMMIT with #bert=.

Stricter than the fork, which loads with strict=False (a tensor missing from the file would keep BERT's random or
ViT's ImageNet-21k initial value): a missing or unexpected tensor is refused by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ....errors import CheckpointError, UnknownNameError
from ....provenance import ModelInfo
from ....registry import Registry
from ...core.checkpoint_files import check_keys, load_tensors, read_checkpoint
from ...core.hf_source import Source, resolve_source
from ...core.registry import register_prefix
from ..open_clip.adapter import LOSS_SCALARS
from ..transformers.loading import transformers
from .model import LotlipAdapter, LotlipText
from .tokenizer import LotlipTokenizer

#: google-bert/bert-base-uncased, pinned: LoTLIP's config names it (`hf_tokenizer_name`, `hf_model_name`).
BERT = "google-bert/bert-base-uncased@86b5e0934494bd15c9632b12f734a8a67f723594"
BERT_FILES = ("config.json", "vocab.txt", "tokenizer.json", "tokenizer_config.json")
#: Saved by older transformers as a buffer; the fork drops it before loading.
POSITION_IDS = "text.transformer.embeddings.position_ids"


@dataclass(frozen=True)
class LotlipArch:
    """The parts of a lotlip_bert-*.json config that a checkpoint's tensors do not say."""

    timm_model: str
    image_size: int = 224
    context_length: int = 128
    corners: int = 2
    timm_pool: str = "token"
    #: Further timm.create_model arguments (none for the released models).
    timm_kwargs: dict[str, Any] = field(default_factory=dict)


ARCHS: Registry[LotlipArch] = Registry("LoTLIP architecture")
ARCHS.add("ViT-B-16", LotlipArch("vit_base_patch16_224.augreg_in21k"))
ARCHS.add("ViT-B-32", LotlipArch("vit_base_patch32_224.augreg_in21k"))


def parse(spec: str) -> tuple[str, str]:
    """`ARCH[#bert=SOURCE]` -> (arch, BERT source)."""
    arch, _, variant = spec.partition("#")
    if variant and not variant.startswith("bert="):
        raise UnknownNameError(f"lotlip:{spec}: the only variant is #bert=FOLDER or #bert=ORG/REPO@COMMIT (where "
                               f"BERT's config and tokenizer come from), not #{variant}")
    return arch, variant.removeprefix("bert=") or BERT


@register_prefix("lotlip")
def lotlip_model(spec: str, checkpoint: Path | None, trust_remote_code: bool = False) -> LotlipAdapter:
    """LoTLIP runs no code from its checkpoint or BERT's repository: `trust_remote_code` changes nothing."""
    name = f"lotlip:{spec}"
    arch_name, bert = parse(spec)
    arch = ARCHS.get(arch_name)
    if checkpoint is None:
        raise UnknownNameError(f"{name}: give the LoTLIP checkpoint (model.pt) with --checkpoint FILE (or use a "
                               "registry entry: lotlip-B, lotlip-B-32)")
    source = resolve_source(bert, BERT_FILES)
    tf = transformers()
    tokenizer = LotlipTokenizer(tf.AutoTokenizer.from_pretrained(source.folder), arch.corners, _describe(source))
    ckpt = read_checkpoint(checkpoint)
    where = str(ckpt.path)
    text, trunk = _towers(arch, source, tf, tokenizer, where)
    expected = {**{f"text.{k}": k for k in text.state_dict()}, **{f"visual.trunk.{k}": k for k in trunk.state_dict()}}
    check_keys(ckpt.state_dict, expected, where, f"a LoTLIP {arch_name} checkpoint", (*LOSS_SCALARS, POSITION_IDS))
    for module, prefix in ((text, "text."), (trunk, "visual.trunk.")):
        load_tensors(module, {k[len(prefix):]: v for k, v in ckpt.state_dict.items() if k.startswith(prefix)
                              and k in expected}, where)
    info = ModelInfo(
        name=name, architecture=f"LoTLIP {arch_name}: {arch.timm_model} + BERT ({arch.corners} corner tokens)",
        context_length=arch.context_length, pos_embed_kind=None, checkpoint=where, checkpoint_sha256=ckpt.sha256,
        source=f"{ckpt.container} loaded as LoTLIP's lotlip_bert-{arch_name}", backend="lotlip")
    return LotlipAdapter(text, trunk, _preprocess(arch), tokenizer, arch.context_length, info)


def _towers(arch: LotlipArch, source: Source, tf, tokenizer: LotlipTokenizer, where: str):
    """BERT from the source's config with room for the corner tokens, its projection, and the timm ViT."""
    import timm

    config = tf.BertConfig.from_pretrained(source.folder)
    if tokenizer.pad_id != config.pad_token_id or max(tokenizer.corner_ids) != config.vocab_size + arch.corners - 1:
        raise CheckpointError(f"{source.name}: its tokenizer does not fit its config (pad id {tokenizer.pad_id} vs "
                              f"{config.pad_token_id}; corner tokens {tokenizer.corner_ids} after a vocabulary of "
                              f"{config.vocab_size})")
    config.vocab_size += arch.corners  # HFTextEncoder.resize_token_embeddings
    config._attn_implementation = "eager"  # the attention transformers 4.39 ran BERT with for the authors
    trunk = timm.create_model(arch.timm_model, pretrained=False, num_classes=0, global_pool=arch.timm_pool,
                              **arch.timm_kwargs)
    return LotlipText(tf.BertModel(config, add_pooling_layer=True), trunk.num_features, arch.corners), trunk


def _preprocess(arch: LotlipArch):
    """The fork's eval transform for timm towers: timm's, mean = std = 0.5, bicubic, crop_pct 1."""
    from timm.data import create_transform

    return create_transform((3, arch.image_size, arch.image_size), mean=(0.5,) * 3, std=(0.5,) * 3,
                            interpolation="bicubic", crop_pct=1.0)


def _describe(source: Source) -> str:
    return f"{source.repo}@{source.revision}" if source.repo else str(source.folder)
