"""The TULIP backend: `tulip:ARCH[@TAG][#VARIANT]` loads a TULIP checkpoint (loading.py) as the base CLIP's image
tower and one of TULIP's relative-position text towers (towers.py), behind the model protocol (adapter.py).
"""

from __future__ import annotations

from . import loading  # noqa: F401 -- imported for the prefix it registers
