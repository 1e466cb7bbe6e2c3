"""Image preprocessing as in the lesson, plus robust loading and atomic saving.

Units: "RGB" arrays are 0..255 in RGB order, shape (H, W, 3) or (1, H, W, 3);
"preprocessed" arrays are float32 BGR with the ImageNet mean removed, as VGG16 expects.
"""

from __future__ import annotations

import glob
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from neural_style.errors import NeuralStyleError
from neural_style.files import IMAGE_SUFFIXES, atomic_write

rn_mean = np.array([123.68, 116.779, 103.939], dtype=np.float32)  # ImageNet RGB mean

RESAMPLE = {
    "nearest": Image.Resampling.NEAREST,  # Pillow's default in 2017: the lesson's images
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,  # Pillow's default today
    "lanczos": Image.Resampling.LANCZOS,
}


def preproc(x):
    """RGB 0..255 -> preprocessed BGR: subtract ``rn_mean``, then reverse the channels."""
    return (x - rn_mean)[..., ::-1]


def deproc(x, shape):
    """Preprocessed BGR (any shape with ``shape``'s size) -> RGB 0..255 float, clipped."""
    return np.clip(x.reshape(shape)[..., ::-1] + rn_mean, 0, 255)


def expand(item, suffixes=IMAGE_SUFFIXES, recursive=False) -> list[Path] | None:
    """The files that a folder (those with one of ``suffixes``; ``recursive``: in its
    sub-folders too) or a glob pattern ``item`` stands for, sorted; None when ``item`` is
    neither (a file, a lesson image name, or nothing at all)."""
    path = Path(item).expanduser()
    if path.is_dir():
        walk = path.rglob("*") if recursive else path.iterdir()
        return sorted(p for p in walk if p.suffix.lower() in suffixes and p.is_file())
    if any(c in str(item) for c in "*?[") and not path.exists():
        return sorted(Path(p) for p in glob.glob(str(path), recursive=True) if Path(p).is_file())
    return None


def _resample(resample):
    if isinstance(resample, str):
        try:
            return RESAMPLE[resample]
        except KeyError:
            raise NeuralStyleError(
                f"resample={resample!r} is not valid; use one of {', '.join(RESAMPLE)}"
            ) from None
    return resample


def load_image(path, size=None, factor=None, resample="nearest") -> np.ndarray:
    """Load an image file as RGB uint8 of shape (H, W, 3).

    EXIF orientation is applied; alpha is dropped; palette, grayscale, 16-bit and CMYK
    images are converted.  An animated image gives its first frame, with a warning.

    Args:
        size: resize so that the longest side is ``size`` px (aspect kept).
        factor: resize by dividing both sides by ``factor`` (the lesson's ``size / 3.5``).
        resample: "nearest" (the lesson's 2017 Pillow default), "bilinear", "bicubic",
            "lanczos", or a Pillow constant.
    """
    path = Path(path)
    if size is not None and factor is not None:
        raise NeuralStyleError("give load_image either size or factor, not both")
    if not path.exists():
        raise NeuralStyleError(f"{path}: no such file")
    if path.is_dir():
        raise NeuralStyleError(f"{path}: is a folder, not an image file")
    try:
        with Image.open(path) as im:
            if getattr(im, "n_frames", 1) > 1:
                warnings.warn(f"{path}: animated image, using its first frame", stacklevel=2)
            im.seek(0)
            arr = rgb_array(im)
    except NeuralStyleError:
        raise
    except UnidentifiedImageError:
        raise NeuralStyleError(f"{path}: not an image file Pillow can read") from None
    except (OSError, ValueError, SyntaxError) as e:
        raise NeuralStyleError(f"{path}: damaged or truncated image ({e})") from None
    if size is not None or factor is not None:
        arr = resize(arr, size=size, factor=factor, resample=resample)
    return arr


def rgb_array(im: Image.Image) -> np.ndarray:
    """An opened Pillow image as the command reads every image: EXIF orientation applied,
    then RGB uint8 (H, W, 3) (``to_rgb``)."""
    return np.asarray(to_rgb(ImageOps.exif_transpose(im)), dtype=np.uint8)


def to_rgb(im: Image.Image) -> Image.Image:
    """Any Pillow mode as RGB: 16- and 32-bit greyscale scaled by their range (not
    clipped at 255), alpha dropped, palette, greyscale and CMYK converted."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16/32-bit grayscale: scale to 8 bits by the value range, not by clipping
        a = np.asarray(im, dtype=np.float64)
        peak = 65535.0 if im.mode.startswith("I;16") or a.max() > 255 else 255.0
        im = Image.fromarray(np.clip(a / peak * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    if im.mode == "P" and "transparency" in im.info:
        im = im.convert("RGBA")
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        # Alpha is dropped: transparent pixels keep their colour (as most tools show it).
        im = im.convert("RGBA").convert("RGB")
    return im.convert("RGB")


def scaled_shape(hw, size) -> tuple[int, int]:
    """``(h, w)`` with its longest side ``size`` px, the aspect kept (at least 1 px a side)."""
    h, w = hw
    s = size / max(h, w)
    return max(1, round(h * s)), max(1, round(w * s))


def resize(arr, size=None, factor=None, resample="nearest", shape=None) -> np.ndarray:
    """Resize RGB uint8 (H, W, 3) so the longest side is ``size``, or by 1/``factor``, or
    to exactly ``shape`` = (h, w)."""
    h, w = arr.shape[:2]
    if shape is not None:
        new = (shape[1], shape[0])
    elif size is not None:
        if not size or size <= 0:
            raise NeuralStyleError(f"size={size!r} is not valid; give a positive number of pixels")
        new = scaled_shape((h, w), size)[::-1]
    else:
        if not factor or factor <= 0:
            raise NeuralStyleError(f"factor={factor!r} is not valid; give a positive number")
        # the lesson: np.divide(style.size, 3.5).astype('int32'), i.e. truncation
        new = tuple(np.divide((w, h), factor).astype("int32").tolist())
    im = Image.fromarray(np.asarray(arr, dtype=np.uint8)).resize(new, _resample(resample))
    return np.asarray(im, dtype=np.uint8)


def bytescale(x) -> np.ndarray:
    """Stretch an array's range to 0..255 uint8, as ``scipy.misc.imsave`` did for floats."""
    x = np.asarray(x, dtype=np.float64)
    lo, hi = x.min(), x.max()
    scale = 255.0 / (hi - lo) if hi > lo else 1.0
    return np.clip((x - lo) * scale + 0.5, 0, 255).astype(np.uint8)


_bytescale = bytescale  # save_image's argument of the same name hides the function there


def to_uint8(x) -> np.ndarray:
    """RGB 0..255 float -> uint8, rounded and clipped; drops a leading batch axis."""
    x = np.asarray(x)
    if x.ndim == 4:
        x = x[0]
    if x.dtype == np.uint8:
        return x
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def save_image(path, array, bytescale=False) -> Path:
    """Save RGB 0..255 (H, W, 3) or (1, H, W, 3) atomically; format from the suffix.

    ``bytescale=True`` stretches the value range to 0..255 first, like the old
    ``scipy.misc.imsave`` did with float arrays (the lesson's saved iterations).
    """
    arr = np.asarray(array)
    if arr.ndim == 4:
        arr = arr[0]
    if arr.ndim != 3 or arr.shape[-1] != 3:
        raise NeuralStyleError(f"{path}: expected an (H, W, 3) RGB array, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise NeuralStyleError(f"{path}: refusing to save an image with NaN or infinite values")
    img = _bytescale(arr) if bytescale else to_uint8(arr)
    return atomic_write(path, lambda tmp: Image.fromarray(img).save(tmp, format=_format(path)))


def _format(path) -> str:
    ext = Path(path).suffix.lower()
    formats = Image.registered_extensions()
    if ext not in formats:
        raise NeuralStyleError(f"{path}: unknown image type {ext!r}; use .png or .jpg")
    return formats[ext]


def original_colors(result, content) -> np.ndarray:
    """Keep the content's colours: the result's luminance (Y of JPEG's YCbCr) with
    the content's chroma (Cb, Cr).  Both RGB uint8 of the same size; returns RGB uint8.

    Every RGB channel carries Y with weight 1 in the inverse transform, so swapping
    Y is adding the luminance difference to each channel: one rounding in float,
    where PIL's integer YCbCr round trip darkens the result by about one level."""
    luma = np.array([0.299, 0.587, 0.114])
    result, content = np.asarray(result, np.float64), np.asarray(content, np.float64)
    out = content + ((result - content) @ luma)[..., None]
    return to_uint8(out)


def _resize_float(x, size) -> np.ndarray:
    """Float (H, W, C) to ``size`` = (width, height), bicubic, channel by channel (no rounding)."""
    x = np.asarray(x, np.float32)
    bands = [
        Image.fromarray(np.ascontiguousarray(x[..., c]), "F").resize(size, Image.Resampling.BICUBIC)
        for c in range(x.shape[-1])
    ]
    return np.stack([np.asarray(b) for b in bands], axis=-1)


def back_project(result, low) -> np.ndarray:
    """One step of back-projection (Irani and Peleg 1991): ``result`` plus the bicubic
    upscaling of what it lacks once scaled down to ``low``'s size, so that the result,
    scaled down, gives back ``low``: its colours and shading come from the input, its
    detail from ``result``.  RGB 0..255 (H, W, 3) and a smaller (h, w, 3); returns uint8."""
    result, low = np.asarray(result, np.float32), np.asarray(low, np.float32)
    (h, w), (lh, lw) = result.shape[:2], low.shape[:2]
    missing = low - _resize_float(result, (lw, lh))
    return to_uint8(result + _resize_float(missing, (w, h)))


def downscale(batch, factor) -> np.ndarray:
    """(B, H, W, 3) RGB float32 -> (B, H/factor, W/factor, 3), bicubic: a low-res input."""
    h, w = batch.shape[1:3]
    return np.stack(
        [
            resize(to_uint8(img), shape=(h // factor, w // factor), resample="bicubic")
            for img in batch
        ]
    ).astype(np.float32)
