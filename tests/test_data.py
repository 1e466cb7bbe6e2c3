"""Lesson images: shipped in data/, verified, then cache, mirror, download; clear errors."""

import hashlib
import shutil

import numpy as np
import pytest

from neural_style import data
from neural_style.errors import NeuralStyleError


@pytest.fixture
def nothing_shipped(tmp_path, monkeypatch):
    """No shipped images, an empty cache, no mirror, no network."""
    monkeypatch.setattr(data, "shipped_dir", lambda: tmp_path / "data")
    monkeypatch.setattr(data, "cache_dir", lambda: tmp_path / "cache")
    monkeypatch.delenv("NEURAL_STYLE_DATA", raising=False)
    monkeypatch.setattr(
        data, "_download", lambda img, dest: (_ for _ in ()).throw(OSError("offline"))
    )
    return tmp_path


def test_shipped_images_need_no_network_nor_settings(monkeypatch):
    monkeypatch.delenv("NEURAL_STYLE_DATA", raising=False)
    monkeypatch.setattr(data, "_download", lambda img, dest: pytest.fail("downloaded"))
    for name, img in data.MANIFEST.items():
        p = data.path(name)
        assert p == data.shipped_dir() / img.filename
        assert hashlib.sha256(p.read_bytes()).hexdigest() == img.sha256
        assert img.url.endswith(img.filename) and img.credit and img.licence


def test_sha256sums_file_agrees_with_manifest():
    sums = dict(
        line.split()[::-1] for line in (data.shipped_dir() / "SHA256SUMS").read_text().splitlines()
    )
    assert sums == {img.filename: img.sha256 for img in data.MANIFEST.values()}


def test_mirror_is_used_and_verified(nothing_shipped, monkeypatch):
    mirror = nothing_shipped / "mirror"
    mirror.mkdir()
    shutil.copy(data.Path(data.__file__).parents[1] / "data" / "shipwreck.jpg", mirror)
    monkeypatch.setenv("NEURAL_STYLE_DATA", str(mirror))
    assert data.path("shipwreck") == mirror / "shipwreck.jpg"
    (mirror / "shipwreck.jpg").write_bytes(b"not the painting")
    with pytest.warns(UserWarning, match="sha256 does not match"):
        with pytest.raises(NeuralStyleError, match="shipwreck.*NEURAL_STYLE_DATA"):
            data.path("shipwreck")


def test_damaged_shipped_file_falls_back_to_cache(nothing_shipped):
    src = data.Path(data.__file__).parents[1] / "data" / "tubingen.jpg"
    (nothing_shipped / "data").mkdir()
    (nothing_shipped / "data" / "tubingen.jpg").write_bytes(src.read_bytes()[:-10])  # damaged
    (nothing_shipped / "cache").mkdir()
    shutil.copy(src, nothing_shipped / "cache" / "tubingen.jpg")
    assert data.path("tubingen") == nothing_shipped / "cache" / "tubingen.jpg"


def test_missing_everywhere_is_one_clear_error(nothing_shipped):
    with pytest.raises(NeuralStyleError, match="cannot get 'the_scream'.*set NEURAL_STYLE_DATA"):
        data.path("the_scream")


def test_unknown_name():
    with pytest.raises(NeuralStyleError, match="unknown image name 'mona_lisa'.*starry_night"):
        data.path("mona_lisa")


def test_packaged_photo_needs_no_download(nothing_shipped):
    img = data.load("grace_hopper")
    assert img.shape == (600, 512, 3)


def test_stand_in_with_notice(nothing_shipped, capsys):
    with pytest.raises(NeuralStyleError, match="unreachable"):
        data.load("starry_night")
    img = data.load("starry_night", size=128, stand_in_ok=True)
    assert max(img.shape[:2]) == 128 and img.dtype == np.uint8 and img.std() > 10
    assert "stand-in 'topobathy'" in capsys.readouterr().err
