"""The lesson's losses, in ``keras.ops`` (any Keras backend).  Inputs are single
activations of shape (H, W, C) (the lesson indexes ``layer[0]`` to drop the batch axis)
unless said otherwise."""

from __future__ import annotations

import math

from neural_style.backend import ops


def _size(x) -> int:
    """Number of elements, from the static shape (known under every backend's tracing)."""
    return math.prod(ops.shape(x))


def mse(a, b):
    """Mean of the squared difference over ALL elements (Keras 1 ``metrics.mse`` on a
    flattened tensor; ``keras.losses.mean_squared_error`` reduces only the last axis)."""
    return ops.mean(ops.square(ops.subtract(a, b)))


def gram_matrix(x):
    """Gram matrix of one activation (H, W, C): F F^T / (H W C), with F of shape (C, H W)."""
    x = ops.convert_to_tensor(x)
    features = ops.reshape(x, (-1, ops.shape(x)[-1]))  # (H W, C): F^T
    return ops.matmul(ops.transpose(features), features) / _size(x)


def content_loss(x, targ):
    """MSE between an activation and its target activation, any equal shapes."""
    return mse(x, targ)


def style_loss(x, targ):
    """The lesson's ``mse(gram_matrix(x), gram_matrix(targ))``.

    Args:
        x: activation (H, W, C) of the image being optimised.
        targ: the style image's activation (H', W', C) at the same layer, as in the
            lesson, or its Gram matrix (C, C) computed once beforehand (told apart by
            rank; the recipes pass Gram matrices, which never change during a run).
    """
    targ_gram = targ if len(ops.shape(targ)) == 2 else gram_matrix(targ)
    return mse(gram_matrix(x), targ_gram)


def total_variation_loss(x):
    """Sum of squared differences between neighbouring pixels of (1, H, W, C) or (H, W, C),
    divided by the number of elements (a mean, so its scale does not grow with size)."""
    dh = x[..., 1:, :, :] - x[..., :-1, :, :]
    dw = x[..., :, 1:, :] - x[..., :, :-1, :]
    return (ops.sum(ops.square(dh)) + ops.sum(ops.square(dw))) / _size(x)
