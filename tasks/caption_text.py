"""How the reference code cleans a caption before tokenizing it: Long-CLIP's one-line rule and LoTLIP's sentences.

Registers nothing.
"""

from __future__ import annotations

import re


def one_line(text: str) -> str:
    """Strip and replace each newline by a space (Long-CLIP's `.replace("\\n", " ")`, CRLF counted once)."""
    return text.strip().replace("\r\n", "\n").replace("\r", "\n").replace("\n", " ")


def lotlip_caption(text: str) -> str:
    """LoTLIP's `split_caption` re-joined with ". " (its DCI and IIW loaders; FLAIR's too), side effects included.

    Every newline, `</s>` and period is a sentence break: pieces are stripped, empty ones dropped, and the rest
    joined with ". ". So the final period disappears and "3.5" becomes "3. 5", exactly as in the reference code.
    """
    return ". ".join(piece.strip() for piece in _LOTLIP_BREAKS.split(text) if piece.strip())


_LOTLIP_BREAKS = re.compile(r"\n|</s>|[.]")
