"""Lesson images: verified mirror, clear errors, packaged photo, stand-in."""

import shutil

import numpy as np
import pytest

from neural_style import data
from neural_style.errors import NeuralStyleError


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "cache_dir", lambda: tmp_path / "cache")
    return tmp_path


def test_mirror_is_used_and_verified(empty_cache, monkeypatch):
    import os

    mirror = os.environ["NEURAL_STYLE_DATA"]
    assert data.path("shipwreck").parent == type(data.path("shipwreck"))(mirror)
    bad = empty_cache / "mirror"
    bad.mkdir()
    (bad / "shipwreck.jpg").write_bytes(b"not the painting")
    monkeypatch.setenv("NEURAL_STYLE_DATA", str(bad))
    monkeypatch.setattr(data, "_download", lambda img, dest: (_ for _ in ()).throw(OSError("offline")))
    with pytest.warns(UserWarning, match="sha256 does not match"):
        with pytest.raises(NeuralStyleError, match="shipwreck.*NEURAL_STYLE_DATA"):
            data.path("shipwreck")


def test_cache_is_preferred(empty_cache, monkeypatch):
    src = data.path("tubingen")
    (empty_cache / "cache").mkdir()
    shutil.copy(src, empty_cache / "cache" / "tubingen.jpg")
    monkeypatch.delenv("NEURAL_STYLE_DATA")
    assert data.path("tubingen") == empty_cache / "cache" / "tubingen.jpg"


def test_manifest_matches_files():
    for name, img in data.MANIFEST.items():
        p = data.path(name)
        assert data._sha256(p) == img.sha256 and img.url.endswith(img.filename)
        assert img.credit and img.licence


def test_unknown_name():
    with pytest.raises(NeuralStyleError, match="unknown image name 'mona_lisa'.*starry_night"):
        data.path("mona_lisa")


def test_packaged_photo_needs_no_download(empty_cache, monkeypatch):
    monkeypatch.delenv("NEURAL_STYLE_DATA")
    img = data.load("grace_hopper")
    assert img.shape == (600, 512, 3)


def test_stand_in_with_notice(empty_cache, monkeypatch, capsys):
    monkeypatch.delenv("NEURAL_STYLE_DATA")
    monkeypatch.setattr(data, "_download", lambda img, dest: (_ for _ in ()).throw(OSError("offline")))
    with pytest.raises(NeuralStyleError, match="unreachable"):
        data.load("starry_night")
    img = data.load("starry_night", size=128, stand_in_ok=True)
    assert max(img.shape[:2]) == 128 and img.dtype == np.uint8 and img.std() > 10
    assert "stand-in 'topobathy'" in capsys.readouterr().err
