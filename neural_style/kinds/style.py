"""The lesson's real-time style network as a kind: built by ``nets.style_net``, trained
with the perceptual style loss against one style image, applied to a photo of any size."""

from __future__ import annotations

import numpy as np

from neural_style.config import OPTIONAL_TERMS
from neural_style.errors import NeuralStyleError
from neural_style.kinds import Kind, register
from neural_style.kinds.framing import larger, run

# Peak memory of one stylised image: about 3.3 float32 activations of 64 channels at the
# padded size, measured with TensorFlow on the CPU at 1024 and 2048 px (3.2x and 3.3x).
ACTIVATIONS_AT_PEAK = 3.5
PAD = 40  # the network's own reflection padding, eaten by its five res_crop_blocks


def stylise(net, image, size=None, strength=1.0, original_colors=False, weights=None, kind=None):
    """Run a trained style network on one RGB image (H, W, 3), 0..255.

    Returns uint8 (H, W, 3) of exactly the input's size.  ``size`` (longest side, px) is
    the size the network sees, which sets the stroke scale (strokes are fixed in pixels
    by training); the result is resized back.  Sides that are not multiples of 4 are
    padded by reflection and cropped back (as are sides under 44 px), never stretched.
    Training fixes how strongly a network paints; ``strength`` (0..1) fades its result
    into the photo, pixel by pixel, and ``original_colors`` keeps the photo's colours
    (the result's luminance with the photo's chroma), as the optimisation's option does.
    ``weights`` (styles,): the style weights of a many-style network, whose ``kind``
    (``kinds.multistyle``) frames it; default: this module's kind.
    """
    from neural_style import images

    if not 0 <= strength <= 1:
        raise NeuralStyleError(
            f"strength={strength!r} is not valid; give a number from 0 (the photo) to 1 (the "
            "network's result)"
        )
    image = np.asarray(image)
    h, w = image.shape[:2]
    x = images.resize(image, size=size, resample="bicubic") if size and size != max(h, w) else image
    extra = [] if weights is None else [np.asarray(weights, np.float32)[None]]
    out = images.to_uint8(run(net, x.astype(np.float32)[None], kind or KIND, *extra)[0])
    if out.shape[:2] != (h, w):
        out = images.resize(out, shape=(h, w), resample="bicubic")
    if strength < 1:
        out = images.to_uint8(strength * out + (1 - strength) * image.astype(np.float32))
    return images.original_colors(out, image) if original_colors else out


def motion(rngs, shape, shift=4, noise=0.0):
    """A small known motion per crop, as from one video frame to the next, for the
    stability term: ``(transforms (B, 8), noise (B, H, W, 3))``.  Each transform (keras'
    projective form, output to input point) moves the crop by a whole number of px, up to
    ``shift`` each way; the noise is a camera's (Gaussian, ``noise`` levels; none by default).

    Whole pixels because any other move resamples: the moved result is then a blurred
    copy of the result, and a network matched to it learns to paint nothing (flat colour
    moves exactly; strokes do not).  A whole-pixel move is exact, so strokes that move with
    the scene cost nothing, and moves of 1-3 px still cross the network's stride-4 grid.
    No noise by default for the same reason: where the photo is flat, its small variations
    are all the network has to place strokes by, and a term asking the result not to
    change with them is met by painting nothing there."""
    transforms, noises = [], []
    for rng in rngs:
        tx, ty = rng.integers(-shift, shift + 1, 2)
        transforms.append([1.0, 0.0, float(tx), 0.0, 1.0, float(ty), 0.0, 0.0])
        noises.append(rng.normal(0, noise, (*shape, 3)))
    return np.asarray(transforms, np.float32), np.asarray(noises, np.float32)


class StyleKind(Kind):
    """The real-time style network: any photo to a painting of its own size (``stylise``)."""

    name = "style"
    title = "style network"
    needs_style = True
    looks = ("strength", "original_colors")
    video = True

    def build(self, cfg):
        from neural_style import nets

        return nets.style_net(norm=cfg.norm)

    def trainer(self, net, cfg, style=None, weights="imagenet"):
        from neural_style import perceptual
        from neural_style.backend import keras

        if style is None or (isinstance(style, (list, tuple)) and not style):
            raise NeuralStyleError(f"a {self.title} needs a style image")
        terms = {term: getattr(cfg, term) for term in OPTIONAL_TERMS}
        trainer = perceptual.style_trainer(
            net, style, weights, style_weight=cfg.style_weight, **terms
        )
        metrics = {name: ["mae"] for name in ("style", "content") + self.terms(cfg)}
        trainer.compile(keras.optimizers.Adam(cfg.lr), loss={"loss": "mae"}, metrics=metrics)
        return trainer

    def batch(self, crops, cfg, first, rngs):
        # the lesson's trick: the model's output is its loss
        zeros = np.zeros((len(crops), 1), np.float32)
        targets = {"loss": zeros, "style": zeros, "content": zeros}
        inputs = (crops, crops) + self.conditions(len(crops), cfg, first)
        if cfg is not None and cfg.stability:
            inputs += motion(rngs, crops.shape[1:3])
        targets |= {name: zeros for name in self.terms(cfg)}
        return inputs, targets

    @staticmethod
    def terms(cfg):
        """The optional loss terms ``cfg`` switches on, each an output of the trainer."""
        return tuple(name for name in OPTIONAL_TERMS if cfg is not None and getattr(cfg, name))

    def conditions(self, n, cfg, first):
        """Inputs after the photo and the content target that pick the style: none here."""
        return ()

    def borders(self, h, w):
        """Bottom and right, up to a multiple of 4 (the two stride-2 convolutions) of at
        least 44 px (the network's own reflection padding of 40 px needs more than 40)."""
        # (m - n % m) % m, not -n % m: ONNX's Mod of a negative number is not Python's
        m = self.multiple
        return (
            0,
            larger(self.min_side, h + (m - h % m) % m) - h,
            0,
            larger(self.min_side, w + (m - w % m) % m) - w,
        )

    def apply(self, net, image, size=None, **looks):
        return stylise(net, image, size, **looks)

    def memory(self, height, width) -> int:
        return int(ACTIVATIONS_AT_PEAK * 64 * 4 * (height + 2 * PAD) * (width + 2 * PAD))


KIND = register(StyleKind())
