"""ARO's COCO-Order / Flickr30k-Order options against the authors' own code (tests/fixtures/compositional/
aro_authors.py), both run with the same stand-ins for spaCy's tagger and NLTK's tokenizer (neither is installable
offline), after the seeding main_aro.py does."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import types
from pathlib import Path

import pytest

from longbench.datasets import LoadOptions
from longbench.errors import MissingDependencyError
from longbench.tasks import get_task
from longbench.tasks.aro_order import OrderTask
from longbench.tasks.aro_perturbations import SEED, Shuffler, pre_caption, spacy_nltk

FIXTURE = Path(__file__).parent.parent / "fixtures" / "compositional" / "aro_authors.py"
_TOKENS = re.compile(r"\w+|[^\w\s]")
_ADJECTIVES = {"red", "small", "large", "white", "black", "old", "wooden", "yellow", "green", "crowded", "narrow",
               "quiet", "busy", "blue", "grey", "tiled", "long", "elderly"}


def _tag(word: str) -> str:
    """A stand-in tagger: some nouns, adjectives and others, deterministic."""
    if word.lower() in _ADJECTIVES:
        return "JJ"
    if word.endswith("s") and len(word) > 3:
        return "NNS"
    if len(word) > 4 and word.isalpha():
        return "NN"
    return "DT" if word.isalpha() else "."


def fake_tag(text: str) -> list[tuple[str, str]]:
    return [(token, _tag(token)) for token in _TOKENS.findall(text)]


def fake_tokenize(text: str) -> list[str]:
    return text.replace(",", " ,").split()


@pytest.fixture
def authors(monkeypatch):
    """The authors' module, importing stand-in `spacy` and `nltk` modules."""
    token = types.SimpleNamespace
    spacy = types.ModuleType("spacy")
    spacy.load = lambda name: (lambda text: [token(text=t, tag_=tag) for t, tag in fake_tag(text)])
    nltk = types.ModuleType("nltk")
    nltk.word_tokenize = fake_tokenize
    monkeypatch.setitem(sys.modules, "spacy", spacy)
    monkeypatch.setitem(sys.modules, "nltk", nltk)
    spec = importlib.util.spec_from_file_location("aro_authors", FIXTURE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CAPTIONS = [
    "A man with a red helmet on a small moped on a dirt road. ",
    "Man riding a motor bike on a dirt road on the countryside.",
    "A woman in a yellow raincoat is waiting at the crossing; two children hold balloons!",
    "an old wooden bench (in a quiet harbour) at dawn",
    "Stacks of books, a green umbrella and a traffic light: the street is busy ~ and narrow",
    "Dog.",
]


def test_options_equal_the_authors_test_cases(authors):
    annotation = [{"image": f"val2014/{i}.jpg", "caption": CAPTIONS[i::2]} for i in range(2)]
    authors.seed_all(SEED)  # main_aro.py: seed_all(args.seed), --seed 1 by default
    expected = [case["caption_options"] for case in authors.order_test_cases(annotation)]
    shuffler = Shuffler.seeded(fake_tag, fake_tokenize)
    mine = [shuffler.options(caption) for ann in annotation for caption in ann["caption"]]
    assert mine == expected
    assert any(len(set(options)) == 5 for options in mine)


def test_pre_caption_is_the_authors(authors):
    for caption in [*CAPTIONS, " x " * 40, "A\n", "dots...and~tildes"]:
        assert pre_caption(caption) == authors.pre_caption(caption, 30)


def test_the_task_perturbs_every_karpathy_test_sentence_in_order(tmp_path, monkeypatch, authors):
    monkeypatch.setattr(OrderTask, "tools", staticmethod(lambda: (fake_tag, fake_tokenize)))
    task = get_task("aro-coco-order")
    task.write_sample(tmp_path / "aro", 4)
    karpathy = json.loads((tmp_path / "coco" / "dataset_coco.json").read_text())
    annotation = [{"image": f"{e['filepath']}/{e['filename']}", "caption": [s["raw"] for s in e["sentences"]]}
                  for e in karpathy["images"] if e["split"] == "test"]
    authors.seed_all(SEED)
    expected = [case["caption_options"] for case in authors.order_test_cases(annotation)]
    data = task.load(tmp_path / "aro", LoadOptions())
    assert [[data.texts[i] for i in row] for row in data.item_texts] == expected
    assert len(data.item_ids) == sum(len(a["caption"]) for a in annotation) and data.rule == "first_argmax"
    # --limit keeps the first items of the same stream: the random state ran over every caption first.
    limited = task.load(tmp_path / "aro", LoadOptions(limit=3))
    assert [[limited.texts[i] for i in row] for row in limited.item_texts] == expected[:3]
    status = task.status(tmp_path / "aro")
    assert status.found == {"items": len(expected), "images": 4}


def test_without_spacy_the_task_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "spacy", None)
    with pytest.raises(MissingDependencyError, match="en_core_web_sm"):
        spacy_nltk()
    if importlib.util.find_spec("en_core_web_sm") is None:
        assert "en_core_web_sm" in get_task("aro-flickr30k-order").unavailable()
