"""Zip members and crops as images: opened like files, keyed apart in the embedding cache and the fingerprint, a
bad one reported as a decoding failure."""

from __future__ import annotations

import os
import zipfile

import numpy as np
import pytest
from PIL import Image

from longbench.data.fingerprint import fingerprint
from longbench.data.image_ref import ImageRef
from longbench.data.images import open_rgb
from longbench.data.synthetic import write_image
from longbench.embedding_cache import image_fingerprints
from longbench.encode import image_identity
from longbench.fetch.verify import decode_error


def test_members_and_crops_open_as_pil_would(tmp_path):
    picture = write_image(tmp_path / "a.png", 3, size=(50, 40), mode_format=("RGBA", "PNG"))
    with zipfile.ZipFile(tmp_path / "images.zip", "w") as archive:
        archive.write(picture, "images/a.png")
    whole = np.asarray(Image.open(picture).convert("RGB"))
    assert np.array_equal(np.asarray(open_rgb(ImageRef(tmp_path / "images.zip", "images/a.png"))), whole)
    crop = ImageRef(picture, box=(5, 4, 30, 24))
    assert np.array_equal(np.asarray(open_rgb(crop)), whole[4:24, 5:30])
    # PIL pads a box reaching past the picture, as the authors' crop does.
    assert open_rgb(ImageRef(picture, box=(40, 30, 60, 50))).size == (20, 20)


def test_keys_and_fingerprints_tell_boxes_and_members_apart(tmp_path):
    picture = write_image(tmp_path / "a.jpg", 1)
    refs = [ImageRef(picture, box=(0, 0, 10, 10)), ImageRef(picture, box=(0, 0, 10, 11)), ImageRef(picture)]
    assert len(set(image_fingerprints(refs))) == 3
    assert fingerprint(refs[:1], root=tmp_path) != fingerprint(refs[1:2], root=tmp_path)
    assert refs[0].name(tmp_path) == "a.jpg box [0, 0, 10, 10]"


def test_a_missing_member_or_bad_zip_is_a_decoding_failure(tmp_path):
    with zipfile.ZipFile(tmp_path / "images.zip", "w") as archive:
        archive.writestr("images/x.png", b"not a png")
    (tmp_path / "broken.zip").write_bytes(b"no zip")
    for ref, reason in ((ImageRef(tmp_path / "images.zip", "images/y.png"), "is not in"),
                        (ImageRef(tmp_path / "broken.zip", "images/x.png"), "not a readable zip"),
                        (ImageRef(tmp_path / "images.zip", "images/x.png"), "cannot identify")):
        with pytest.raises(OSError, match=reason):
            open_rgb(ref)
        assert reason in decode_error(ref)


def test_a_zip_rewritten_with_its_size_and_time_kept_is_other_data(tmp_path):
    """A zip member is keyed by its archive's content, as an image file is (data/digest.py): replacing images.zip by
    another of the same size and modification time changes the cache key and the fingerprint. The encoder tells
    members of one archive apart (one embedding per distinct member and box)."""
    archive = tmp_path / "images.zip"
    for pixel in (0, 255):
        with zipfile.ZipFile(archive, "w") as z:
            z.writestr("images/a.png", bytes([pixel]) * 64)
        os.utime(archive, ns=(1_000_000_000, 1_000_000_000))
        ref = ImageRef(archive, "images/a.png")
        if pixel == 0:
            size, first = archive.stat().st_size, (image_fingerprints([ref]), fingerprint([ref], root=tmp_path))
    assert archive.stat().st_size == size
    assert image_fingerprints([ref]) != first[0] and fingerprint([ref], root=tmp_path) != first[1]
    other = ImageRef(archive, "images/b.png")
    assert image_identity([ref, other, ImageRef(archive, "images/a.png")], 0) != image_identity([ref, other], 1)
    assert image_identity([ref, ImageRef(archive, "images/a.png")], 1) == image_identity([ref], 0)
