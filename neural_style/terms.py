"""The optional training terms of the style networks, beside the perceptual loss: video
stability, and three against flat or glowing blobs.  Each is a per-image function (B,) that
its test checks against numpy, and one entry of ``TERMS``, which builds it into the
trainer (``perceptual.style_trainer``) from what the trainer has seen (``Seen``).  Adding a
term: its function and builder here, its weight as a ``TrainConfig`` field and its help in
``config.OPTIONAL_TERMS`` (validation, the ``train`` option and the logged losses follow).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from neural_style.backend import keras, ops


class Seen(NamedTuple):
    """What a term may be built from: the network, its output convolution (Conv2D, tanh),
    the photo input and the network's result (B, H, W, 3) RGB 0..255, the output
    convolution's input features (B, H, W, C), and the style-weights input ([] or [(B, n)])."""

    net: object
    conv: object
    photo: object
    out: object
    feats: object
    extra: list


STABILITY_MARGIN = 8  # px


def stability_b(net, photo, out, motion, noise, style_weights=None):
    """Per-image output-level temporal loss (Ruder et al. 2016 and ReCoNet, Gao et al.
    2018, with the motion known exactly): the photo moved by ``motion`` (B, 8; keras'
    projective form, output to input; ``kinds.style.motion``'s whole-pixel moves) plus
    ``noise`` is the next frame; its result should be the result ``out`` = net(photo)
    moved the same way.  Mean |difference| over the pixels the motion keeps, 0..255
    units, (B,).  Nearest-neighbour sampling: a whole-pixel move is then exact (no blur
    that would reward flat results).  The border the move uncovers is filled by reflection
    so the network sees a plausible frame; pixels within ``STABILITY_MARGIN`` of either
    frame's edge are left out of the mean, since what the network paints there depends on
    what lies beyond the edge, which the two frames do not share."""
    warp = keras.ops.image.affine_transform
    moved = warp(photo, motion, interpolation="nearest", fill_mode="reflect") + noise
    m = STABILITY_MARGIN
    inner = ops.pad(ops.ones_like(photo[:, m:-m, m:-m, :1]), ((0, 0), (m, m), (m, m), (0, 0)))
    # away from the edges of both frames
    kept = inner * warp(inner, motion, interpolation="nearest")
    moved_out = net([moved, style_weights]) if style_weights is not None else net(moved)
    diff = ops.abs(moved_out - warp(out, motion, interpolation="nearest")) * kept
    return ops.sum(diff, axis=(1, 2, 3)) / (3 * ops.sum(kept, axis=(1, 2, 3)) + 1.0)


SATURATION_LIMIT = (
    2.0  # tanh(2) = 0.964: 250.3 of 255 levels; beyond it tanh passes back under 7% of a gradient
)


def saturation_b(z, limit=SATURATION_LIMIT):
    """Per-image mean of how far the output layer's tanh input ``z`` (B, H, W, 3) goes
    beyond +-``limit`` (B,).  Where tanh saturates its gradient vanishes: a pixel pushed
    there early in training gets no pull back from the style or content loss and stays a
    flat, saturated blob.  Nearly free to meet: past ``limit`` the picture changes by
    under 5 levels."""
    return ops.mean(ops.relu(ops.abs(z) - limit), axis=(1, 2, 3))


SPIKE_LIMIT = (
    6.0  # times the image's mean feature magnitude; before the residual blocks no pixel reaches it
)


def spikes_b(feats, limit=None):
    """Per-image mean of how far each pixel's feature magnitude (root mean square over the
    channels of ``feats`` (B, H, W, C), the output layer's input) goes beyond ``limit``
    times the image's mean magnitude (B,).  Instance normalisation lets a network shift a
    whole image's statistics with a spike at a few pixels, which it paints as a glowing
    flat blob (the "droplets" of Karras et al. 2020); this term makes the spike cost."""
    limit = SPIKE_LIMIT if limit is None else limit
    magnitude = ops.sqrt(ops.mean(ops.square(feats), axis=-1) + 1e-6)
    ratio = magnitude / ops.mean(magnitude, axis=(1, 2), keepdims=True)
    return ops.mean(ops.relu(ratio - limit), axis=(1, 2))


GLOW_POOL = 8  # px: the scale of a blob, far above a stroke's
GLOW_MARGIN = 40.0  # levels of luma a painting may brighten a region by before it counts


def glow_b(photo, out, pool=GLOW_POOL, margin=GLOW_MARGIN):
    """Per-image mean of how far the result ``out`` is brighter than the ``photo`` (both
    (B, H, W, 3) RGB 0..255), in luma averaged over ``pool`` x ``pool`` px, beyond ``margin``
    levels (B,).  A glowing blob is a region far brighter than the photo there; strokes and
    a painting's own colours stay within the margin at that scale."""
    weights = ops.convert_to_tensor(np.float32([0.299, 0.587, 0.114]))
    brighter = ops.sum((out - photo) * weights, axis=-1, keepdims=True)
    regions = keras.ops.average_pool(brighter, pool, strides=pool, padding="valid")
    return ops.mean(ops.relu(regions - margin), axis=(1, 2, 3))


def _stability(seen):
    motion, noise = (
        keras.Input((8,), name="motion"),
        keras.Input(seen.net.inputs[0].shape[1:], name="noise"),
    )
    args = [seen.photo, seen.out, motion, noise, *seen.extra]
    term = keras.layers.Lambda(lambda t: stability_b(seen.net, *t)[:, None], name="stability_term")(
        args
    )
    return term, [motion, noise]


def _saturation(seen):
    conv = seen.conv
    z = keras.layers.Lambda(
        lambda f: ops.conv(f, conv.kernel, padding="same") + conv.bias, name="tanh_input"
    )(seen.feats)
    return keras.layers.Lambda(lambda t: saturation_b(t)[:, None], name="saturation_term")(z), []


def _spikes(seen):
    return keras.layers.Lambda(lambda f: spikes_b(f)[:, None], name="spikes_term")(seen.feats), []


def _glow(seen):
    return keras.layers.Lambda(lambda t: glow_b(*t)[:, None], name="glow_term")(
        [seen.photo, seen.out]
    ), []


# name -> builder: Seen -> (the term (B, 1), the inputs it adds); the names are
# config.OPTIONAL_TERMS'
TERMS = {"stability": _stability, "saturation": _saturation, "spikes": _spikes, "glow": _glow}
