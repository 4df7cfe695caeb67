"""FG-CLIP 2 through the remote-code backend: the folder's own code runs, and our embeddings equal the authors'
evaluation calls (lowercased captions padded to 64 or 196 with their attention mask, the NaFlex processor's
default patch budget) run directly on the same model."""

from __future__ import annotations

import json
import shutil
import sys

import pytest
import torch

from longbench.adapters import load_model
from longbench.adapters.backends.remote.fgclip2 import left_padded
from longbench.adapters.backends.remote.loading import code_digest
from longbench.errors import CheckpointError
from tests.adapters import hf_tiny
from tests.adapters.backends.remote.standins import picture, standin

pytest.importorskip("transformers")
transformers = sys.modules["transformers"]

#: A tiny stand-in for FG-CLIP 2's modelling file: SigLIP 2 plus the long regime the family maps (196-row tables
#: blended by plain-tensor masks, a second head), with the authors' get_text_features / get_image_features calls.
MODELING = '''
import torch
from torch import nn
from transformers import Siglip2Model

try:
    from .configuration_fgclip2 import Fgclip2Config
except ImportError:  # the test's reference imports this file on its own
    from configuration_fgclip2 import Fgclip2Config

LONG, KEEP = 196, 20


class FG_CLIP2_Model(Siglip2Model):
    config_class = Fgclip2Config

    def __init__(self, config):
        super().__init__(config)
        width = config.text_config.hidden_size
        emb = self.text_model.embeddings
        emb.position_embedding_ori = nn.Embedding(LONG, width)
        emb.position_embedding_res = nn.Embedding(LONG, width)
        emb.mask1 = torch.zeros(LONG, 1)  # plain tensors, not buffers, as in the authors' code
        emb.mask1[:KEEP] = 1
        emb.mask2 = torch.zeros(LONG, 1)
        emb.mask2[KEEP:] = 1
        self.longtext_head = nn.Linear(width, width)
        self.post_init()

    def get_text_features(self, input_ids=None, attention_mask=None, walk_type="short"):
        if walk_type == "short":
            return self.text_model(input_ids=input_ids, attention_mask=attention_mask).pooler_output
        tm, emb = self.text_model, self.text_model.embeddings
        table = emb.mask1 * emb.position_embedding_ori.weight + emb.mask2 * emb.position_embedding_res.weight
        hidden = emb.token_embedding(input_ids) + table[:input_ids.shape[1]]
        mask = None
        if attention_mask is not None:
            mask = (1.0 - attention_mask[:, None, None, :].to(hidden.dtype)) * torch.finfo(hidden.dtype).min
        out = tm.encoder(inputs_embeds=hidden, attention_mask=mask).last_hidden_state
        return self.longtext_head(tm.final_layer_norm(out)[:, -1])
'''
#: Its configuration file: an unknown model type, so transformers maps no tokenizer class of its own to it.
CONFIGURATION = '''
from transformers import Siglip2Config


class Fgclip2Config(Siglip2Config):
    model_type = "fgclip2"
'''
CAPTIONS = ["A Photo of a DOG", "The quick brown fox jumps over the lazy dog " * 30]


@pytest.fixture(scope="module", params=["left", "right"])
def folder(request, base):
    """The checkpoint with its tokenizer padding on either side (the authors pass the tokenizer's output as is)."""
    out = base.parent / f"{base.name}-{request.param}"
    if not out.exists():
        shutil.copytree(base, out)
        cfg = json.loads((out / "tokenizer_config.json").read_text())
        (out / "tokenizer_config.json").write_text(json.dumps({**cfg, "padding_side": request.param}))
    return out


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    from transformers import Siglip2Config, Siglip2ImageProcessor, Siglip2Model

    out = tmp_path_factory.mktemp("fgclip2")
    torch.manual_seed(0)
    tok = hf_tiny.bpe_tokenizer(out, ["<pad>", "<eos>", "<unk>"], "$A <eos>", pad="<pad>", eos="<eos>",
                                lowercase=False)
    vision = {k: v for k, v in hf_tiny.VISION.items() if k != "image_size"}
    config = Siglip2Config(text_config=dict(hf_tiny.TEXT, vocab_size=len(tok), max_position_embeddings=64),
                           vision_config=dict(vision, num_patches=16))
    Siglip2Model(config).save_pretrained(out, safe_serialization=True)
    Siglip2ImageProcessor(max_num_patches=16, patch_size=8).save_pretrained(out)
    (out / "modeling_fgclip2.py").write_text(MODELING)
    (out / "configuration_fgclip2.py").write_text(CONFIGURATION)
    cfg = json.loads((out / "config.json").read_text())
    cfg.update(model_type="fgclip2", architectures=["FG_CLIP2_Model"],
               auto_map={"AutoConfig": "configuration_fgclip2.Fgclip2Config",
                         "AutoModelForCausalLM": "modeling_fgclip2.FG_CLIP2_Model"})
    (out / "config.json").write_text(json.dumps(cfg))
    model = authors_model(out, strict=False)  # the saved SigLIP 2 weights lack the long regime: add it
    with torch.no_grad():
        emb = model.text_model.embeddings
        for table in (emb.position_embedding_ori, emb.position_embedding_res):
            table.weight.normal_(std=0.5)
    model.save_pretrained(out, safe_serialization=True)
    return out


def authors_model(folder, strict: bool = True):
    """The stand-in class built directly (its masks real, never on the meta device), the folder's weights loaded."""
    from safetensors.torch import load_file

    modeling = standin(folder, "modeling_fgclip2")
    model = modeling.FG_CLIP2_Model(modeling.Fgclip2Config.from_pretrained(folder))
    model.load_state_dict(load_file(folder / "model.safetensors"), strict=strict)
    return model.eval()


@pytest.mark.parametrize("mode,length", [("short", 64), ("long", 196)])
def test_text_equals_the_authors_calls(folder, mode, length):
    ours = load_model(f"hf:{folder}@{code_digest(folder)}#{mode}", trust_remote_code=True)
    assert type(ours.model).__name__ == "FG_CLIP2_Model" and ours.context_length == length
    assert not ours.text_spec.trim_exact and ours.text_spec.fixed_length == length
    model, tok = authors_model(folder), transformers.AutoTokenizer.from_pretrained(folder)
    inputs = tok([c.lower() for c in CAPTIONS], padding="max_length", max_length=length, truncation=True,
                 return_tensors="pt")
    with torch.no_grad():  # ids and mask (transformers 4.x also returns token_type_ids, which the model takes not)
        expected = model.get_text_features(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"],
                                           walk_type=mode)
    expected = torch.nn.functional.normalize(expected, dim=-1)
    batch = ours.tokenize(CAPTIONS)
    assert tok.padding_side == folder.name.rsplit("-", 1)[1]
    ids = left_padded(batch.ids, tok.pad_token_id) if tok.padding_side == "left" else batch.ids
    assert torch.equal(ids, inputs["input_ids"])  # lowercased, the same ids on the tokenizer's side
    assert (ours.encode_text(batch) - expected).abs().max() <= 1e-5
    assert (ours.encode_text(batch.trimmed()) - expected).abs().max() <= 1e-5  # padded back to the authors' width
    assert "str.lower" in ours.provenance.tokenizer and ours.provenance.revision == code_digest(folder)


def test_lowercasing_and_the_mask_matter(folder):
    """Guards for the two rules: mixed case gives other ids, and the tower's output depends on the mask."""
    ours = load_model(f"hf:{folder}@{code_digest(folder)}", trust_remote_code=True)
    tok = transformers.AutoTokenizer.from_pretrained(folder)
    assert tok(CAPTIONS[0])["input_ids"] != tok(CAPTIONS[0].lower())["input_ids"]
    ids = ours.tokenize(CAPTIONS[:1]).ids  # right-padded: the last position is padding
    model = authors_model(folder)
    with torch.no_grad():
        masked = model.get_text_features(input_ids=ids, attention_mask=(ids != tok.pad_token_id).long())
        unmasked = model.get_text_features(input_ids=ids)
    assert (masked - unmasked).abs().max() > 1e-3


def test_images_equal_the_authors_calls(folder):
    ours = load_model(f"hf:{folder}@{code_digest(folder)}#long", trust_remote_code=True)
    model = authors_model(folder)
    processor = transformers.AutoImageProcessor.from_pretrained(folder)
    images = [picture(1, (40, 24)), picture(2, (24, 64))]
    with torch.no_grad():  # transformers 4.x returns the features, 5.x an output holding them
        outs = [model.get_image_features(**processor(images=im, return_tensors="pt")) for im in images]
    expected = torch.cat([out if isinstance(out, torch.Tensor) else out.pooler_output for out in outs])
    got = ours.encode_image(torch.stack([ours.preprocess(im) for im in images]))
    assert (got - torch.nn.functional.normalize(expected, dim=-1)).abs().max() <= 1e-5


def test_the_long_masks_hold_the_authors_rule_after_loading(folder):
    ours = load_model(f"hf:{folder}@{code_digest(folder)}#long", trust_remote_code=True)
    emb = ours.model.text_model.embeddings  # transformers 5 left them on the meta device; 4.x built them
    assert not emb.mask1.is_meta and emb.mask1[:20].eq(1).all() and emb.mask1[20:].eq(0).all()
    assert torch.equal(emb.mask2, 1 - emb.mask1)


def test_masks_left_on_meta_are_rebuilt_as_buffers(folder):
    from longbench.adapters.backends.remote.fgclip2 import materialise_masks
    from longbench.adapters.core.hf_source import Source

    module = torch.nn.Linear(2, 2)
    module.mask1, module.mask2 = torch.empty(30, 1, device="meta"), torch.empty(30, 1, device="meta")
    materialise_masks(Source("hf:x", folder, None, None), module)
    assert module.mask1.view(-1).tolist() == [1.0] * 20 + [0.0] * 10 and torch.equal(module.mask2, 1 - module.mask1)
    assert {"mask1", "mask2"} <= dict(module.named_buffers()).keys()  # moved by .to(device) with the model


def test_another_tensor_left_unloaded_is_refused(folder):
    from longbench.adapters.backends.remote.fgclip2 import materialise_masks
    from longbench.adapters.core.hf_source import Source

    module = torch.nn.Linear(2, 2)
    module.scale = torch.empty(3, device="meta")
    with pytest.raises(CheckpointError, match=r"\.scale was never loaded"):
        materialise_masks(Source("hf:x", folder, None, None), module)


def test_an_unknown_mode_is_one_line(folder):
    with pytest.raises(Exception, match="no mode 'medium'"):
        load_model(f"hf:{folder}@{code_digest(folder)}#medium", trust_remote_code=True)
