"""Tiny random open_clip models of each family, written in open_clip's own folder format.

`open_clip_config.json` (`model_cfg` + `preprocess_cfg`) and `open_clip_model.safetensors`, plus a locally built
`tokenizers` tokenizer where the family uses a Hugging Face tokenizer (as `local-dir:` reads it). No download.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import open_clip
import torch
from safetensors.torch import save_file

VISION = {"image_size": 32, "layers": 1, "width": 64, "patch_size": 8}
CLIP_TEXT = {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2}
#: Replaced by the path of a tiny Hugging Face text model written beside the config.
HF_TEXT = "<hf_text>"
WORDS = ["a", "cat", "dog", "on", "the", "mat", "red", "sofa", "two", "birds", "word", "asleep", "in", "afternoon",
         "sun", "and", "of", "with", "by", "door", "street", "light"]

#: family -> (model_cfg, preprocess_cfg, tokenizer special tokens or None for CLIP BPE)
FAMILIES = {
    "clip": ({"embed_dim": 32, "quick_gelu": True, "vision_cfg": VISION, "text_cfg": CLIP_TEXT}, {}, None),
    # SigLIP / SigLIP 2: bidirectional, no padding mask, pooled at the last position, pad = eos, canonicalised.
    "siglip": ({"embed_dim": 32, "init_logit_bias": -10, "custom_text": True, "vision_cfg": VISION,
                "text_cfg": {"context_length": 16, "vocab_size": 64, "width": 64, "heads": 2, "layers": 2,
                             "no_causal_mask": True, "pool_type": "last", "proj_bias": True, "pad_id": 1,
                             "hf_tokenizer_name": "local", "tokenizer_kwargs": {"clean": "canonicalize"}}},
               {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "interpolation": "bicubic", "resize_mode": "squash"},
               {"unk": "<unk>", "eos": "</s>", "pad": "</s>", "bos": None, "order": ["<unk>", "</s>"]}),
    # MobileCLIP-S / MobileCLIP2-S: CLIP BPE, bidirectional without padding mask, pooled at EOT (argmax).
    "mobileclip-s": ({"embed_dim": 32, "custom_text": True, "vision_cfg": VISION,
                      "text_cfg": {**CLIP_TEXT, "no_causal_mask": True}},
                     {"mean": [0, 0, 0], "std": [1, 1, 1], "interpolation": "bilinear", "resize_mode": "shortest"},
                     None),
    # MetaCLIP 2 worldwide: causal, pooled at the first end token (XLM-V style: pad 1, eos 2), QuickGELU.
    "metaclip2": ({"embed_dim": 32, "quick_gelu": True, "vision_cfg": VISION,
                   "text_cfg": {"context_length": 77, "vocab_size": 64, "width": 64, "heads": 2, "layers": 2,
                                "pool_type": "eos", "eos_id": 2, "pad_id": 1, "hf_tokenizer_name": "local"}},
                  {}, {"unk": "<unk>", "eos": "</s>", "pad": "<pad>", "bos": "<s>",
                       "order": ["<s>", "<pad>", "</s>", "<unk>"]}),
    # CoCa: a CLS token appended after the text, masked from padding, pooled; contrastive towers only.
    "coca": ({"embed_dim": 32, "custom_text": True,
              "vision_cfg": {**VISION, "attentional_pool": True, "attn_pooler_heads": 2, "output_tokens": True},
              "text_cfg": {**CLIP_TEXT, "context_length": 76, "embed_cls": True, "output_tokens": True},
              "multimodal_cfg": {"context_length": 76, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 1,
                                 "attn_pooler_heads": 2}},
             {}, None),
    # EVA02-CLIP: timm EVA02 image tower (its smallest variant), OpenAI-style causal CLIP text tower.
    "eva02": ({"embed_dim": 32, "custom_text": True,
               "vision_cfg": {"image_size": 224, "timm_model_name": "eva02_tiny_patch14_224",
                              "timm_model_pretrained": False, "timm_pool": "token", "timm_proj": "linear"},
               "text_cfg": CLIP_TEXT}, {}, None),
    # SigLIP's image side: a timm ViT with attention-pool ("map") head and no projection.
    "siglip-timm": ({"embed_dim": 192, "init_logit_bias": -10, "custom_text": True,
                     "vision_cfg": {"image_size": 224, "timm_model_name": "vit_tiny_patch16_224",
                                    "timm_model_pretrained": False, "timm_pool": "map", "timm_proj": "none"},
                     "text_cfg": {"context_length": 16, "vocab_size": 64, "width": 64, "heads": 2, "layers": 2,
                                  "no_causal_mask": True, "pool_type": "last", "proj_bias": True, "pad_id": 1,
                                  "hf_tokenizer_name": "local", "tokenizer_kwargs": {"clean": "canonicalize"}}},
                    {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "interpolation": "bicubic",
                     "resize_mode": "squash"},
                    {"unk": "<unk>", "eos": "</s>", "pad": "</s>", "bos": None, "order": ["<unk>", "</s>"]}),
    # PE-Core (open_clip's PE-Core-*@meta): the PE-Core-T vision trunk its config names (timm EVA-style ViT, attention
    # pool, no projection), a causal CLIP-BPE text tower at 32 tokens pooled at EOT (argmax), here 2 layers wide 64.
    "pe-core": ({"embed_dim": 512, "custom_text": True,
                 "vision_cfg": {"image_size": 384, "timm_model_name": "vit_pe_core_tiny_patch16_384",
                                "timm_model_pretrained": False, "timm_pool": "map", "timm_proj": None},
                 "text_cfg": {"context_length": 32, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2}},
                {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "interpolation": "bilinear",
                 "resize_mode": "squash"}, None),
    # A Hugging Face text model (XLM-RoBERTa / NLLB style): padding masked, mean over real tokens. The HF model is
    # written beside the config and named by path (`hf_model_name`).
    "hf-text": ({"embed_dim": 32, "custom_text": True, "vision_cfg": VISION,
                 "text_cfg": {"context_length": 24, "hf_model_name": HF_TEXT, "hf_tokenizer_name": "local",
                              "hf_pooler_type": "mean_pooler", "hf_proj_type": "linear"}},
                {}, {"unk": "<unk>", "eos": "</s>", "pad": "<pad>", "bos": "<s>", "cls": "<cls>",
                     "order": ["<pad>", "<s>", "</s>", "<unk>", "<cls>"]}),
}


def write_hf_text_model(folder: Path) -> str:
    from transformers import BertConfig, BertModel

    config = BertConfig(vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64, pad_token_id=0)
    BertModel(config, add_pooling_layer=False).save_pretrained(folder / "hf_text")
    return str(folder / "hf_text")


def write_tokenizer(folder: Path, special: dict) -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {tok: i for i, tok in enumerate(special["order"])}
    for word in WORDS:
        vocab.setdefault(word, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab, unk_token=special["unk"]))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    eos, bos = special["eos"], special["bos"]
    single = f"{bos} $A {eos}" if bos else f"$A {eos}"
    tokens = [(t, vocab[t]) for t in (bos, eos) if t]
    tok.post_processor = processors.TemplateProcessing(single=single, special_tokens=tokens)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token=special["unk"], eos_token=eos,
                                   pad_token=special["pad"], **({"bos_token": bos} if bos else {}),
                                   **({"cls_token": special["cls"]} if "cls" in special else {}))
    fast.save_pretrained(folder)


def write_family(folder: Path, family: str, seed: int = 0) -> Path:
    """The family's tiny model with random weights (position tables made large enough to matter)."""
    model_cfg, preprocess_cfg, special = FAMILIES[family]
    model_cfg = copy.deepcopy(model_cfg)
    folder.mkdir(parents=True, exist_ok=True)
    if model_cfg["text_cfg"].get("hf_model_name") == HF_TEXT:
        model_cfg["text_cfg"]["hf_model_name"] = write_hf_text_model(folder)
    torch.manual_seed(seed)
    model = open_clip.create_model(f"local-dir:{_write_config(folder, model_cfg, preprocess_cfg)}")
    for name, param in model.named_parameters():
        if name.endswith("positional_embedding") or name.endswith("cls_emb"):
            torch.nn.init.normal_(param, std=0.5)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, folder / "open_clip_model.safetensors")
    if special:
        write_tokenizer(folder, special)
    return folder


def _write_config(folder: Path, model_cfg: dict, preprocess_cfg: dict) -> Path:
    (folder / "open_clip_config.json").write_text(json.dumps({"model_cfg": model_cfg,
                                                               "preprocess_cfg": preprocess_cfg}))
    return folder
