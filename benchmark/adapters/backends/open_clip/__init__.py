"""The open_clip backend: any open_clip CLIP, CustomTextCLIP or CoCa as a `ClipAdapter` (adapter.py), with its text
tower at any width (text_tower.py) and its own tokenizer (tokenizers.py). Models come from open_clip names and
folders (loading.py), from checkpoint files of the OpenAI/open_clip/Long-CLIP layout (build.py) or stretched on the
fly (stretched.py).
"""

from __future__ import annotations

from . import build, loading, stretched  # noqa: F401 -- imported for the prefixes and layouts they register
