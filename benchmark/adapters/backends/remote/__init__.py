"""Opt-in remote code: `hf:` checkpoints whose modelling code ships in their repository, run only when the caller
opted in and the code is pinned (loading.py), one module per family mapping the authors' calls (fgclip.py,
fgclip2.py, llm2clip.py with llm2vec_text.py).
"""

from __future__ import annotations

from . import fgclip, fgclip2, llm2clip, loading  # noqa: F401 -- imported for the families they register
