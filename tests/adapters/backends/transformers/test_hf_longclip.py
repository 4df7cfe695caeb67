"""Long-CLIP as a transformers CLIPModel (what the Hub conversions are) against our own Long-CLIP loader."""

from __future__ import annotations

import json

import pytest
import torch

from longbench.adapters import load_model
from longbench.adapters.backends.open_clip.build import combine_positional_tables
from longbench.adapters.families.tiny import TINY
from tests.adapters import hf_tiny

pytest.importorskip("transformers")

CAPTIONS = ["a cat", "A narrow street at dusk: a yellow taxi waits at a red light while a cyclist crosses. " * 4,
            "two dogs on a sofa " * 30]
BLOCK = {"attn.out_proj": "self_attn.out_proj", "ln_1": "layer_norm1", "ln_2": "layer_norm2", "mlp.c_fc": "mlp.fc1",
         "mlp.c_proj": "mlp.fc2"}


def _blocks(state, src: str, dst: str, layers: int) -> dict[str, torch.Tensor]:
    out = {}
    for i in range(layers):
        s, d = f"{src}.{i}.", f"{dst}.{i}."
        for part in ("weight", "bias"):
            for q, k in zip("qkv", state[f"{s}attn.in_proj_{part}"].chunk(3), strict=True):
                out[f"{d}self_attn.{q}_proj.{part}"] = k
            for a, b in BLOCK.items():
                out[f"{d}{b}.{part}"] = state[f"{s}{a}.{part}"]
    return out


def openai_to_hf(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """OpenAI key layout (one position table) -> transformers CLIPModel keys, as the Hub conversions map them."""
    out = {
        "logit_scale": state["logit_scale"],
        "text_model.embeddings.token_embedding.weight": state["token_embedding.weight"],
        "text_model.embeddings.position_embedding.weight": state["positional_embedding"],
        "text_model.final_layer_norm.weight": state["ln_final.weight"],
        "text_model.final_layer_norm.bias": state["ln_final.bias"],
        "text_projection.weight": state["text_projection"].T,
        "vision_model.embeddings.class_embedding": state["visual.class_embedding"],
        "vision_model.embeddings.patch_embedding.weight": state["visual.conv1.weight"],
        "vision_model.embeddings.position_embedding.weight": state["visual.positional_embedding"],
        "vision_model.pre_layrnorm.weight": state["visual.ln_pre.weight"],
        "vision_model.pre_layrnorm.bias": state["visual.ln_pre.bias"],
        "vision_model.post_layernorm.weight": state["visual.ln_post.weight"],
        "vision_model.post_layernorm.bias": state["visual.ln_post.bias"],
        "visual_projection.weight": state["visual.proj"].T,
    }
    out.update(_blocks(state, "transformer.resblocks", "text_model.encoder.layers", TINY.text_layers))
    out.update(_blocks(state, "visual.transformer.resblocks", "vision_model.encoder.layers", TINY.vision_layers))
    return {k: v.contiguous() for k, v in out.items()}


def save_hf_longclip(folder, state, positions: int = 248):
    from transformers import CLIPConfig, CLIPModel

    text = dict(vocab_size=TINY.vocab_size, hidden_size=TINY.text_width, num_hidden_layers=TINY.text_layers,
                num_attention_heads=TINY.text_heads, intermediate_size=int(TINY.text_width * TINY.text_mlp_ratio),
                max_position_embeddings=positions)
    vision = dict(hidden_size=TINY.vision_width, num_hidden_layers=TINY.vision_layers,
                  num_attention_heads=TINY.vision_width // 64, intermediate_size=int(TINY.vision_width * 4),
                  image_size=TINY.image_size, patch_size=TINY.patch_size)
    rows = state["positional_embedding"].shape[0]
    model = CLIPModel(CLIPConfig(text_config=dict(text, max_position_embeddings=rows), vision_config=vision,
                                 projection_dim=TINY.embed_dim))
    model.load_state_dict(openai_to_hf(state), strict=True)
    model.save_pretrained(folder, safe_serialization=True)
    if positions != rows:  # what the early conversion revisions shipped: the default context in config.json
        cfg = json.loads((folder / "config.json").read_text())
        cfg["text_config"]["max_position_embeddings"] = positions
        (folder / "config.json").write_text(json.dumps(cfg))
    hf_tiny.clip_tokenizer(folder)
    hf_tiny.image_processor(folder, "clip")
    return folder


@pytest.fixture(scope="module")
def converted(tmp_path_factory, longclip_state):
    return save_hf_longclip(tmp_path_factory.mktemp("longclip-hf"), combine_positional_tables(longclip_state))


def test_hf_conversion_equals_our_longclip_loader(converted, recwarn):
    ours, hf = load_model("tiny-longclip"), load_model(f"hf:{converted}")
    assert hf.context_length == 248 and hf.text_spec.trim_exact
    ref = ours.tokenize(CAPTIONS)
    batch = hf.tokenize(CAPTIONS)
    assert torch.equal(batch.lengths, ref.lengths) and torch.equal(batch.raw_lengths, ref.raw_lengths)
    real = torch.arange(248) < batch.lengths[:, None]  # the same tokens; only the pad id differs (EOT vs 0)
    assert torch.equal(batch.ids[real], ref.ids[real])
    assert (hf.encode_text(batch) - ours.encode_text(ref)).abs().max() <= 1e-5
    pixels = torch.rand(2, 3, TINY.image_size, TINY.image_size)
    assert (hf.encode_image(pixels) - ours.encode_image(pixels)).abs().max() <= 1e-5
    assert not [w for w in recwarn if "stretch" in str(w.message)]


def test_a_conversion_that_dropped_positional_embedding_res_is_detected(tmp_path, longclip_state):
    first_table_only = {k: v for k, v in longclip_state.items() if k != "positional_embedding_res"}
    folder = save_hf_longclip(tmp_path / "dropped", first_table_only)
    with pytest.warns(UserWarning, match="dropped positional_embedding_res"):
        load_model(f"hf:{folder}")


def test_an_early_revision_without_max_position_embeddings_is_read_with_a_warning(tmp_path, longclip_state):
    folder = save_hf_longclip(tmp_path / "early", combine_positional_tables(longclip_state), positions=77)
    with pytest.warns(UserWarning, match="max_position_embeddings=77 but the weights hold 248"):
        hf = load_model(f"hf:{folder}")
    assert hf.context_length == 248
    ours = load_model("tiny-longclip")
    ref = ours.tokenize(CAPTIONS[1:2])
    assert (hf.encode_text(hf.tokenize(CAPTIONS[1:2])) - ours.encode_text(ref)).abs().max() <= 1e-5
