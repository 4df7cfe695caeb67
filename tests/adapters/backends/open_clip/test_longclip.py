"""Long-CLIP checkpoints: the two positional tables combined exactly as the reference does."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from longbench.adapters import load_model
from longbench.adapters.backends.open_clip.build import build_model
from longbench.adapters.core.checkpoint_files import infer_architecture
from longbench.bpe import EOT_ID

CAPTION = ("A narrow street at dusk: a yellow taxi waits at a red light while a cyclist in a green jacket crosses "
           "in front of it, shop signs glow above closed shutters and a man carries a ladder past a bakery. ") * 2


def reference_text_embedding(state: dict[str, torch.Tensor], ids: torch.Tensor) -> torch.Tensor:
    """Independent computation: token_emb + PE * mask1 + PE_res * mask2 -> causal transformer over the full 248
    positions -> ln_final at EOT -> projection (Long-CLIP's model.encode_text)."""
    arch = infer_architecture({k: v for k, v in state.items() if k != "positional_embedding_res"}, "ref")
    model = build_model(arch)
    model.load_state_dict({k: v for k, v in state.items() if k != "positional_embedding_res"})
    n = ids.shape[1]
    mask1 = torch.zeros(n, 1)
    mask1[:20] = 1
    mask2 = 1 - mask1
    x = model.token_embedding(ids) + state["positional_embedding"] * mask1 + state["positional_embedding_res"] * mask2
    causal = torch.full((n, n), float("-inf")).triu(1)
    for block in model.transformer.resblocks:
        x = block(x, attn_mask=causal)
    x = model.ln_final(x)
    x = x[torch.arange(len(ids)), (ids == EOT_ID).int().argmax(-1)] @ state["text_projection"]
    return F.normalize(x, dim=-1)


def test_longclip_text_matches_the_reference_semantics(longclip_state, tmp_path):
    assert not torch.equal(longclip_state["positional_embedding"][20:], longclip_state["positional_embedding_res"][20:])
    path = tmp_path / "longclip-tiny.pt"
    torch.save(longclip_state, path)
    adapter = load_model(None, path)
    assert adapter.context_length == 248
    assert adapter.provenance.pos_embed_kind == "longclip248"
    batch = adapter.tokenize([CAPTION, "a cat", "two dogs on a sofa " * 5])
    assert batch.ids.shape[1] == 248
    expected = reference_text_embedding(longclip_state, batch.ids)
    assert (adapter.encode_text(batch) - expected).abs().max() <= 1e-5


def test_ignoring_positional_embedding_res_gives_different_embeddings(longclip_state, tmp_path):
    path = tmp_path / "longclip-tiny.pt"
    torch.save(longclip_state, path)
    dropped = dict(longclip_state)
    del dropped["positional_embedding_res"]  # what the buggy Hugging Face conversion does
    path_dropped = tmp_path / "dropped.pt"
    torch.save(dropped, path_dropped)
    right, wrong = load_model(None, path), load_model(None, path_dropped)
    batch = right.tokenize([CAPTION])
    assert (right.encode_text(batch) - wrong.encode_text(batch)).abs().max() > 1e-3
    short = right.tokenize(["a cat"]).trimmed()  # under 20 tokens only the shared rows are used
    assert (right.encode_text(short) - wrong.encode_text(short)).abs().max() <= 1e-6


def test_registry_longclip_reads_the_weights_folder(longclip_state, tmp_path, monkeypatch):
    monkeypatch.setenv("LONGBENCH_WEIGHTS", str(tmp_path))
    torch.save(longclip_state, tmp_path / "longclip-B.pt")
    adapter = load_model("longclip-B")
    assert adapter.provenance.name == "longclip-B"
    assert adapter.provenance.checkpoint == str(tmp_path / "longclip-B.pt")
    assert adapter.context_length == 248
