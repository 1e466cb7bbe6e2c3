"""Perceptual losses (Johnson, Alahi and Fei-Fei 2016), as in the lesson's second half.

A frozen VGG16 (max pooling, the verified ImageNet weights, ``preproc`` inside the graph)
compares a network's output with its target in feature space rather than pixel space.
Every loss here is *per image*, shape (B,): the lesson trains with Keras' ``mae`` (style)
or ``mse`` (super-resolution) against zeros, so the network's "prediction" is the loss
itself and the mean (or mean square) over the batch is what Adam minimises.  The loss is
never negative, so ``mae`` against zeros is exactly its mean.
"""

from __future__ import annotations

import numpy as np

from neural_style import nets
from neural_style import terms as terms_module
from neural_style.backend import keras, ops
from neural_style.images import rn_mean
from neural_style.vgg16_avg import VGG16_Avg, feature_model

SUPERRES_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1")
SUPERRES_WEIGHTS = (0.1, 0.8, 0.1)
STYLE_LAYERS = ("block2_conv2", "block3_conv2", "block4_conv2", "block5_conv2")
CONTENT_WEIGHTS = (0.1, 0.2, 0.6, 0.1)  # per STYLE_LAYERS, the content term's weight


def _per_image_size(x):
    """H * W * C of a (B, H, W, C) tensor, as a float (static or traced shapes)."""
    n = 1
    for d in ops.shape(x)[1:]:
        n = n * d
    return ops.cast(n, "float32")


def gram_matrix_b(x):
    """Batched Gram matrix: (B, H, W, C) -> (B, C, C), F F^T / (C H W) per image."""
    c = ops.shape(x)[-1]
    f = ops.reshape(x, (ops.shape(x)[0], -1, c))  # (B, H W, C): F^T
    return ops.matmul(ops.transpose(f, (0, 2, 1)), f) / _per_image_size(x)


def mean_sqr_b(diff):
    """Per-image root mean square over all non-batch axes: (B, ...) -> (B,)."""
    axes = tuple(range(1, len(ops.shape(diff))))
    return ops.sqrt(ops.mean(ops.square(diff), axis=axes))


@keras.saving.register_keras_serializable(package="neural_style")
class Preprocess(keras.layers.Layer):
    """``preproc`` inside the graph: RGB 0..255 -> BGR with the ImageNet mean removed."""

    def call(self, x):
        return ops.flip(x - ops.convert_to_tensor(rn_mean), axis=-1)


def vgg_features(layers, weights="imagenet"):
    """Frozen VGG16 (max pooling, as in the lesson's second half) from RGB 0..255
    (B, H, W, 3) to the activations of ``layers``, a list of (B, h, w, C) tensors."""
    vgg = feature_model(VGG16_Avg(weights=weights, pooling="max"), layers)
    inp = keras.Input((None, None, 3), name="rgb")
    model = keras.Model(inp, vgg(Preprocess()(inp)), name="vgg_features")
    model.trainable = False
    return model


@keras.saving.register_keras_serializable(package="neural_style")
class ContentLossB(keras.layers.Layer):
    """Super-resolution loss: sum over layers of ``mean_sqr_b(out - target) * w``.
    Input: the target's activations, then the output's.  Output (B, 1)."""

    def __init__(self, layer_weights=SUPERRES_WEIGHTS, **kwargs):
        super().__init__(**kwargs)
        self.layer_weights = tuple(layer_weights)

    def call(self, acts):
        n = len(self.layer_weights)
        loss = sum(mean_sqr_b(acts[i + n] - acts[i]) * w for i, w in enumerate(self.layer_weights))
        return loss[:, None]

    def get_config(self):
        return {**super().get_config(), "layer_weights": self.layer_weights}


@keras.saving.register_keras_serializable(package="neural_style")
class StyleLossB(keras.layers.Layer):
    """Real-time style loss, per layer ``style_weight * mean_sqr_b(gram_matrix_b(out) -
    G_style) / 2 + mean_sqr_b(out - input) * w`` (the lesson: ``style_weight`` 1).  Input: the input
    photo's activations, then the
    output's; with ``styles`` > 1 also the style weights (B, styles), which mix the styles'
    Gram matrices into each image's target (one-hot: that style's).  Output: {"loss",
    "style", "content"}, each (B, 1); "style" before ``style_weight``.  The Gram matrices are
    weights of the layer (saved
    with it), set by ``set_style``: (C, C) per layer, or (styles, C, C)."""

    def __init__(
        self,
        content_weights=CONTENT_WEIGHTS,
        channels=(128, 256, 512, 512),
        styles=1,
        style_weight=1.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.content_weights, self.channels = tuple(content_weights), tuple(channels)
        self.styles = int(styles)
        self.style_weight = float(style_weight)
        shape = (lambda c: (c, c)) if self.styles == 1 else (lambda c: (self.styles, c, c))
        self.grams = [
            self.add_weight(
                shape=shape(c), initializer="zeros", trainable=False, name=f"style_gram_{i}"
            )
            for i, c in enumerate(self.channels)
        ]

    def set_style(self, grams):
        """Style Gram matrices per layer, (C, C) or (styles, C, C); saved with the layer."""
        for var, g in zip(self.grams, grams):
            var.assign(np.asarray(g, dtype="float32"))

    def call(self, acts, style_weights=None):
        n = len(self.content_weights)
        style = content = 0.0
        for i, w in enumerate(self.content_weights):
            x, out = acts[i], acts[i + n]
            target = (
                self.grams[i][None]
                if style_weights is None
                else ops.einsum("bs,scd->bcd", style_weights, self.grams[i])
            )
            style = style + mean_sqr_b(gram_matrix_b(out) - target) / 2.0
            content = content + mean_sqr_b(out - x) * w
        loss = style * self.style_weight + content
        return {"loss": loss[:, None], "style": style[:, None], "content": content[:, None]}

    def get_config(self):
        return {
            **super().get_config(),
            "content_weights": self.content_weights,
            "channels": self.channels,
            "styles": self.styles,
            "style_weight": self.style_weight,
        }


def style_grams(vgg, style):
    """Gram matrices (C, C) of one style image, RGB 0..255 (H, W, 3), at each of ``vgg``'s
    layers, as numpy arrays."""
    # a direct call, not predict: one image cannot be split over several devices
    acts = vgg(ops.convert_to_tensor(np.asarray(style, "float32")[None]), training=False)
    return [ops.convert_to_numpy(gram_matrix_b(a))[0] for a in acts]


def superres_trainer(net, weights="imagenet", layer_weights=SUPERRES_WEIGHTS):
    """The lesson's ``m_sr``: inputs [low-res (B, h, w, 3), high-res (B, 4h, 4w, 3)],
    RGB 0..255; output the per-image content loss (B, 1).  Compile with ``mse``."""
    vgg = vgg_features(SUPERRES_LAYERS, weights)
    lo = keras.Input(net.input_shape[1:], name="low_res")
    hi = keras.Input(net.output_shape[1:], name="high_res")
    acts = list(vgg(hi)) + list(vgg(net(lo)))
    return keras.Model([lo, hi], ContentLossB(layer_weights, name="loss")(acts), name="m_sr")


def style_trainer(
    net, style, weights="imagenet", content_weights=CONTENT_WEIGHTS, style_weight=1.0, **terms
):
    """The lesson's ``m_style``: inputs [photo, photo] (B, H, W, 3) RGB 0..255 (one feeds
    the network, one the content target); outputs {"loss", "style", "content"} (B, 1).
    Compile with ``mae`` on "loss", which weighs the style term by ``style_weight``.

    ``style``: one image (H, W, 3), or a list of them for a network of several styles
    (``nets.style_net(styles=n)``): then a third input, the style weights (B, n).
    ``terms``: the optional terms' weights by name (``config.OPTIONAL_TERMS``, built by
    ``terms.TERMS``); each term given a weight above 0 is an output of its name, (B, 1),
    and adds its weight times itself to "loss"; "stability" adds two inputs, a motion
    (B, 8) and noise (B, H, W, 3)."""
    styles = list(style) if isinstance(style, (list, tuple)) else [style]
    vgg = vgg_features(STYLE_LAYERS, weights)
    inp = keras.Input(net.inputs[0].shape[1:], name="photo")
    vgg_inp = keras.Input(net.inputs[0].shape[1:], name="content_target")
    inputs = [inp, vgg_inp] + (
        [keras.Input((len(styles),), name="style_weights")] if len(net.inputs) > 1 else []
    )
    extra = inputs[2:]
    conv = nets.output_conv(net)
    # same layers, same weights
    body = keras.Model(net.inputs, [net.output, conv.input], name=net.name)
    out, feats = body([inp, *extra]) if extra else body(inp)
    acts = list(vgg(vgg_inp)) + list(vgg(out))
    channels = [a.shape[-1] for a in acts[: len(content_weights)]]
    loss = StyleLossB(content_weights, channels, len(styles), style_weight, name="perceptual")
    outputs = dict(loss(acts, *extra))
    seen = terms_module.Seen(net, conv, inp, out, feats, extra)
    for name, weight in terms.items():
        if weight:
            term, more = terms_module.TERMS[name](seen)
            inputs += more
            outputs[name] = term
            outputs["loss"] = keras.layers.Add(name=f"total_{name}")(
                [outputs["loss"], term * weight]
            )
    model = keras.Model(inputs, outputs, name="m_style")
    grams = [style_grams(vgg, s) for s in styles]
    loss.set_style(grams[0] if len(styles) == 1 else [np.stack(g) for g in zip(*grams)])
    return model
