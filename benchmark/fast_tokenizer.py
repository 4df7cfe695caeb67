"""CLIP's BPE for a batch of captions: the reference tokenizer's ids exactly, many times faster.

The reference (open_clip's `SimpleTokenizer.encode`) cleans each caption (ftfy, HTML unescape, whitespace, lower
case), splits it with a regex into words, maps each word's UTF-8 bytes to printable characters and applies the BPE
merges to each word, `</w>` on its last symbol. Each step keeps its definition here; what changes is where it runs:

- Cleaning: ftfy costs most of the reference's time and is an identity on text made only of printable ASCII, tab
  and newline without '&': every ftfy fixer acts on '&' (HTML entities), ESC (terminal escapes), CR and the other
  control characters, or on non-ASCII characters (mojibake, C1 controls, ligatures, widths, curly quotes), and NFC
  leaves ASCII alone; `html.unescape` needs '&' too. Such a caption skips ftfy; any other gets the reference's
  own cleaning function.
- Splitting: a cleaned ASCII caption is lower case with single spaces, so the reference pattern reduces to
  `_ASCII_WORDS`, whose words never contain a space: each distinct space-separated chunk of a batch is split and
  encoded once.
  A non-ASCII caption is split by the reference's own compiled pattern: Unicode letter and digit classes differ
  between regex engines and Unicode versions, so no other engine is trusted with them.
- BPE: each distinct word is encoded once and remembered; new words go through the Rust `tokenizers` BPE built from
  the reference's own vocabulary and merge ranks (byte-level pre-tokenizer, `</w>` end-of-word suffix), or, when
  that library is missing, through the reference's own `bpe`.

A cleaned caption containing a special-token name (`<start_of_text>`, `<end_of_text>`, which the reference maps
to its special ids) goes to the reference whole. tests/test_fast_tokenizer.py proves identity on a large corpus;
tools/bench_tokenizer.py measures the speed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import regex

#: Printable ASCII, tab and newline without '&': a caption with any other character goes through ftfy (module doc).
SAFE_CHARS = "\t\n" + "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "&")
_SAFE_BYTES = SAFE_CHARS.encode("ascii")
_NEEDS_FTFY = re.compile(f"[^{re.escape(SAFE_CHARS)}]+")
#: The reference pattern on cleaned lower-case ASCII (only ' ' is left of the whitespace, and the separator).
_ASCII_WORDS = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d|[a-z]+|[0-9]|[^ \na-z0-9]+""")
#: Ends each caption in a batch: not whitespace, and never in a caption that skips ftfy.
_SEPARATOR = "\x00"
#: In every special-token name; a cleaned caption containing it goes to the reference.
_SPECIAL_MARK = "_of_text>"
#: The mark in any ASCII case (what lower-casing a caption that skips ftfy can turn into the mark).
_SPECIAL_NAME = re.compile(r"_[oO][fF]_[tT][eE][xX][tT]>")


@dataclass
class Ragged:
    """Token ids of N captions, one after another: caption i is `ids[offsets[i]:offsets[i + 1]]`."""

    ids: np.ndarray  # int64
    offsets: np.ndarray  # int64 [N + 1]

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def row(self, i: int) -> list[int]:
        return self.ids[self.offsets[i]:self.offsets[i + 1]].tolist()

    @classmethod
    def from_lists(cls, rows: Sequence[Sequence[int]]) -> Ragged:
        offsets = np.concatenate([[0], np.cumsum([len(r) for r in rows], dtype=np.int64)]).astype(np.int64)
        ids = np.fromiter((i for r in rows for i in r), dtype=np.int64, count=int(offsets[-1]))
        return cls(ids, offsets)


class FastBpe:
    """`encode_batch(texts)`: what `reference.encode` gives each text (no SOT/EOT), as one Ragged array."""

    def __init__(self, reference: Any, rust: bool = True):
        self.reference = reference
        self._rust = _rust_bpe(reference) if rust else None
        self._words: dict[str, np.ndarray] = {}  # word -> its BPE ids
        self._chunks: dict[str, np.ndarray] = {_SEPARATOR: np.zeros(0, dtype=np.int64)}  # ASCII chunk -> ids

    def encode_batch(self, texts: Sequence[str]) -> Ragged:
        # Captions that need ftfy, or may hold a special-token name, go one by one; the rest as one batch.
        other_rows = _one_by_one(texts)
        if not other_rows:
            tokens, lengths = self._encode_safe(list(texts))
            return Ragged(tokens, np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64))
        other = {i: self._encode_one(texts[i]) for i in other_rows}
        fast_rows = np.setdiff1d(np.arange(len(texts)), other_rows)
        tokens, fast_lengths = self._encode_safe([texts[i] for i in fast_rows])
        lengths = np.zeros(len(texts), dtype=np.int64)
        lengths[fast_rows] = fast_lengths
        lengths[other_rows] = [len(other[i]) for i in other_rows]
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        flat = np.empty(int(offsets[-1]), dtype=np.int64)
        flat[_positions(offsets[fast_rows], fast_lengths)] = tokens
        for i, ids in other.items():
            flat[offsets[i]:offsets[i + 1]] = ids
        return Ragged(flat, offsets)

    def _encode_safe(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Ids of captions that skip ftfy, one after another, and each caption's count.

        Their cleaning is `" ".join(text.split()).lower()` and no word contains a space, so the whole batch is cut
        into whitespace-separated chunks at once (each caption followed by a separator chunk) and each distinct
        chunk is split and encoded once.
        """
        chunks = (f" {_SEPARATOR} ".join(texts) + f" {_SEPARATOR}").lower().split() if texts else []
        distinct = list(dict.fromkeys(chunks))
        index = {chunk: i for i, chunk in enumerate(distinct)}
        codes = np.fromiter(map(index.__getitem__, chunks), dtype=np.int64, count=len(chunks))
        pieces = self._chunk_ids(distinct)
        piece_len = np.array([len(p) for p in pieces], dtype=np.int64)
        piece_start = np.cumsum(piece_len) - piece_len
        chunk_len = piece_len[codes]
        # Each separator (no tokens) ends its caption: a caption's count is the step of the running total there.
        ends = np.cumsum(chunk_len)[codes == index.get(_SEPARATOR, -1)]
        lengths = np.diff(ends, prepend=0)
        flat_pieces = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64)
        return flat_pieces[_positions(piece_start[codes], chunk_len)], lengths

    def _chunk_ids(self, chunks: list[str]) -> list[np.ndarray]:
        new = [c for c in chunks if c not in self._chunks]
        for chunk in new:
            pieces = self._ids_of(_ASCII_WORDS.findall(chunk))
            self._chunks[chunk] = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64)
        return [self._chunks[c] for c in chunks]

    def _encode_one(self, text: str) -> list[int]:
        """The reference cleaning and split of one caption; BPE through the word table."""
        cleaned = self.reference.clean_fn(text)
        if _SPECIAL_MARK in cleaned:
            return self.reference.encode(text)
        words = regex.findall(self.reference.pat, cleaned)
        return [int(i) for piece in self._ids_of(words) for i in piece]

    def _ids_of(self, words: list[str]) -> list[np.ndarray]:
        new = [w for w in dict.fromkeys(words) if w not in self._words]
        if new:
            self._words.update(zip(new, self._bpe(new), strict=True))
        return [self._words[w] for w in words]

    def _bpe(self, words: list[str]) -> list[np.ndarray]:
        if self._rust is not None:
            # One pre-tokenized sequence: each word is byte-mapped and merged on its own; word_ids splits them.
            enc = self._rust.encode(words, is_pretokenized=True, add_special_tokens=False)
            counts = np.bincount(np.asarray(enc.word_ids, dtype=np.int64), minlength=len(words))
            return np.split(np.asarray(enc.ids, dtype=np.int64), np.cumsum(counts)[:-1])
        ref = self.reference
        return [np.array([ref.encoder[t] for t in ref.bpe("".join(ref.byte_encoder[b] for b in w.encode("utf-8")))
                          .split(" ")], dtype=np.int64) for w in words]


def _one_by_one(texts: Sequence[str]) -> list[int]:
    """Rows that need ftfy or may name a special token, from one search over the texts joined by spaces."""
    joined = " ".join(texts)
    special = _SPECIAL_MARK in joined.lower()
    if not special and joined.isascii() and not joined.encode("ascii").translate(None, _SAFE_BYTES):
        return []  # the usual case, found without a regex pass
    hits = [m.start() for m in _NEEDS_FTFY.finditer(joined)]
    if special:
        hits += [m.start() for m in _SPECIAL_NAME.finditer(joined)]
    if not hits:
        return []
    sizes = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + 1
    return np.unique(np.searchsorted(np.cumsum(sizes) - sizes, hits, side="right") - 1).tolist()


def _positions(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Indices start, start+1, ..., start+length-1 of every (start, length), concatenated."""
    total = int(lengths.sum())
    return np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(total, dtype=np.int64)


def _rust_bpe(reference: Any) -> Any:
    """The reference's vocabulary and merges as a `tokenizers` BPE with a byte-level pre-tokenizer (no split:
    words arrive pre-tokenized). Raises ImportError without the library."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    merges = sorted(reference.bpe_ranks, key=reference.bpe_ranks.get)
    tok = Tokenizer(models.BPE(vocab=dict(reference.encoder), merges=merges, end_of_word_suffix="</w>",
                               continuing_subword_prefix="", fuse_unk=False))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    return tok
