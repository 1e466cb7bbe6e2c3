"""Lesson preprocessing, and loading and saving of image files."""

import io
import os

import numpy as np
import pytest
from bad_files import BAD_FILES
from PIL import Image

from neural_style.errors import NeuralStyleError
from neural_style.images import deproc, load_image, preproc, resize, rn_mean, save_image


def test_lesson_values():
    np.testing.assert_allclose(rn_mean, [123.68, 116.779, 103.939], rtol=1e-6)
    x = np.array([[[[200.0, 100.0, 50.0]]]], np.float32)
    # subtract the RGB mean, then reverse to BGR
    np.testing.assert_allclose(
        preproc(x)[0, 0, 0], [50 - 103.939, 100 - 116.779, 200 - 123.68], rtol=1e-5
    )


def test_preproc_deproc_round_trip(rng):
    x = rng.integers(0, 256, size=(1, 6, 5, 3)).astype(np.float32)
    p = preproc(x)
    np.testing.assert_allclose(deproc(p.reshape(-1), x.shape), x, atol=1e-4)


def test_deproc_clips():
    x = np.full((1, 1, 1, 3), 1000.0)
    assert deproc(x, x.shape).max() == 255
    assert deproc(-x, x.shape).min() == 0


def _save(tmp_path, name, im, **kw):
    p = tmp_path / name
    im.save(p, **kw)
    return p


@pytest.mark.parametrize(
    "mode, fmt",
    [
        ("RGBA", "png"),
        ("LA", "png"),
        ("L", "png"),
        ("L", "jpeg"),
        ("P", "png"),
        ("CMYK", "jpeg"),
        ("1", "png"),
    ],
)
def test_modes_give_rgb(tmp_path, mode, fmt):
    im = Image.new("RGB", (40, 30), (10, 200, 30)).convert(mode)
    arr = load_image(_save(tmp_path, f"x.{fmt}", im))
    assert arr.shape == (30, 40, 3) and arr.dtype == np.uint8


def test_alpha_dropped_keeps_colour(tmp_path):
    im = Image.new("RGBA", (8, 8), (255, 0, 0, 0))
    arr = load_image(_save(tmp_path, "a.png", im))
    assert (arr == [255, 0, 0]).all()


def test_16_bit_png_scaled(tmp_path):
    a = np.full((8, 8), 65535, np.uint16)
    a[0, 0] = 0
    arr = load_image(_save(tmp_path, "deep.png", Image.fromarray(a)))
    assert arr[1, 1].tolist() == [255, 255, 255] and arr[0, 0].tolist() == [0, 0, 0]


def test_exif_rotation_applied(tmp_path):
    im = Image.new("RGB", (40, 20), (0, 0, 255))
    im.paste((255, 0, 0), (0, 0, 20, 20))  # left half red, right half blue
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display: the left half becomes the top
    arr = load_image(_save(tmp_path, "rot.jpg", im, exif=exif)).astype(int)
    assert arr.shape == (40, 20, 3)
    top, bottom = arr[4:16].mean(axis=(0, 1)), arr[24:36].mean(axis=(0, 1))
    assert top[0] > 200 > top[2] and bottom[2] > 200 > bottom[0]


def test_animated_gif_first_frame(tmp_path):
    frames = [Image.new("RGB", (32, 32), c) for c in [(255, 0, 0), (0, 255, 0)]]
    p = tmp_path / "anim.gif"
    frames[0].save(p, save_all=True, append_images=frames[1:])
    with pytest.warns(UserWarning, match="first frame"):
        arr = load_image(p)
    assert arr[0, 0, 0] > 200 and arr[0, 0, 1] < 50


def test_path_with_spaces_and_non_ascii(tmp_path):
    p = _save(tmp_path, "mé tro ñ.png", Image.new("RGB", (33, 34)))
    assert load_image(p).shape == (34, 33, 3)


@pytest.mark.parametrize("make, message", BAD_FILES)
def test_bad_files_clear_error(tmp_path, make, message):
    p = make(tmp_path)
    with pytest.raises(NeuralStyleError, match=message) as e:
        load_image(p)
    assert str(p) in str(e.value)


def test_truncated_jpeg(tmp_path):
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)).save(
        buf, "jpeg"
    )
    p = tmp_path / "cut.jpg"
    p.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(NeuralStyleError, match="truncated"):
        load_image(p)


def test_resize_by_size_and_factor():
    a = np.zeros((640, 1024, 3), np.uint8)
    assert resize(a, size=512).shape == (320, 512, 3)
    # the lesson: np.divide(style.size, 3.5).astype('int32')
    assert resize(a, factor=3.5).shape == (182, 292, 3)
    with pytest.raises(NeuralStyleError, match="size=0"):
        resize(a, size=0)


def test_save_image_atomic_and_exact(tmp_path, rng):
    img = rng.integers(0, 256, (20, 30, 3)).astype(np.uint8)
    p = save_image(tmp_path / "sub" / "out.png", img[None].astype(np.float32))
    np.testing.assert_array_equal(np.asarray(Image.open(p)), img)
    assert [f.name for f in p.parent.iterdir()] == ["out.png"]  # no temporary left


def test_save_image_bytescale(tmp_path):
    img = np.linspace(10, 20, 3 * 4 * 3).reshape(3, 4, 3)
    a = np.asarray(Image.open(save_image(tmp_path / "b.png", img, bytescale=True)))
    assert a.min() == 0 and a.max() == 255


def test_save_image_refuses_nan_and_leaves_nothing(tmp_path):
    img = np.full((4, 4, 3), np.nan)
    with pytest.raises(NeuralStyleError, match="NaN"):
        save_image(tmp_path / "n.png", img)
    assert os.listdir(tmp_path) == []


def test_back_project_removes_a_colour_cast_exactly_and_gives_back_the_input():
    from neural_style import data
    from neural_style.images import _resize_float, back_project

    hi = data.load("tubingen", size=128).astype(np.float32) * 0.5 + 60  # mid-range: nothing clips
    low = _resize_float(hi, (32, 24))
    # resizing is linear and keeps constants, so a uniform cast passes through and cancels
    cast = hi + np.array([40.0, -20.0, 10.0], np.float32)
    np.testing.assert_allclose(back_project(cast, low), back_project(hi, low), atol=1)
    # blurred detail: scaled down, the corrected result is the input again, to bicubic's
    # accuracy, and far closer than before the correction
    blurred = _resize_float(_resize_float(hi, (64, 48)), (128, 96)) * 0.8 + 30
    before = np.abs(_resize_float(blurred, (32, 24)) - low).mean()
    after = np.abs(
        _resize_float(back_project(blurred, low).astype(np.float32), (32, 24)) - low
    ).mean()
    assert after < before / 5, (before, after)
