"""The loader accepts only a correct array or raises the library's own error."""

import io

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from neural_style.errors import NeuralStyleError
from neural_style.images import load_image

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _check(path):
    try:
        arr = load_image(path)
    except NeuralStyleError:
        return
    assert arr.dtype == np.uint8 and arr.ndim == 3 and arr.shape[2] == 3


@SETTINGS
@given(st.binary(max_size=2048))
def test_random_bytes(tmp_path, data):
    p = tmp_path / "random.jpg"
    p.write_bytes(data)
    _check(p)


@SETTINGS
@given(
    st.integers(1, 40),
    st.integers(1, 40),
    st.sampled_from(["RGB", "RGBA", "L", "LA", "P", "CMYK", "I;16"]),
    st.sampled_from(["png", "jpeg", "gif", "bmp", "tiff", "webp"]),
    st.integers(0, 2**32 - 1),
    st.integers(0, 64),
)
def test_random_small_images(tmp_path, w, h, mode, fmt, seed, cut):
    rgb = np.random.default_rng(seed).integers(0, 256, (h, w, 3), np.uint8)
    im = Image.fromarray(rgb).convert("L" if mode == "I;16" else mode)
    if mode == "I;16":
        im = Image.fromarray(np.asarray(im).astype(np.uint16) * 257)
    buf = io.BytesIO()
    try:
        im.save(buf, fmt)
    except (OSError, ValueError, KeyError):
        return  # that mode cannot be written in that format
    data = buf.getvalue()
    if cut:
        data = data[: max(1, len(data) - cut)]
    p = tmp_path / f"img.{fmt}"
    p.write_bytes(data)
    _check(p)
    # whole and lossless: the very pixels
    if not cut and mode == "RGB" and fmt in ("png", "bmp", "tiff"):
        np.testing.assert_array_equal(load_image(p), rgb)
