"""LoTLIP's tokenizer (`HFTokenizer` of the authors' open_clip fork, wuw2019/LoTLIP at 301b906), counting truncation.

For each caption, in this order: every ". " becomes the tokenizer's separator token (`[SEP]`; the fork does this
for tokenizers named `bert...`, which LoTLIP's are); the corner tokens `[Corner0] [Corner1]` are prepended with no
space after them; the text is cleaned as open_clip's `whitespace` cleaner does (ftfy, HTML unescaped twice, runs of
whitespace collapsed, stripped); BERT's uncased WordPiece tokenizer, with the corner tokens added as special tokens
(ids after its vocabulary), makes `[CLS] [Corner0] [Corner1] ... [SEP]`, cut at the context and padded with [PAD].
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from open_clip.tokenizer import get_clean_fn

from ....bpe import require_strings
from ...core.protocol import TokenBatch


class LotlipTokenizer:
    def __init__(self, hf, corners: int, source: str):
        self.hf = hf
        names = [f"[Corner{k}]" for k in range(corners)]
        for corner in names:  # one at a time, as the fork adds them: ids follow the vocabulary in order
            hf.add_tokens([corner], special_tokens=True)
        self.prefix = " ".join(names)
        self.corner_ids = hf.convert_tokens_to_ids(names)
        self.pad_id = int(hf.pad_token_id)
        self.clean = get_clean_fn("whitespace")
        self.name = (f"LoTLIP {type(hf).__name__} ({source}; '. ' -> {hf.sep_token}, {corners} corner tokens, "
                     "clean=whitespace)")

    def prepare(self, caption: str) -> str:
        return self.clean(self.prefix + self.hf.sep_token.join(caption.split(". ")))

    def __call__(self, texts: Sequence[str], context_length: int) -> TokenBatch:
        texts = list(texts)
        require_strings(texts)
        if not texts:
            return TokenBatch.empty(context_length, self.pad_id)
        prepared = [self.prepare(text) for text in texts]
        ids = self.hf(prepared, max_length=context_length, padding="max_length", truncation=True,
                      return_tensors="pt")["input_ids"].long()
        raw = torch.tensor([len(row) for row in self.hf(prepared, truncation=False, verbose=False)["input_ids"]])
        return TokenBatch(ids, raw.clamp(max=context_length), raw, self.pad_id)
