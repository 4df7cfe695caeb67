"""Synthetic captions for the sample writers (demo, tests, `longbench bench`): COCO-style short sentences and
Urban1k-style long descriptions, from a generator that depends only on (seed, salt).

Registers nothing.
"""

from __future__ import annotations

import numpy as np

#: (preposition, place)
_PLACES = (("in", "a narrow street in an old European town"), ("at", "a crowded train station"),
           ("in", "a quiet harbour at dawn"), ("in", "a small kitchen with tiled walls"),
           ("in", "a city park in late autumn"), ("in", "a busy market square"),
           ("on", "a mountain road after the rain"), ("in", "a university library reading room"),
           ("on", "a beach at sunset"), ("in", "a parking lot behind a supermarket"))
_THINGS = ("a red bicycle", "a woman in a yellow raincoat", "two children holding balloons", "a black dog",
           "a delivery van", "a wooden bench", "a street lamp", "a man carrying a blue backpack",
           "a stack of old books", "a white sailboat", "a green umbrella", "a shop sign with gold letters",
           "an elderly couple", "a traffic light", "a row of potted plants", "a cyclist in a grey helmet")
_WHERE = ("on the left side of the image", "in the foreground", "near the centre", "in the background",
          "on the right", "partly hidden behind a tree", "at the bottom edge of the frame", "under an awning")
_ACTIONS = ("is leaning against a brick wall", "is waiting at the crossing", "is looking towards the camera",
            "casts a long shadow on the pavement", "is partly out of focus", "stands next to a parked car",
            "is reflected in a shop window", "is half covered by a striped canvas")
_DETAILS = ("The light is soft and comes from the upper left.", "The sky is overcast and pale grey.",
            "Several windows above the shops have their shutters closed.",
            "The pavement is still wet and reflects the street lights.",
            "A faint sign in the distance reads \"OPEN\" in red letters.",
            "The colours are muted, dominated by browns and greys.",
            "There is no text visible apart from a small street number, 42, above a door.")


def _sentence(rng: np.random.Generator) -> str:
    thing, where, action = (str(rng.choice(options)) for options in (_THINGS, _WHERE, _ACTIONS))
    if rng.random() < 0.25:
        return str(rng.choice(_DETAILS))
    return f"{where[0].upper()}{where[1:]}, {thing} {action}."


def short_caption(rng: np.random.Generator) -> str:
    """A COCO/Flickr-style one-sentence caption (8-20 words)."""
    thing, action = str(rng.choice(_THINGS)), str(rng.choice(_ACTIONS))
    preposition, place = _PLACES[int(rng.integers(len(_PLACES)))]
    return f"{thing[0].upper()}{thing[1:]} {action} {preposition} {place}."


def distinct_short_captions(rng: np.random.Generator, n: int) -> list[str]:
    """n captions like short_caption's, all different while the 32,000 combinations last (COCO's captions are
    almost all different; repeated ones are exact ties, which tools break differently). Most carry one more clause."""
    clauses = ("", *(f", {where}" for where in _WHERE), *(f", next to {thing}" for thing in _THINGS))
    shape = (len(_THINGS), len(_ACTIONS), len(_PLACES), len(clauses))
    space = int(np.prod(shape))
    out = []
    for t, a, p, c in zip(*np.unravel_index(rng.choice(space, size=n, replace=n > space), shape), strict=True):
        thing, (preposition, place) = _THINGS[t], _PLACES[p]
        out.append(f"{thing[0].upper()}{thing[1:]} {_ACTIONS[a]} {preposition} {place}{clauses[c]}.")
    return out


def long_caption(rng: np.random.Generator, min_words: int = 80, max_words: int = 220) -> str:
    """A Urban1k/ShareGPT4V-style detailed description of roughly `min_words`..`max_words` words."""
    target = int(rng.integers(min_words, max_words + 1))
    sentences = [f"The image shows {_PLACES[int(rng.integers(len(_PLACES)))][1]}."]
    while sum(len(s.split()) for s in sentences) < target:
        sentences.append(_sentence(rng))
    return " ".join(sentences)


def sample_rng(seed: int, salt: str) -> np.random.Generator:
    """A generator that depends only on (seed, salt), so each writer is deterministic and independent."""
    return np.random.default_rng([seed, *salt.encode()])
