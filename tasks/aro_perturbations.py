"""ARO's order perturbations and caption preprocessing, as mertyg/vision-language-models-are-bows builds COCO-Order
and Flickr30k-Order (`dataset_zoo/perturbations.py` TextShuffler, `dataset_zoo/retrieval.py` pre_caption, the loop
in `COCO_Order.__init__`), with the random state `main_aro.py` seeds (`seed_all(1)`: `random.seed(1)`,
`np.random.seed(1)`), consumed caption after caption in file order.

Each caption gives five options, the true one first: pre_caption of the caption, then of shuffle_nouns_and_adj,
shuffle_allbut_nouns_and_adj, shuffle_within_trigrams and shuffle_trigrams of it. The first two tag with spaCy
(`en_core_web_sm`; nouns NN/NNS/NNP/NNPS, adjectives JJ/JJR/JJS) and draw from numpy's legacy global state; the
last two tokenize with NLTK's `word_tokenize` and draw from Python's `random`. Both generators are separate objects
here, seeded as the authors seed the globals, so nothing else in the process can move them.

Registers nothing.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from longbench.errors import MissingDependencyError

#: `main_aro.py`'s default `--seed`, and COCO_Order's / Flickr30k_Order's default `max_words`.
SEED = 1
MAX_WORDS = 30
NOUNS = ("NN", "NNS", "NNP", "NNPS")
ADJECTIVES = ("JJ", "JJR", "JJS")
#: (token text, fine-grained tag) of each token, as spaCy's `[(t.text, t.tag_) for t in nlp(text)]`.
Tagger = Callable[[str], list[tuple[str, str]]]
Tokenizer = Callable[[str], list[str]]


def pre_caption(caption: str, max_words: int = MAX_WORDS) -> str:
    """BLIP's pre_caption as ARO copies it: lower case, .!"()*#:; and ~ to spaces, spaces collapsed, stripped,
    cut to `max_words` words."""
    caption = re.sub(r"([.!\"()*#:;~])", " ", caption.lower())
    caption = re.sub(r"\s{2,}", " ", caption)
    caption = caption.rstrip("\n").strip(" ")
    words = caption.split(" ")
    return " ".join(words[:max_words]) if len(words) > max_words else caption


def trigrams(tokens: list[str]) -> list[list[str]]:
    """The tokens in consecutive groups of three (the last one shorter), as TextShuffler.get_trigrams."""
    return [tokens[i:i + 3] for i in range(0, len(tokens), 3)]


@dataclass
class Shuffler:
    tag: Tagger
    tokenize: Tokenizer
    numpy_state: np.random.RandomState
    python_state: random.Random

    @classmethod
    def seeded(cls, tag: Tagger, tokenize: Tokenizer, seed: int = SEED) -> Shuffler:
        return cls(tag, tokenize, np.random.RandomState(seed), random.Random(seed))

    def options(self, caption: str) -> list[str]:
        """The true caption and its four perturbations, each through pre_caption, in the authors' order."""
        perturbed = [self.nouns_and_adjectives(caption), self.all_but_nouns_and_adjectives(caption),
                     self.within_trigrams(caption), self.trigrams(caption)]
        return [pre_caption(text) for text in (caption, *perturbed)]

    def nouns_and_adjectives(self, text: str) -> str:
        tagged = self.tag(text)
        tokens = np.array([token for token, _ in tagged])
        nouns = [i for i, (_, tag) in enumerate(tagged) if tag in NOUNS]
        adjectives = [i for i, (_, tag) in enumerate(tagged) if tag in ADJECTIVES]
        tokens[nouns] = self.numpy_state.permutation(tokens[nouns])
        tokens[adjectives] = self.numpy_state.permutation(tokens[adjectives])
        return " ".join(tokens)

    def all_but_nouns_and_adjectives(self, text: str) -> str:
        tagged = self.tag(text)
        tokens = np.array([token for token, _ in tagged])
        others = np.ones(tokens.shape[0])
        others[[i for i, (_, tag) in enumerate(tagged) if tag in NOUNS + ADJECTIVES]] = 0
        others = others.astype(bool)
        tokens[others] = self.numpy_state.permutation(tokens[others])
        return " ".join(tokens)

    def within_trigrams(self, text: str) -> str:
        groups = trigrams(self.tokenize(text))
        for group in groups:
            self.python_state.shuffle(group)
        return " ".join(" ".join(group) for group in groups)

    def trigrams(self, text: str) -> str:
        groups = trigrams(self.tokenize(text))
        self.python_state.shuffle(groups)
        return " ".join(" ".join(group) for group in groups)


INSTALL = ("pip install spacy nltk, then `python -m spacy download en_core_web_sm` and "
           "`python -c \"import nltk; nltk.download('punkt')\"` (the tools the authors' perturbations use)")


def spacy_nltk() -> tuple[Tagger, Tokenizer]:
    """spaCy's en_core_web_sm tagger and NLTK's word_tokenize, as the authors' TextShuffler uses them."""
    try:
        import nltk
        import spacy
    except ImportError as exc:
        raise MissingDependencyError(f"ARO's order perturbations need {exc.name}: {INSTALL}") from None
    try:
        nlp = spacy.load("en_core_web_sm")
        nltk.word_tokenize("a check")
    except (OSError, LookupError) as exc:
        raise MissingDependencyError(f"ARO's order perturbations: {str(exc).splitlines()[0]}; {INSTALL}") from None
    return (lambda text: [(token.text, token.tag_) for token in nlp(text)]), nltk.word_tokenize


def missing_tools() -> str | None:
    """Why the default tools cannot run here (None when they can), without loading the tagger."""
    import importlib.util

    absent = [name for name in ("spacy", "nltk", "en_core_web_sm") if importlib.util.find_spec(name) is None]
    return f"needs {', '.join(absent)}: {INSTALL}" if absent else None
