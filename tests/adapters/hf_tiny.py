"""Tiny random transformers checkpoints saved with save_pretrained, with locally built tokenizers (no download).

- CLIP: the real CLIP BPE (open_clip's bundled vocabulary) as a transformers CLIPTokenizer.
- SigLIP-style: a small BPE trained here, `</s>` appended, pad id = eos id = 1 (SigLIP's T5 tokenizer layout).
- MetaCLIP 2 (XLM-V style): a small BPE, `<s> ... </s>`, pad 1, eos 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

CORPUS = [
    "a photo of a dog running on the grass", "two cats sleeping on a red sofa", "a man riding a bicycle in the city",
    "an aerial view of a harbour with many boats", "the quick brown fox jumps over the lazy dog",
    "a bowl of fruit on a wooden table next to a window", "children playing football in a park at sunset",
] * 4
TEXT = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2)
VISION = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, image_size=32,
              patch_size=8)


def clip_tokenizer(folder: Path):
    """transformers' CLIPTokenizer over OpenAI's BPE: the same ids as benchmark/tokenizer.py."""
    from open_clip.tokenizer import SimpleTokenizer
    from transformers import CLIPTokenizer

    bpe = SimpleTokenizer()
    names = {"<start_of_text>": "<|startoftext|>", "<end_of_text>": "<|endoftext|>"}
    vocab = {names.get(k, k): v for k, v in bpe.encoder.items()}
    src = folder / "bpe"
    src.mkdir(parents=True, exist_ok=True)
    (src / "vocab.json").write_text(json.dumps(vocab))
    merges = sorted(bpe.bpe_ranks, key=bpe.bpe_ranks.get)
    (src / "merges.txt").write_text("#version: 0.2\n" + "\n".join(" ".join(m) for m in merges) + "\n")
    tok = CLIPTokenizer(str(src / "vocab.json"), str(src / "merges.txt"), pad_token="<|endoftext|>")
    tok.save_pretrained(folder)
    return tok


def bpe_tokenizer(folder: Path, specials: list[str], template: str, pad: str, eos: str, bos: str | None = None,
                  lowercase: bool = True):
    """A small byte-level BPE trained on CORPUS, specials first (ids 0..), wrapped as a fast tokenizer
    (case-sensitive with `lowercase=False`, as Gemma's is)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tk = Tokenizer(models.BPE(unk_token="<unk>"))
    if lowercase:
        tk.normalizer = normalizers.Lowercase()
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tk.train_from_iterator(CORPUS, trainers.BpeTrainer(vocab_size=120, special_tokens=specials, show_progress=False))
    tk.post_processor = processors.TemplateProcessing(
        single=template, special_tokens=[(s, tk.token_to_id(s)) for s in specials if s in template])
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, pad_token=pad, eos_token=eos, unk_token="<unk>",
                                  bos_token=bos)
    tok.save_pretrained(folder)
    return tok


def image_processor(folder: Path, kind: str) -> None:
    from transformers import CLIPImageProcessor, SiglipImageProcessor

    if kind == "siglip":
        SiglipImageProcessor(size={"height": 32, "width": 32}).save_pretrained(folder)
    else:
        CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(folder)


def save_clip(folder: Path, positions: int = 77, eos_token_id: int = 2, seed: int = 0) -> Path:
    from transformers import CLIPConfig, CLIPModel

    torch.manual_seed(seed)
    config = CLIPConfig(text_config=dict(TEXT, vocab_size=49408, max_position_embeddings=positions,
                                         eos_token_id=eos_token_id), vision_config=VISION, projection_dim=16)
    model = CLIPModel(config).eval()
    with torch.no_grad():  # random init is std 0.02: make positions matter at this size
        model.text_model.embeddings.position_embedding.weight.normal_(std=0.5)
    model.save_pretrained(folder, safe_serialization=True)
    clip_tokenizer(folder)
    image_processor(folder, "clip")
    return folder


def save_siglip(folder: Path, seed: int = 0) -> Path:
    from transformers import SiglipConfig, SiglipModel

    torch.manual_seed(seed)
    tok = bpe_tokenizer(folder, ["<pad>", "</s>", "<unk>"], "$A </s>", pad="</s>", eos="</s>")
    config = SiglipConfig(text_config=dict(TEXT, vocab_size=len(tok), max_position_embeddings=16),
                          vision_config=VISION)
    SiglipModel(config).eval().save_pretrained(folder, safe_serialization=True)
    image_processor(folder, "siglip")
    return folder


def save_metaclip2(folder: Path, seed: int = 0) -> Path:
    from transformers import MetaClip2Config, MetaClip2Model

    torch.manual_seed(seed)
    tok = bpe_tokenizer(folder, ["<s>", "<pad>", "</s>", "<unk>"], "<s> $A </s>", pad="<pad>", eos="</s>",
                        bos="<s>")
    config = MetaClip2Config(text_config=dict(TEXT, vocab_size=len(tok), max_position_embeddings=20,
                                              eos_token_id=2, pad_token_id=1, bos_token_id=0),
                             vision_config=VISION, projection_dim=16)
    MetaClip2Model(config).eval().save_pretrained(folder, safe_serialization=True)
    image_processor(folder, "clip")
    return folder


def save_siglip2(folder: Path, seed: int = 0) -> Path:
    """NaFlex: patches at the image's aspect ratio, at most 16 per image here."""
    from transformers import Siglip2Config, Siglip2ImageProcessor, Siglip2Model

    torch.manual_seed(seed)
    tok = bpe_tokenizer(folder, ["<pad>", "</s>", "<unk>"], "$A </s>", pad="</s>", eos="</s>")
    vision = {k: v for k, v in VISION.items() if k != "image_size"}
    config = Siglip2Config(text_config=dict(TEXT, vocab_size=len(tok), max_position_embeddings=16),
                           vision_config=dict(vision, num_patches=16))
    Siglip2Model(config).eval().save_pretrained(folder, safe_serialization=True)
    Siglip2ImageProcessor(max_num_patches=16, patch_size=8).save_pretrained(folder)
    return folder
