"""The reference code's caption cleaning: Long-CLIP's one-line rule and LoTLIP's sentence normalisation."""

from __future__ import annotations

import pytest

from longbench.tasks.caption_text import lotlip_caption


@pytest.mark.parametrize("text,expected", [
    # LoTLIP's split_caption + '. '.join: periods are separators, so "3.5" splits and the final period vanishes.
    ("The board is 3.5 metres long.", "The board is 3. 5 metres long"),
    ("A red door.\nIt is open.", "A red door. It is open"),
    ("Summary line\nFirst sentence. Second one.</s>Third", "Summary line. First sentence. Second one. Third"),
    ("Dots... and  spaces .\n\n  \nEnd.", "Dots. and  spaces. End"),
    ("e.g. a sign reading 'OPEN'.", "e. g. a sign reading 'OPEN'"),
    ("No break at all", "No break at all"),
    ("...\n\n", ""),
])
def test_lotlip_normalisation_reproduces_its_side_effects(text, expected):
    assert lotlip_caption(text) == expected
