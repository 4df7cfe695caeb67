"""A ProLIP checkpoint's `config.json`: what `ProLIPHF(**config)` is built from, read into typed settings.

The Hub repositories (SanghyukChun/ProLIP-*, LongProLIP-*) were written by `PyTorchModelHubMixin.save_pretrained`:
`config.json` holds the keyword arguments of `ProLIP(embed_dim, vision_cfg, text_cfg, quick_gelu, ...)` and
`model.safetensors` the weights. The dicts fill the authors' `ProLIPVisionCfg` / `ProLIPTextCfg` (naver-ai/prolip,
src/prolip/model.py), whose defaults are repeated here. Options the authors' towers ignore are accepted and ignored
as there; options that change the computation in ways this backend does not implement are refused in one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ....errors import CheckpointError

#: `ProLIP.__init__` arguments that set no tensor an embedding depends on.
IGNORED_TOP = ("init_logit_scale", "init_logit_bias", "cast_dtype", "output_dict")
#: ProLIPVisionCfg fields `_build_vision_tower` never reads (the timm fields) or that only set initial values.
IGNORED_VISION = ("timm_model_name", "timm_model_pretrained", "timm_pool", "timm_proj", "timm_proj_bias",
                  "timm_drop", "timm_drop_path", "init_unc_bias", "attn_pooler_queries", "attn_pooler_heads")
#: ProLIPTextCfg fields `_build_text_tower` never reads, or that set initial values / the tokenizer only.
IGNORED_TEXT = ("hf_model_name", "hf_model_pretrained", "hf_proj_type", "hf_pooler_type", "final_ln_after_pool",
                "init_unc_bias", "pad_id", "pool_type", "hf_tokenizer_name", "tokenizer_kwargs")
#: Settings with one supported value: (section, field, the authors' default, the value this backend runs).
FIXED = (
    ("vision_cfg", "ls_init_value", None, None),
    ("vision_cfg", "attentional_pool", False, False),
    ("vision_cfg", "pos_embed_type", "learnable", "learnable"),
    ("vision_cfg", "pool_type", "tok", "tok"),
    ("vision_cfg", "output_tokens", False, False),
    ("vision_cfg", "act_kwargs", None, None),
    ("vision_cfg", "embed_unc", False, True),
    ("text_cfg", "ls_init_value", None, None),
    ("text_cfg", "embed_cls", True, True),
    ("text_cfg", "embed_unc", True, True),
    ("text_cfg", "no_causal_mask", True, True),
    ("text_cfg", "proj_bias", True, True),
    ("text_cfg", "output_tokens", False, False),
    ("text_cfg", "act_kwargs", None, None),
)
#: HFTokenizer keyword arguments (`tokenizer_kwargs`) and the value this backend supports.
TOKENIZER_DEFAULTS = {"strip_sep_token": False, "language": None}
CLEANERS = ("canonicalize", "lower", "whitespace")


@dataclass(frozen=True)
class VisionSettings:
    image_size: int
    patch_size: int
    width: int
    layers: int
    heads: int
    mlp_ratio: float
    layer_norm_eps: float
    no_ln_pre: bool


@dataclass(frozen=True)
class TextSettings:
    context_length: int
    vocab_size: int
    width: int
    layers: int
    heads: int
    mlp_ratio: float
    layer_norm_eps: float
    #: The tokenizer the authors pair with the model (`HFTokenizer(hf_tokenizer_name, context_length, clean=...)`).
    tokenizer_name: str | None
    clean: str


@dataclass(frozen=True)
class ProLIPConfig:
    embed_dim: int
    quick_gelu: bool
    vision: VisionSettings
    text: TextSettings

    @property
    def description(self) -> str:
        v, t = self.vision, self.text
        return (f"ProLIP ViT(w{v.width}x{v.layers}/p{v.patch_size}@{v.image_size}) + text(w{t.width}x{t.layers}, "
                f"context {t.context_length}), embed {self.embed_dim}")


def read_config(raw: dict[str, Any], where: str) -> ProLIPConfig:
    """The settings of `raw` (a parsed config.json), or a one-line refusal naming the offending key."""
    known = {"embed_dim", "vision_cfg", "text_cfg", "quick_gelu", *IGNORED_TOP}
    unexpected = sorted(set(raw) - known)
    if unexpected or not isinstance(raw.get("vision_cfg"), dict) or not isinstance(raw.get("text_cfg"), dict):
        what = f"unexpected key {unexpected[0]!r}" if unexpected else "no vision_cfg/text_cfg dicts"
        raise CheckpointError(f"{where}: not a ProLIP config.json ({what}; expected the keyword arguments of "
                              "ProLIP: embed_dim, vision_cfg, text_cfg, ...)")
    vision, text = raw["vision_cfg"], raw["text_cfg"]
    for section, field, default, supported in FIXED:
        value = raw[section].get(field, default)
        if value != supported:
            raise CheckpointError(f"{where}: {section}.{field} = {value!r} is not supported by the ProLIP backend "
                                  f"(it runs {supported!r}, as the released ProLIP models use)")
    try:
        return ProLIPConfig(embed_dim=int(raw["embed_dim"]), quick_gelu=bool(raw.get("quick_gelu", False)),
                            vision=_vision(vision, where), text=_text(text, where))
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{where}: not a valid ProLIP config.json ({type(exc).__name__}: {exc})") from None


def _vision(cfg: dict[str, Any], where: str) -> VisionSettings:
    fixed = (f for s, f, *_ in FIXED if s == "vision_cfg")
    _check_fields(cfg, "vision_cfg", where, {"layers", "width", "head_width", "mlp_ratio", "patch_size", "image_size",
                                             "no_ln_pre", "norm_kwargs", *fixed, *IGNORED_VISION})
    width, head_width = int(cfg.get("width", 768)), int(cfg.get("head_width", 64))
    return VisionSettings(image_size=_square(cfg.get("image_size", 224), "image_size", where),
                          patch_size=_square(cfg.get("patch_size", 16), "patch_size", where), width=width,
                          layers=int(cfg.get("layers", 12)), heads=width // head_width,
                          mlp_ratio=float(cfg.get("mlp_ratio", 4.0)),
                          layer_norm_eps=_eps(cfg.get("norm_kwargs"), "vision_cfg", where),
                          no_ln_pre=bool(cfg.get("no_ln_pre", False)))


def _text(cfg: dict[str, Any], where: str) -> TextSettings:
    fixed = (f for s, f, *_ in FIXED if s == "text_cfg")
    _check_fields(cfg, "text_cfg", where, {"context_length", "vocab_size", "width", "heads", "layers", "mlp_ratio",
                                           "norm_kwargs", *fixed, *IGNORED_TEXT})
    kwargs = dict(cfg.get("tokenizer_kwargs") or {})
    clean = kwargs.pop("clean", "whitespace")  # HFTokenizer's default
    if clean not in CLEANERS:
        raise CheckpointError(f"{where}: text_cfg.tokenizer_kwargs.clean = {clean!r} (expected one of "
                              f"{', '.join(CLEANERS)})")
    for key, value in kwargs.items():
        if key not in TOKENIZER_DEFAULTS or value != TOKENIZER_DEFAULTS[key]:
            raise CheckpointError(f"{where}: text_cfg.tokenizer_kwargs.{key} = {value!r} is not supported by the "
                                  "ProLIP backend")
    width = int(cfg.get("width", 768))
    return TextSettings(context_length=int(cfg.get("context_length", 64)), vocab_size=int(cfg.get("vocab_size", 32100)),
                        width=width, layers=int(cfg.get("layers", 12)), heads=int(cfg.get("heads", 12)),
                        mlp_ratio=float(cfg.get("mlp_ratio", 4.0)),
                        layer_norm_eps=_eps(cfg.get("norm_kwargs"), "text_cfg", where),
                        tokenizer_name=cfg.get("hf_tokenizer_name"), clean=clean)


def _check_fields(cfg: dict[str, Any], section: str, where: str, known: set[str]) -> None:
    unexpected = sorted(set(cfg) - known)
    if unexpected:
        raise CheckpointError(f"{where}: {section}.{unexpected[0]} is not a ProLIP setting this backend knows")


def _eps(norm_kwargs: dict[str, Any] | None, section: str, where: str) -> float:
    """LayerNorm's eps (torch's default 1e-5 unless `norm_kwargs` sets it; no other LayerNorm option is used)."""
    norm_kwargs = dict(norm_kwargs or {})
    eps = float(norm_kwargs.pop("eps", 1e-5))
    if norm_kwargs:
        raise CheckpointError(f"{where}: {section}.norm_kwargs.{next(iter(norm_kwargs))} is not supported (only eps)")
    return eps


def _square(value: Any, field: str, where: str) -> int:
    if isinstance(value, (list, tuple)):
        if len(value) != 2 or value[0] != value[1]:
            raise CheckpointError(f"{where}: vision_cfg.{field} = {value!r} (only square sizes are supported)")
        value = value[0]
    return int(value)
