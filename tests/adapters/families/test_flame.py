"""FLAME is listed with the precise reason it is not loaded (its authors' text embedding depends on the batch in their
COCO/Flickr30k evaluation, the LLM is unpinned, the checkpoint layout unread)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from longbench.adapters import MODELS, load_model
from longbench.cli import app
from longbench.errors import CheckpointError


def test_flame_is_listed_and_refused_with_its_reason():
    spec = MODELS.get("flame-B-16-cc3m")
    assert (spec.licence, spec.context_length, spec.resolution) == ("CC-BY-4.0", 1024, 224)
    with pytest.raises(CheckpointError, match="depends on the longest caption in its batch"):
        load_model("flame-B-16-cc3m")
    result = CliRunner().invoke(app, ["models"], env={"COLUMNS": "300"})
    assert "flame-B-16-cc3m: not loadable" in result.output
