"""The lesson's second half: the networks of perceptual-loss training (Johnson et al. 2016).

Building blocks with the lesson's names and signatures (``conv_block``, ``res_block``,
``deconv_block``, ``up_block``, ``res_crop_block``, ``ReflectionPadding2D``) and the two
networks made of them: ``superres_net`` (72 -> 288 px) and ``style_net`` (the real-time
style network).  Images go in and come out as RGB 0..255 floats, (B, H, W, 3).  How each
network is trained and applied is its kind's (``neural_style.kinds``).

Where Keras 1 differs, the lesson's behaviour is kept:

- ``BatchNormalization(mode=2)`` normalised with the statistics of the batch at
  inference too; ``BatchStatsNormalization`` does that in Keras 3 (a single image is then
  normalised by its own statistics, so a stylised photo never depends on a running
  average).  ``norm="instance"`` (Ulyanov et al. 2016) uses ``GroupNormalization`` with
  one group per channel instead.
- ``merge([x, ip], mode="sum")`` is ``keras.layers.Add``; ``Deconvolution2D`` needed its
  ``output_shape``, ``Conv2DTranspose`` infers it (the argument is kept, and checked).
"""

from __future__ import annotations

from neural_style.backend import keras, ops
from neural_style.config import NORMS
from neural_style.errors import NeuralStyleError


@keras.saving.register_keras_serializable(package="neural_style")
class ReflectionPadding2D(keras.layers.Layer):
    """Pad (B, H, W, C) by reflection: ``padding=(w_pad, h_pad)``, as in the lesson, pads
    the width by ``w_pad`` px and the height by ``h_pad`` px on each side.  Reflection
    (not zeros) keeps the borders free of the dark frames zero padding leaves."""

    def __init__(self, padding=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.padding = tuple(int(p) for p in padding)
        self.input_spec = keras.layers.InputSpec(ndim=4)

    def compute_output_shape(self, s):
        w_pad, h_pad = self.padding

        def grow(n, pad):
            return None if n is None else n + 2 * pad

        return (s[0], grow(s[1], h_pad), grow(s[2], w_pad), s[3])

    def call(self, x):
        w_pad, h_pad = self.padding
        return ops.pad(x, [[0, 0], [h_pad, h_pad], [w_pad, w_pad], [0, 0]], mode="reflect")

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


@keras.saving.register_keras_serializable(package="neural_style")
class BatchStatsNormalization(keras.layers.BatchNormalization):
    """Keras 1's ``BatchNormalization(mode=2)``: the batch's own statistics in training
    and at inference alike.  The moving averages, never used, are never updated either, so
    the layer has no state to change and compiles as a pure function on every backend."""

    def call(self, inputs, training=None, mask=None):
        mean, variance = ops.moments(inputs, axes=[0, 1, 2])
        return ops.batch_normalization(inputs, mean, variance, axis=-1, offset=self.beta,
                                       scale=self.gamma, epsilon=self.epsilon)  # fmt: skip


@keras.saving.register_keras_serializable(package="neural_style")
class ToPixels(keras.layers.Layer):
    """The lesson's ``Lambda(lambda x: (x + 1) * 127.5)``: tanh output -> RGB 0..255."""

    def call(self, x):
        return (x + 1.0) * 127.5


@keras.saving.register_keras_serializable(package="neural_style")
class ConditionalInstanceNormalization(keras.layers.Layer):
    """Conditional instance normalisation (Dumoulin, Shlens and Kudlur 2017, TF Stylize):
    instance normalisation whose scale and shift are a style's, or a blend of styles'.

    Inputs ``[x, weights]``: x (B, H, W, C), weights (B, styles) (one-hot picks a style;
    weights summing to 1 blend the styles' parameters, as the paper's sliders did).
    Each image and channel is normalised by its own mean and variance over H and W, then
    scaled by ``weights @ scale`` and shifted by ``weights @ offset``, both (styles, C).
    With one style it is ``GroupNormalization(groups=-1)`` (plain instance normalisation).
    """

    def __init__(self, styles, epsilon=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.styles, self.epsilon = int(styles), float(epsilon)

    def build(self, input_shape):
        channels = input_shape[0][-1]
        self.scale = self.add_weight(shape=(self.styles, channels), initializer="ones", name="scale")
        self.offset = self.add_weight(shape=(self.styles, channels), initializer="zeros", name="offset")

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def call(self, inputs):
        x, weights = inputs
        mean, variance = ops.moments(x, axes=[1, 2], keepdims=True)
        scale = ops.matmul(weights, self.scale)[:, None, None, :]
        offset = ops.matmul(weights, self.offset)[:, None, None, :]
        return (x - mean) / ops.sqrt(variance + self.epsilon) * scale + offset

    def get_config(self):
        return {**super().get_config(), "styles": self.styles, "epsilon": self.epsilon}


def _norm(norm):
    """The normalisation layer: "batch", "instance", or a style-weights tensor (B, styles)
    for conditional instance normalisation."""
    if not isinstance(norm, str):
        weights = norm
        return lambda x: ConditionalInstanceNormalization(weights.shape[-1])([x, weights])
    if norm == "batch":
        return BatchStatsNormalization()
    if norm == "instance":  # one group per channel: instance normalisation
        return keras.layers.GroupNormalization(groups=-1)
    raise NeuralStyleError(f"norm={norm!r} is not valid; use one of {', '.join(NORMS)}")


def conv_block(x, filters, size, stride=(2, 2), mode="same", act=True, norm="batch"):
    """Conv2D(filters, size, stride, padding=mode) -> normalisation -> ReLU (if ``act``)."""
    x = keras.layers.Conv2D(filters, size, strides=stride, padding=mode)(x)
    x = _norm(norm)(x)
    return keras.layers.Activation("relu")(x) if act else x


def res_block(ip, nf=64, norm="batch"):
    """Two 3x3 conv_blocks (the second without ReLU) plus the input."""
    x = conv_block(ip, nf, 3, (1, 1), norm=norm)
    x = conv_block(x, nf, 3, (1, 1), act=False, norm=norm)
    return keras.layers.Add()([x, ip])


def deconv_block(x, filters, size, shape, stride=(2, 2), norm="batch"):
    """Transposed convolution to ``shape`` = (H, W, filters), normalisation, ReLU.  Kept
    for the lesson; ``up_block`` is what the networks use (no checkerboard pattern)."""
    x = keras.layers.Conv2DTranspose(filters, size, strides=stride, padding="same")(x)
    if shape is not None and tuple(x.shape[1:]) != tuple(shape):
        raise NeuralStyleError(f"deconv_block gives {tuple(x.shape[1:])}, not the shape {tuple(shape)} asked for")
    x = _norm(norm)(x)
    return keras.layers.Activation("relu")(x)


def up_block(x, filters, size, norm="batch"):
    """2x nearest-neighbour upsampling, then a conv_block with stride 1.  Upsampling and
    a convolution avoid the checkerboard artefacts of transposed convolutions."""
    x = keras.layers.UpSampling2D()(x)
    return conv_block(x, filters, size, (1, 1), norm=norm)


def res_crop_block(ip, nf=64, norm="batch"):
    """Two *valid* 3x3 conv_blocks plus the input cropped by 2 px on each side: the
    output is 4 px smaller in height and width than the input."""
    x = conv_block(ip, nf, 3, (1, 1), "valid", norm=norm)
    x = conv_block(x, nf, 3, (1, 1), "valid", act=False, norm=norm)
    ip = keras.layers.Cropping2D(2)(ip)
    return keras.layers.Add()([x, ip])


def _output(x):
    x = keras.layers.Conv2D(3, 9, activation="tanh", padding="same")(x)
    return ToPixels()(x)


def output_conv(net):
    """The last Conv2D (tanh) of a network built with ``_output``: its input, kernel and
    bias give the tanh's input, which the saturation term of training looks at."""
    return next(layer for layer in reversed(net.layers) if isinstance(layer, keras.layers.Conv2D))


def superres_net(input_shape=(72, 72, 3), norm="batch"):
    """The lesson's super-resolution network: RGB 0..255 (B, H, W, 3) -> (B, 4H, 4W, 3).

    conv_block(64, 9, stride 1), four res_blocks, two up_blocks(64, 3), Conv2D(3, 9, tanh),
    ``(x + 1) * 127.5``.  Any input size works; the lesson's is 72 px.
    """
    inp = keras.Input(shape=input_shape, name="image")
    x = conv_block(inp, 64, 9, (1, 1), norm=norm)
    for _ in range(4):
        x = res_block(x, norm=norm)
    x = up_block(x, 64, 3, norm=norm)
    x = up_block(x, 64, 3, norm=norm)
    return keras.Model(inp, _output(x), name=f"superres_{norm}")


def style_net(input_shape=(None, None, 3), norm="batch", styles=0):
    """The lesson's real-time style network: RGB 0..255 (B, H, W, 3) -> the same shape.

    ReflectionPadding2D((40, 40)), conv_block(64, 9, stride 1), two stride-2
    conv_block(64, 3), five res_crop_blocks (which eat the 40 px of padding: 5 x 4 px at
    a quarter of the size), two up_blocks, Conv2D(3, 9, tanh), ``(x + 1) * 127.5``.
    H and W must be multiples of 4 and at least 44 (``kinds.style.stylise`` pads any
    other size by reflection).  With ``styles`` > 0, one network for that many styles: a
    second input, the style weights (B, styles), drives conditional instance
    normalisation in every block (``ConditionalInstanceNormalization``).
    """
    inp = keras.Input(shape=input_shape, name="image")
    inputs = [inp, keras.Input(shape=(styles,), name="style_weights")] if styles else inp
    norm = inputs[1] if styles else norm
    x = ReflectionPadding2D((40, 40))(inp)
    x = conv_block(x, 64, 9, (1, 1), norm=norm)
    x = conv_block(x, 64, 3, norm=norm)
    x = conv_block(x, 64, 3, norm=norm)
    for _ in range(5):
        x = res_crop_block(x, norm=norm)
    x = up_block(x, 64, 3, norm=norm)
    x = up_block(x, 64, 3, norm=norm)
    return keras.Model(inputs, _output(x), name=f"multistyle_{styles}" if styles else f"style_{norm}")
