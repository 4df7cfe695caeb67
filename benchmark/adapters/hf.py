"""The transformers backend: `hf:ORG/REPO[@REVISION]` or `hf:FOLDER` (a folder holding a transformers config.json).

Families (FAMILIES, keyed by the config's `model_type`): `clip` (OpenAI-style CLIPModel, incl. 248-token Long-CLIP
conversions), `siglip` (SigLIP and fixed-resolution SigLIP 2) and `metaclip_2`. Code in a repository is never run
here (`trust_remote_code=False`); checkpoints that need it go through remote.py, opt-in.

The adapter owns tokenization. The checkpoint's tokenizer only turns a caption into ids, with its own cleaning and
its own BOS/EOS; the length (the model's position table, never the tokenizer's `model_max_length`), the padding
side (right), the pad id and the truncation rule (content cut, special tokens kept, as `truncation=True` does) are
ours, and every caption's untruncated length is counted so truncation is reported.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from PIL import Image

from ..errors import CheckpointError, MissingDependencyError, UnknownNameError, WeightsNotFoundError
from ..provenance import ModelInfo
from ..registry import Registry
from .protocol import TextSpec, TokenBatch, Tower, cut_length, require_strings
from .registry import register_folder, register_prefix
from .stretch import detect_stretch, pos_embed_kind
from .weights import offline

INSTALL_HINT = 'pip install "longbench[hf]"'
#: Files a transformers checkpoint needs: configs, tokenizer files and the model's own safetensors (pickled `.bin`
#: weights and extra exports such as a text-encoder-only file are never fetched).
SNAPSHOT_FILES = ["*.json", "model*.safetensors", "*.txt", "*.model", "*.tiktoken"]
COMMIT = re.compile(r"[0-9a-f]{40}")
#: Tensors that scale similarities but no embedding.
NOT_EMBEDDING = ("logit_scale", "logit_bias")


def transformers():
    """The transformers module, or a one-line error saying how to install it."""
    try:
        import transformers as tf
    except ImportError:
        raise MissingDependencyError(f"hf: models need the transformers package: {INSTALL_HINT}") from None
    return tf


# ---------------------------------------------------------------------------------------------------- sources

@dataclass(frozen=True)
class Source:
    """Where a checkpoint's files are on this machine, and what they are pinned to."""

    name: str  # the model name as given, `hf:...`
    folder: Path
    repo: str | None  # ORG/REPO, None for a local folder
    revision: str | None  # the commit the files came from (None for a local folder)
    variant: str | None = None  # `#VARIANT`: a family's mode (FG-CLIP `long`)
    #: The checkpoint's own code runs (remote.py: only opted in and pinned).
    remote_code: bool = False

    @property
    def config(self) -> dict[str, Any]:
        path = self.folder / "config.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CheckpointError(f"{self.name}: no config.json in {self.folder} (expected a transformers "
                                  "checkpoint folder)") from None
        except ValueError as exc:
            raise CheckpointError(f"{path}: not valid JSON ({exc})") from None


def split_name(spec: str) -> tuple[str, str | None, str | None]:
    """`REPO_OR_FOLDER[@REVISION][#VARIANT]` -> (target, revision, variant)."""
    target, _, variant = spec.partition("#")
    if Path(target).expanduser().is_dir():
        return target, None, variant or None
    target, _, revision = target.partition("@")
    return target, revision or None, variant or None


def resolve_source(spec: str, patterns: Sequence[str] = SNAPSHOT_FILES) -> Source:
    """A local folder as is; a Hub repo as a snapshot of `patterns` at its revision (cache first)."""
    target, revision, variant = split_name(spec)
    name = f"hf:{spec}"
    folder = Path(target).expanduser()
    if folder.is_dir():
        return Source(name, folder.resolve(), None, None, variant)
    if target.count("/") != 1 or not all(target.split("/")):
        raise UnknownNameError(f"{name}: expected hf:ORG/REPO[@REVISION] or hf:FOLDER (an existing folder)")
    from huggingface_hub import snapshot_download

    try:
        path = Path(snapshot_download(target, revision=revision, allow_patterns=list(patterns),
                                      local_files_only=offline()))
    except Exception as exc:  # the Hub client raises many types (HTTP, offline, auth, missing revision)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WeightsNotFoundError(f"{name}: could not get the checkpoint from the Hugging Face Hub ({reason})") \
            from None
    # snapshot_download returns .../snapshots/<commit>: the commit every file came from.
    commit = path.name if COMMIT.fullmatch(path.name) else revision
    return Source(name, path, target, commit, variant)


# ---------------------------------------------------------------------------------------------------- tokens

@dataclass(frozen=True)
class Template:
    """The special ids the checkpoint's tokenizer puts around a caption, e.g. CLIP ([49406], [49407])."""

    prefix: tuple[int, ...]
    suffix: tuple[int, ...]

    @classmethod
    def of(cls, tokenizer) -> Template:
        probe = "a photo of a dog"
        full = list(tokenizer(probe)["input_ids"])
        body = list(tokenizer(probe, add_special_tokens=False)["input_ids"])
        for start in range(len(full) - len(body) + 1):
            if full[start:start + len(body)] == body:
                return cls(tuple(full[:start]), tuple(full[start + len(body):]))
        raise CheckpointError(f"{type(tokenizer).__name__}: cannot locate the caption between its special tokens")

    def __len__(self) -> int:
        return len(self.prefix) + len(self.suffix)


def tokenize(tokenizer, template: Template, texts: Sequence[str], length: int, width: int,
             pad_id: int) -> TokenBatch:
    """Ids [N, width], right padded with `pad_id`; captions longer than `length` lose content, never specials."""
    room = length - len(template)
    if room < 1:
        raise ValueError(f"context_length {length} leaves no room for text between {len(template)} special tokens")
    require_strings(texts)
    bodies = tokenizer(list(texts), add_special_tokens=False)["input_ids"] if texts else []
    ids = torch.full((len(bodies), width), pad_id, dtype=torch.long)
    lengths = torch.empty(len(bodies), dtype=torch.long)
    raw = torch.empty(len(bodies), dtype=torch.long)
    for i, body in enumerate(bodies):
        row = [*template.prefix, *body[:room], *template.suffix]
        ids[i, :len(row)] = torch.tensor(row, dtype=torch.long)
        lengths[i] = len(row)
        raw[i] = len(body) + len(template)
    return TokenBatch(ids, lengths, raw, pad_id)


# ---------------------------------------------------------------------------------------------------- model

def features(out) -> torch.Tensor:
    """get_*_features returns a tensor (transformers 4.x) or an output whose pooler_output is projected (5.x)."""
    return out if isinstance(out, torch.Tensor) else out.pooler_output


@dataclass
class HFModel:
    """A transformers checkpoint behind the model protocol; embeddings are L2-normalised float32."""

    model: torch.nn.Module
    tokenizer: Any
    template: Template
    text_spec: TextSpec
    context_length: int
    embed_dim: int
    provenance: ModelInfo
    preprocess: Callable[[Image.Image], torch.Tensor]
    #: (model, ids) -> text features, (model, pixels) -> image features: the authors' calls for this family.
    text_features: Callable[[torch.nn.Module, torch.Tensor], torch.Tensor]
    image_features: Callable[[torch.nn.Module, torch.Tensor], torch.Tensor]
    #: Applied to each caption before tokenizing, where the authors' evaluation does it (e.g. str.lower).
    normalise: Callable[[str], str] | None = None

    def __post_init__(self) -> None:
        self.model.eval()

    @property
    def name(self) -> str:
        return self.provenance.name

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def to(self, device: str | torch.device) -> HFModel:
        self.model.to(device)
        return self

    def tokenize(self, texts: Sequence[str], context_length: int | None = None) -> TokenBatch:
        """At the model's context, or a shorter one (truncated there; a fixed-length tower is still padded to
        its full length, the only input it was trained on)."""
        length = cut_length(context_length, self.context_length)
        width = self.text_spec.fixed_length or length
        if self.normalise:
            texts = [self.normalise(text) if isinstance(text, str) else text for text in texts]
        return tokenize(self.tokenizer, self.template, texts, length, width, self.text_spec.pad_id)

    @torch.no_grad()
    def encode_text(self, tokens: TokenBatch) -> torch.Tensor:
        """A model with a fixed length always reads exactly that many tokens: a narrower batch is padded back
        (SigLIP-style towers attend their padding; FG-CLIP's code is run on the width its authors use). No
        attention mask is passed: causal towers read nothing after the pooled token, and SigLIP-style towers were
        trained without one (a mask would change their output)."""
        if self.text_spec.fixed_length:
            tokens = tokens.padded(self.text_spec.fixed_length)
        x = self.text_features(self.model, tokens.ids.to(self.device))
        return F.normalize(x.float(), dim=-1)

    @torch.no_grad()
    def encode_image(self, pixels: torch.Tensor) -> torch.Tensor:
        x = self.image_features(self.model, pixels.to(self.device))
        return F.normalize(x.float(), dim=-1)

    def tower_state(self, tower: Tower) -> dict[str, torch.Tensor]:
        return tower_tensors(self.model.state_dict(), tower)


def tower_tensors(state: dict[str, torch.Tensor], tower: Tower) -> dict[str, torch.Tensor]:
    """Tensors by top-level name: `text*` feed the text tower, `vision*`/`visual*` the image tower; the logit scale
    and bias feed neither; anything else (a layout not seen before) is counted for both, to be safe."""
    out = {}
    for key, value in state.items():
        head = key.split(".")[0]
        side = "text" if head.startswith("text") else "image" if head.startswith(("vision", "visual")) else None
        if head in NOT_EMBEDDING or (side is not None and side != tower):
            continue
        out[key] = value
    return out


def default_text(model, ids: torch.Tensor) -> torch.Tensor:
    return features(model.get_text_features(input_ids=ids))


def default_image(model, pixels: torch.Tensor) -> torch.Tensor:
    return features(model.get_image_features(pixel_values=pixels))


def processor_preprocess(processor) -> Callable[[Image.Image], torch.Tensor]:
    """The checkpoint's own image processor, one image at a time (the DataLoader batches)."""
    def preprocess(image: Image.Image) -> torch.Tensor:
        return processor(images=image, return_tensors="pt")["pixel_values"][0]
    return preprocess


def naflex_preprocess(processor) -> Callable[[Image.Image], torch.Tensor]:
    """NaFlex (SigLIP 2): patches at the image's own aspect ratio, padded to the processor's `max_num_patches`.
    Returned as one tensor [patches, patch_dim + 3] (pixels, patch mask, the grid's height and width) so images
    batch like any other; naflex_image unpacks it."""
    def preprocess(image: Image.Image) -> torch.Tensor:
        out = processor(images=image, return_tensors="pt")
        pixels, mask, shape = out["pixel_values"][0], out["pixel_attention_mask"][0], out["spatial_shapes"][0]
        extra = torch.cat([mask[:, None], shape.expand(len(mask), 2)], dim=1).to(pixels.dtype)
        return torch.cat([pixels, extra], dim=1)
    return preprocess


def naflex_image(model, packed: torch.Tensor) -> torch.Tensor:
    d = packed.shape[-1] - 3
    return features(model.get_image_features(pixel_values=packed[..., :d],
                                             pixel_attention_mask=packed[..., d].round().long(),
                                             spatial_shapes=packed[:, 0, d + 1:].round().long()))


# ---------------------------------------------------------------------------------------------------- families

@dataclass(frozen=True)
class Family:
    """How one `model_type` is loaded and read."""

    model_class: str
    #: (config, template, tokenizer) -> the text tower's rules.
    text_spec: Callable[[Any, Template, Any], TextSpec]
    #: Checks on the config and files before loading (may adjust the config; warns about known bad conversions).
    prepare: Callable[[Source, Any], None] = lambda source, config: None
    #: Checks on the loaded model.
    inspect: Callable[[Source, torch.nn.Module], None] = lambda source, model: None
    #: image processor -> per-image preprocess, and (model, pixels) -> image features.
    preprocess_from: Callable[[Any], Callable[[Image.Image], torch.Tensor]] = processor_preprocess
    image_features: Callable[[torch.nn.Module, torch.Tensor], torch.Tensor] = default_image


FAMILIES: Registry[Family] = Registry("transformers model type")


def _end_id(template: Template, source_name: str) -> int:
    if not template.suffix:
        raise CheckpointError(f"{source_name}: the tokenizer adds no end token, but the model pools at one")
    return template.suffix[-1]


def _pad_id(tokenizer, fallback: int) -> int:
    return tokenizer.pad_token_id if tokenizer.pad_token_id is not None else fallback


def _clip_spec(config, template: Template, tokenizer) -> TextSpec:
    text = config.text_config
    end = _end_id(template, "CLIPModel")
    if text.eos_token_id == 2:
        # transformers keeps the legacy rule for such configs: pool at input_ids.argmax(-1), right only when the
        # end token is the largest id (CLIP BPE's <|endoftext|>).
        if end != text.vocab_size - 1:
            raise CheckpointError(f"CLIPModel pools at the largest id ({text.vocab_size - 1}) but the tokenizer's "
                                  f"end token is {end}")
        pool = "eot_argmax"
    else:
        if end != text.eos_token_id:
            raise CheckpointError(f"CLIPModel pools at eos_token_id {text.eos_token_id} but the tokenizer's end "
                                  f"token is {end}")
        pool = "eos_id"
    return TextSpec(causal=True, pad_masked=False, pool=pool, pad_id=_pad_id(tokenizer, end), eos_id=end)


def _metaclip2_spec(config, template: Template, tokenizer) -> TextSpec:
    eos = config.text_config.eos_token_id
    if eos not in template.suffix:
        raise CheckpointError(f"MetaClip2Model pools at the first eos_token_id {eos}, which the tokenizer does not "
                              f"add (it adds {list(template.suffix)})")
    return TextSpec(causal=True, pad_masked=False, pool="eos_id", pad_id=_pad_id(tokenizer, eos), eos_id=eos)


def _siglip_spec(config, template: Template, tokenizer) -> TextSpec:
    # Bidirectional, no padding mask, read at the last position: only the trained length gives the trained output.
    length = config.text_config.max_position_embeddings
    pad = _pad_id(tokenizer, template.suffix[-1] if template.suffix else 0)
    return TextSpec(causal=False, pad_masked=False, pool="last", pad_id=pad,
                    eos_id=template.suffix[-1] if template.suffix else None, fixed_length=length)


POSITION_KEY = "text_model.embeddings.position_embedding.weight"


def weights_rows(folder: Path, key: str = POSITION_KEY) -> int | None:
    """Rows of one tensor, read from the safetensors headers only (None when no file holds it)."""
    from safetensors import safe_open

    for path in sorted(folder.glob("model*.safetensors")):
        with safe_open(str(path), framework="pt") as fh:
            if key in set(fh.keys()):
                return int(fh.get_slice(key).get_shape()[0])
    return None


def _clip_prepare(source: Source, config) -> None:
    """Early revisions of the Long-CLIP conversions have no `max_position_embeddings: 248`: their config builds 77
    rows for 248-row weights. The weights decide (with a warning)."""
    text = config.text_config
    rows = weights_rows(source.folder)
    if rows is not None and rows != text.max_position_embeddings:
        warnings.warn(f"{source.name}: config.json says max_position_embeddings={text.max_position_embeddings} but "
                      f"the weights hold {rows} positions (an early revision of a Long-CLIP conversion?); using "
                      f"{rows}: pin a revision whose config says {rows}", stacklevel=2)
        text.max_position_embeddings = rows


def _clip_inspect(source: Source, model) -> None:
    """Long-CLIP reads positions 20+ from its second table; a conversion that kept only the first one holds an
    exact stretch of a 77-row table (never fine-tuned), which detect_stretch recognises."""
    table = model.text_model.embeddings.position_embedding.weight.detach().cpu()
    method = detect_stretch(table)
    if table.shape[0] > 77 and method:
        warnings.warn(f"{source.name}: the {table.shape[0]}-row position table is an exact {method} stretch of a "
                      "77-row table: an un-fine-tuned stretch, or a Long-CLIP conversion that dropped "
                      "positional_embedding_res (positions 20+ are then not Long-CLIP's)", stacklevel=2)


FAMILIES.add("clip", Family("CLIPModel", _clip_spec, _clip_prepare, _clip_inspect))
FAMILIES.add("siglip", Family("SiglipModel", _siglip_spec))
FAMILIES.add("siglip2", Family("Siglip2Model", _siglip_spec, preprocess_from=naflex_preprocess,
                               image_features=naflex_image))
FAMILIES.add("metaclip_2", Family("MetaClip2Model", _metaclip2_spec))


# ---------------------------------------------------------------------------------------------------- loading

def tokenizer_description(tokenizer, template: Template, spec: TextSpec, length: int,
                          normalise: Callable[[str], str] | None = None) -> str:
    padded = f"padded to {spec.fixed_length}" if spec.fixed_length else "trimmed per batch"
    first = f"captions through {getattr(normalise, '__qualname__', 'a normaliser')} first, " if normalise else ""
    return (f"{type(tokenizer).__name__} ({first}prefix {list(template.prefix)}, suffix {list(template.suffix)}, "
            f"right padding with {spec.pad_id}, at most {length} tokens, {padded})")


def load_hf(spec: str, checkpoint: Path | None = None, *, trust_remote_code: bool = False) -> HFModel:
    """`hf:` names: a transformers checkpoint of a known family, loaded without running any code it carries;
    checkpoints that need their own code go to remote.py (opt-in, pinned)."""
    if checkpoint is not None:
        raise UnknownNameError(f"hf:{spec}: --checkpoint does not apply to hf: models (the folder or repo is the "
                               "checkpoint)")
    tf = transformers()
    source = resolve_source(spec)
    raw = source.config
    model_type = raw.get("model_type")
    if "auto_map" in raw or model_type not in FAMILIES:
        from .remote import load_remote

        return load_remote(spec, source, raw, trust_remote_code)
    if source.repo is None and split_name(spec)[1]:
        raise UnknownNameError(f"{source.name}: a local folder has no revision (@... pins remote code only)")
    family = FAMILIES.get(model_type)
    config = tf.AutoConfig.from_pretrained(source.folder, trust_remote_code=False)
    family.prepare(source, config)
    return build(source, family.model_class, config, family.text_spec, tf, inspect=family.inspect,
                 preprocess_from=family.preprocess_from, image_features=family.image_features)


def build(source: Source, model_class: str, config, text_spec, tf, *, inspect=None, context_length: int | None = None,
          preprocess_from=processor_preprocess, text_features=default_text, image_features=default_image,
          normalise: Callable[[str], str] | None = None) -> HFModel:
    """Model, tokenizer and image processor from one folder, read the family's way."""
    folder, trust_remote_code = source.folder, source.remote_code
    try:
        model, loading = _model_class(tf, model_class).from_pretrained(
            folder, config=config, use_safetensors=True, trust_remote_code=trust_remote_code,
            dtype=torch.float32, output_loading_info=True)
        tokenizer = tf.AutoTokenizer.from_pretrained(folder, trust_remote_code=trust_remote_code)
        processor = tf.AutoImageProcessor.from_pretrained(folder, trust_remote_code=trust_remote_code)
    except (OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{source.name}: transformers could not load it ({first_line(exc)})") from None
    check_complete(source, loading)
    if inspect:
        inspect(source, model)
    template = Template.of(tokenizer)
    spec = text_spec(config, template, tokenizer)
    length = context_length or config.text_config.max_position_embeddings
    info = ModelInfo(name=source.name, architecture=model_class, context_length=length,
                     pos_embed_kind=_pos_kind(model, length),
                     checkpoint=str(folder), source=describe(source),
                     backend="transformers-remote-code" if source.remote_code else "transformers",
                     revision=source.revision,
                     tokenizer=tokenizer_description(tokenizer, template, spec, length, normalise),
                     text_spec=spec.to_dict())
    return HFModel(model, tokenizer, template, spec, length, _embed_dim(config), info, preprocess_from(processor),
                   text_features, image_features, normalise)


def _pos_kind(model, length: int) -> str:
    """For CLIP-style towers the table's kind read from its values (stretch.py); otherwise customN."""
    table = getattr(getattr(getattr(model, "text_model", None), "embeddings", None), "position_embedding", None)
    if isinstance(table, torch.nn.Embedding):
        return pos_embed_kind(table.weight.detach().cpu(), has_res=False)
    return f"custom{length}"


def _model_class(tf, name: str):
    cls = getattr(tf, name, None)
    if cls is None:
        raise MissingDependencyError(f"transformers {tf.__version__} has no {name}: pip install -U transformers")
    return cls


def check_complete(source: Source, loading: dict[str, Any]) -> None:
    """transformers initialises missing tensors at random and only reports it: a number from such a model would be
    noise, so it is refused (as the strict state-dict loaders elsewhere do)."""
    missing = sorted(loading.get("missing_keys") or [])
    mismatched = loading.get("mismatched_keys") or []
    if missing or mismatched:
        first = missing[0] if missing else str(mismatched[0])
        raise CheckpointError(f"{source.name}: the weights do not cover the model: {len(missing)} missing, "
                              f"{len(mismatched)} of the wrong shape (first: {first})")


def _embed_dim(config) -> int:
    return int(getattr(config, "projection_dim", None) or getattr(config.text_config, "projection_size", None)
               or config.text_config.hidden_size)


def describe(source: Source) -> str:
    where = (f"https://huggingface.co/{source.repo} at {source.revision}" if source.repo
             else f"local folder {source.folder}")
    code = f", its own code run (--trust-remote-code, pinned {source.revision})" if source.remote_code else ""
    return f"transformers, {where}{code}"


def first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]


register_prefix("hf")(load_hf)


@register_folder("config.json")
def load_hf_folder(folder: Path, checkpoint: Path | None = None, *, trust_remote_code: bool = False) -> HFModel:
    """A plain folder path holding a transformers config.json (open_clip folders are matched first)."""
    return load_hf(str(folder), checkpoint, trust_remote_code=trust_remote_code)
