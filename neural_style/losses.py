"""The lesson's losses, in TensorFlow.  Inputs are single activations of shape (H, W, C)
(the lesson indexes ``layer[0]`` to drop the batch axis) unless said otherwise."""

from __future__ import annotations

import tensorflow as tf


def mse(a, b):
    """Mean of the squared difference over ALL elements (Keras 1 ``metrics.mse`` on a
    flattened tensor; ``keras.losses.mean_squared_error`` reduces only the last axis)."""
    return tf.reduce_mean(tf.square(a - b))


def gram_matrix(x):
    """Gram matrix of one activation (H, W, C): F F^T / (H W C), with F of shape (C, H W)."""
    x = tf.convert_to_tensor(x)
    features = tf.reshape(x, (-1, tf.shape(x)[-1]))  # (H W, C): F^T
    n = tf.cast(tf.size(x), x.dtype)
    return tf.matmul(features, features, transpose_a=True) / n


def content_loss(x, target):
    """MSE between an activation and its target activation, any equal shapes."""
    return mse(x, target)


def style_loss(x, target_gram):
    """MSE between the Gram matrix of ``x`` (H, W, C) and a target Gram matrix (C, C).

    The lesson writes ``mse(gram_matrix(x), gram_matrix(targ))``; the target's Gram matrix
    never changes, so it is computed once and passed in.
    """
    return mse(gram_matrix(x), target_gram)


def total_variation_loss(x):
    """Sum of squared differences between neighbouring pixels of (1, H, W, C) or (H, W, C),
    divided by the number of elements (a mean, so its scale does not grow with size)."""
    dh = x[..., 1:, :, :] - x[..., :-1, :, :]
    dw = x[..., :, 1:, :] - x[..., :, :-1, :]
    n = tf.cast(tf.size(x), x.dtype)
    return (tf.reduce_sum(tf.square(dh)) + tf.reduce_sum(tf.square(dw))) / n
