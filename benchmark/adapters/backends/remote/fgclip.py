"""FG-CLIP (qihoo360/fg-clip-base, -large; remote code, opt-in): the authors' calls on the model protocol.

Read in 360CVGroup/FG-CLIP (`fgclip/model/clip_strc/fgclip.py`, `fgclip/eval/shareg4v_retrieval.py`): a CLIPModel
subclass with two text regimes. `short` (default): 77 tokens, `get_text_features(ids, walk_short_pos=True)`, the
`text_projection` head; `long` (`hf:...@COMMIT#long`, what the long-caption numbers use): 248 tokens, Long-CLIP's
two position tables, `walk_short_pos=False`, the `text_filip_projection` head. Captions are padded to `max_length`
(as the authors do; no trimming), the end token 49407 is the pooled one. Images are squashed to the model's size
with PIL's default resize, then go through its CLIP image processor.
"""

from __future__ import annotations

from typing import Any

from ....errors import UnknownNameError
from ...core.hf_source import Source
from ...core.protocol import TextSpec
from ..transformers.images import processor_preprocess
from ..transformers.loading import build
from ..transformers.model import HFModel, features
from ..transformers.tokens import Template
from .loading import REMOTE_FAMILIES, RemoteFamily

MODES = {"short": (77, True), "long": (248, False)}
END = 49407


def load(source: Source, tf: Any) -> HFModel:
    mode = source.variant or "short"
    if mode not in MODES:
        raise UnknownNameError(f"{source.name}: FG-CLIP has no mode {mode!r} (expected #short or #long)")
    length, walk_short = MODES[mode]
    config = tf.AutoConfig.from_pretrained(source.folder, trust_remote_code=True)

    def spec(config, template: Template, tokenizer) -> TextSpec:
        return TextSpec(causal=True, pad_masked=False, pool="eos_id", pad_id=END, eos_id=END, fixed_length=length)

    return build(source, "AutoModelForCausalLM", config, spec, tf, context_length=length,
                 preprocess_from=squash_first,
                 text_features=lambda m, ids: features(m.get_text_features(ids, walk_short_pos=walk_short)),
                 image_features=lambda m, px: features(m.get_image_features(px)))


def squash_first(processor):
    """The authors' eval: `image.resize((size, size))` (PIL's default filter), then the CLIP image processor."""
    size = processor.crop_size["height"]
    inner = processor_preprocess(processor)
    return lambda image: inner(image.resize((size, size)))


REMOTE_FAMILIES.add("FGCLIPModel", RemoteFamily("FG-CLIP (short or long text regime)", load))
