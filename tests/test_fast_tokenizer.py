"""The batched tokenizer gives open_clip's SimpleTokenizer ids exactly, with and without the Rust `tokenizers`."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import regex
import torch
from open_clip.tokenizer import SimpleTokenizer

from longbench import bpe, tokenizer
from longbench.datasets import LoadOptions, RetrievalDataset, SelectionDataset
from longbench.fast_tokenizer import _ASCII_WORDS, SAFE_CHARS, FastBpe
from longbench.prompts import resolve_prompts
from longbench.tasks import all_tasks

HANDWRITTEN = [
    "", " ", "   \t\n  ", "\n", "A photo of a cat.", "  Leading and trailing  ", "UPPER lower MiXeD",
    "tabs\tand\nnewlines\r\nand\rreturns", "numbers 1234567890 and 3.14159, 1,000,000 and 2nd 21st",
    "punctuation!!! ??? ... --- ;;; ::: ((())) [[]] {{}} <<>> @@ ## $$ %% ^^ ** __ ++ == || \\\\ // ~~ ``",
    "it's they're we've I'm you'll he'd IT'S THEY'RE 'S 'T ''s ' s", "don't won't can't shan't y'all",
    "Café crème brûlée, naïve façade, Ångström, Øresund, Łódź, straße, İstanbul, ǅemal",
    "東京の夜景とカラフルなネオン", "한국어 문장입니다", "中文句子，带有标点。", "ภาษาไทย", "العربية والأرقام ١٢٣",
    "emoji 😀👍🏽👨‍👩‍👧‍👦 🇫🇷 ❤️ ✔", "math ∑ ∫ √ ≠ ≤ ≥ ∞ π", "fullwidth ＬＯＵＤ　ＮＯＩＳＥＳ", "ligatures ﬂubberiﬁc",
    "curly “quotes” and ‘single’ and – en — em dashes…",
    "HTML &amp; &lt;b&gt; &quot;x&quot; &#39;y&#39; &eacute; &nbsp;",
    "double &amp;amp; escaped", "broken &amp without semicolon & lone", "mojibake âœ” No problems, cafÃ©, Ã©tÃ©",
    "more mojibake Ã¢â‚¬Å“quotedÃ¢â‚¬ï¿½", "control \x00\x01\x07\x08\x0b\x0c\x0e\x1b[31mred\x1b[0m\x7f chars",
    "C1 \x80\x85\x9f controls", "zero\u200bwidth\u200cjoiner\u200d and \ufeffBOM", "nbsp\u00a0and\u2003em space",
    "line\u2028separator\u2029paragraph", "combining e\u0301 a\u0308 \u0345 o\u0338", "long s ſ and 'ſ and it'ſ",
    "Kelvin \u212a and Ohm \u2126", "<start_of_text> in text", "x<end_of_text>y", "<START_OF_TEXT>", "<ſtart_of_text>",
    "<<start_of_text>>", "a_of_text> b", "surrogate-free \U0001f600\U0010fffd", "private \ue000\uf8ff",
    "newer unicode \u088f \u0c5c \ua7ce \U00010940 \U0001fae9", "digits ٣ ४ ௫ ๖ ⅷ ² ½", "x" * 500,
    " ".join(f"word{i}" for i in range(3000)), "&" * 50, "a&b&c", "'" * 40, "\t" * 30 + "tab",
]


def _sample_texts() -> list[str]:
    """Every caption of every retrieval and selection task's sample, and every classification task's prompts."""
    import tempfile

    texts: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for task in all_tasks():
            if task.unavailable():  # ARO's order tasks without spaCy and NLTK
                continue
            root = Path(tmp) / task.meta.name
            task.write_sample(root, 6, seed=1)
            dataset = task.load(root, LoadOptions())
            if isinstance(dataset, (RetrievalDataset, SelectionDataset)):
                texts += dataset.texts
            else:
                for name in ("imagenet80", "clip"):
                    prompts = resolve_prompts(name, dataset.task, dataset.classnames, default=dataset.default_prompts)
                    texts += [t for c in prompts.classnames[:20] for t in prompts.texts(c)]
    return texts


def _random_texts(seed: int = 0, n: int = 400) -> list[str]:
    """Seeded random strings: safe ASCII, any ASCII, and code points from many scripts and planes."""
    rng = np.random.default_rng(seed)
    ranges = [(0x20, 0x7F), (0x00, 0x80), (0xA0, 0x250), (0x370, 0x530), (0x590, 0x700), (0x900, 0xE00),
              (0x3000, 0x3100), (0x4E00, 0x4F00), (0xAC00, 0xAD00), (0xFF00, 0xFFF0), (0x1F300, 0x1FAFF),
              (0x0, 0x110000)]
    safe = np.array(list(SAFE_CHARS))
    out = []
    for i in range(n):
        size = int(rng.integers(0, 120))
        if i % 3 == 0:
            out.append("".join(rng.choice(safe, size)))
            continue
        low, high = ranges[int(rng.integers(len(ranges)))]
        points = rng.integers(low, high, size)
        out.append("".join(chr(p) for p in points if not 0xD800 <= p < 0xE000))
    return out


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    return HANDWRITTEN + _sample_texts() + _random_texts()


@pytest.fixture(scope="module")
def reference() -> SimpleTokenizer:
    return SimpleTokenizer()


def test_ids_are_the_reference_ids_on_a_varied_corpus(corpus, reference):
    assert len(corpus) > 1000
    got = bpe.encode_batch(corpus)
    assert bpe._fast()._rust is not None  # the Rust BPE was used
    mismatched = [t for i, t in enumerate(corpus) if got.row(i) != reference.encode(t)]
    assert not mismatched, mismatched[:5]
    # And through the padded, truncated batch, against open_clip's own tokenize (which truncates the same way).
    for context in (77, 248):
        assert torch.equal(tokenizer.tokenize(corpus, context).ids, reference(corpus, context))


def test_without_the_rust_library_the_same_ids(corpus, reference, monkeypatch):
    monkeypatch.setitem(sys.modules, "tokenizers", None)  # `import tokenizers` now raises ImportError
    bpe._fast.cache_clear()
    try:
        assert bpe._fast()._rust is None
        got = bpe.encode_batch(corpus)
        assert all(got.row(i) == reference.encode(t) for i, t in enumerate(corpus))
    finally:
        bpe._fast.cache_clear()


def test_ids_do_not_depend_on_the_batch(corpus, reference):
    whole = FastBpe(reference).encode_batch(corpus[::-1])
    one_by_one = FastBpe(reference)  # its word tables fill in another order
    for i, text in enumerate(corpus[::-1]):
        assert one_by_one.encode_batch([text]).row(0) == whole.row(i)
    assert len(one_by_one.encode_batch([]).offsets) == 1


def test_ftfy_is_an_identity_on_the_safe_characters(reference):
    """The claim that lets safe captions skip ftfy: the reference cleaning is then split-join and lower case."""
    rng = np.random.default_rng(1)
    chars = np.array(list(SAFE_CHARS))
    texts = [*SAFE_CHARS, *("".join(rng.choice(chars, int(rng.integers(1, 200)))) for _ in range(2000))]
    for text in texts:
        assert reference.clean_fn(text) == " ".join(text.split()).lower(), repr(text)
    assert "&" not in SAFE_CHARS and "\r" not in SAFE_CHARS and "\x1b" not in SAFE_CHARS


def test_the_ascii_pattern_splits_like_the_reference_pattern(reference):
    """On cleaned safe text, words split per space-separated chunk by `_ASCII_WORDS` equal the reference regex's."""
    rng = np.random.default_rng(2)
    chars = np.array(list(SAFE_CHARS))
    for _ in range(2000):
        cleaned = " ".join("".join(rng.choice(chars, int(rng.integers(0, 80)))).split()).lower()
        ours = [w for chunk in cleaned.split(" ") for w in _ASCII_WORDS.findall(chunk)]
        assert ours == regex.findall(reference.pat, cleaned), cleaned


def test_count_tokens_and_truncation_counts(reference):
    texts = ["a cat", "", "word " * 100]
    assert bpe.count_tokens(texts) == [len(reference.encode(t)) + 2 for t in texts]
    batch = tokenizer.tokenize(texts, 77)
    assert batch.raw_lengths.tolist() == bpe.count_tokens(texts)
    assert batch.lengths.tolist() == [4, 2, 77]


def test_a_caption_list_tokenized_before_is_read_back_without_the_bpe(monkeypatch):
    texts = ["a cat on a mat", "déjà vu: a café in Paris", ""]
    first = bpe.encode_batch(texts)

    def no_bpe():
        raise AssertionError("the BPE ran again")

    monkeypatch.setattr(bpe, "_fast", no_bpe)
    again = bpe.encode_batch(texts)
    assert [again.row(i) for i in range(3)] == [first.row(i) for i in range(3)]
    assert again.ids.dtype == first.ids.dtype and again.offsets.dtype == first.offsets.dtype
    with pytest.raises(AssertionError, match="ran again"):
        bpe.encode_batch([*texts, "one more"])  # another list: tokenized
