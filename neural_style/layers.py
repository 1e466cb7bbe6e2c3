"""The layers of the perceptual-loss networks that Keras has no class for (``nets`` builds
the networks from them): reflection padding, Keras 1's batch-statistics normalisation, the
tanh-to-pixels output, conditional instance normalisation (TF Stylize) and StyleGAN2's
demodulated convolution.  Each is registered, so a saved network loads with
``keras.saving.load_model`` once ``neural_style`` is imported.
"""

from __future__ import annotations

from neural_style.backend import keras, ops


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
        return ops.batch_normalization(
            inputs,
            mean,
            variance,
            axis=-1,
            offset=self.beta,
            scale=self.gamma,
            epsilon=self.epsilon,
        )


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
        self.scale = self.add_weight(
            shape=(self.styles, channels), initializer="ones", name="scale"
        )
        self.offset = self.add_weight(
            shape=(self.styles, channels), initializer="zeros", name="offset"
        )

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


@keras.saving.register_keras_serializable(package="neural_style")
class DemodulatedConv2D(keras.layers.Layer):
    """StyleGAN2's modulated convolution with weight demodulation (Karras et al. 2020),
    with a style's scale and shift after it: a convolution normalised by its weights, never
    by the image, so no spike in the image can move the normalisation (instance
    normalisation divides by the image's own spread, which a bright blob moves).

    Inputs ``[x, weights]`` (x (B, H, W, C), style weights (B, styles)) or x alone with
    ``styles=0``.  x's channels are scaled by ``s = weights @ modulation``, convolved, and
    each output channel o divided by ``sqrt(sum_{k,i} (s_i kernel[k, i, o])^2)``, the
    spread it would have for inputs of unit variance; then ``* weights @ scale +
    weights @ offset``, as ``ConditionalInstanceNormalization`` does.
    """

    def __init__(self, filters, size, styles=0, padding="same", epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.size, self.styles = int(filters), int(size), int(styles)
        self.padding, self.epsilon = padding, float(epsilon)

    def build(self, input_shape):
        channels, rows = (input_shape[0] if self.styles else input_shape)[-1], max(self.styles, 1)
        self.kernel = self.add_weight(
            shape=(self.size, self.size, channels, self.filters),
            initializer="glorot_uniform",
            name="kernel",
        )
        self.modulation = self.add_weight(
            shape=(rows, channels), initializer="ones", name="modulation"
        )
        self.scale = self.add_weight(shape=(rows, self.filters), initializer="ones", name="scale")
        self.offset = self.add_weight(
            shape=(rows, self.filters), initializer="zeros", name="offset"
        )

    def compute_output_shape(self, input_shape):
        shape = input_shape[0] if self.styles else input_shape
        conv = keras.layers.Conv2D(self.filters, self.size, padding=self.padding)
        return conv.compute_output_shape(shape)

    def call(self, inputs):
        x, weights = inputs if self.styles else (inputs, ops.ones((ops.shape(inputs)[0], 1)))
        s = ops.matmul(weights, self.modulation)  # (B, C)
        y = ops.conv(x * s[:, None, None, :], self.kernel, padding=self.padding)
        # (B, filters)
        spread = ops.matmul(ops.square(s), ops.sum(ops.square(self.kernel), axis=(0, 1)))
        gain = ops.matmul(weights, self.scale) * ops.rsqrt(spread + self.epsilon)
        return y * gain[:, None, None, :] + ops.matmul(weights, self.offset)[:, None, None, :]

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "size": self.size,
            "styles": self.styles,
            "padding": self.padding,
            "epsilon": self.epsilon,
        }
