"""The ProLIP backend: ProLIP and LongProLIP checkpoints (naver-ai/prolip) in their authors' Hub layout, read without
their code: config.py (the config.json), towers.py (the two towers), tokenizer.py (their HFTokenizer), model.py (the
model protocol), loading.py (the `prolip:` prefix).
"""

from __future__ import annotations

from . import loading  # noqa: F401 -- imported for the prefix it registers
