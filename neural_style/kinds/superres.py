"""The lesson's 4x super-resolution network as a kind: built by ``nets.superres_net``,
trained with the perceptual content loss on (crop / 4, crop) pairs, applied to photos."""

from __future__ import annotations

import numpy as np

from neural_style.kinds import Kind, register
from neural_style.kinds.framing import run, smaller
from neural_style.kinds.style import ACTIVATIONS_AT_PEAK

# low-res px reflected around an input (border effects of the 9x9 convolutions reach ~14 px out)
PAD = 8
SCALE = 4  # two 2x upsamplings


def upscale(net, image, size=None, back_project=True):
    """Run a trained super-resolution network on one RGB image (H, W, 3), 0..255.

    Returns uint8 (4h, 4w, 3), where h x w is the image with its longest side resized to
    ``size`` px (default: the image's own size).  The input is padded by reflection
    (``PAD`` px) and the result cropped back, so that the network's zero-padded 9x9
    convolutions do not darken its borders.  ``back_project`` corrects the result so
    that, scaled down, it gives back the input (``images.back_project``): normalised by
    one image's own statistics at inference, the lesson's network cannot see the
    image's mean colour, and its colours drift; ``False`` gives the network's own output.
    """
    from neural_style import images

    image = np.asarray(image)
    if size and size != max(image.shape[:2]):
        image = images.resize(image, size=size, resample="bicubic")
    low = image.astype(np.float32)
    out = run(net, low[None], KIND)[0]
    return images.back_project(out, low) if back_project else images.to_uint8(out)


class SuperresKind(Kind):
    """The 4x super-resolution network: a photo to one four times its size (``upscale``)."""

    name = "superres"
    title = "super-resolution network"
    scale = SCALE

    def build(self, cfg):
        from neural_style import nets

        return nets.superres_net((cfg.size // SCALE, cfg.size // SCALE, 3), norm=cfg.norm)

    def trainer(self, net, cfg, style=None, weights="imagenet"):
        from neural_style import perceptual
        from neural_style.backend import keras

        trainer = perceptual.superres_trainer(net, weights)
        trainer.compile(keras.optimizers.Adam(cfg.lr), loss="mse")
        return trainer

    def batch(self, crops, cfg, first, rngs):
        from neural_style.images import downscale

        return (downscale(crops, SCALE), crops), np.zeros((len(crops), 1), np.float32)

    def borders(self, h, w):
        """``PAD`` px all round (at most side - 1: one reflection)."""
        ph, pw = smaller(PAD, h - 1), smaller(PAD, w - 1)
        return ph, ph, pw, pw

    def apply(self, net, image, size=None, **looks):
        return upscale(net, image, size, **looks)

    def apply_batch(self, net, batch, *extra):
        from neural_style import images

        out = run(net, np.asarray(batch, np.float32), self)
        return np.stack([images.back_project(y, x) for y, x in zip(out, batch)])

    def memory(self, height, width) -> int:
        """Taking the style network's count of activations at the output's size."""
        return int(ACTIVATIONS_AT_PEAK * 64 * 4 * SCALE**2 * (height + 2 * PAD) * (width + 2 * PAD))


KIND = register(SuperresKind())
