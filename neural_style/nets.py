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
  one group per channel instead.  ``norm="demod"`` keeps instance normalisation in the
  three downsampling blocks and uses StyleGAN2's weight demodulation
  (``DemodulatedConv2D``) in the residual and upsampling blocks, where instance
  normalisation let the networks grow glowing blobs.
- ``merge([x, ip], mode="sum")`` is ``keras.layers.Add``; ``Deconvolution2D`` needed its
  ``output_shape``, ``Conv2DTranspose`` infers it (the argument is kept, and checked).
"""

from __future__ import annotations

from neural_style.backend import keras
from neural_style.config import NORMS
from neural_style.errors import NeuralStyleError
from neural_style.layers import (  # noqa: F401 (the lesson's names, here as in the notebook)
    BatchStatsNormalization,
    ConditionalInstanceNormalization,
    DemodulatedConv2D,
    ReflectionPadding2D,
    ToPixels,
)


def _norm(norm, styles=None):
    """The normalisation layer: "batch" or "instance"; with ``styles`` (the style-weights
    tensor, (B, n)), conditional instance normalisation."""
    if styles is not None:
        return lambda x: ConditionalInstanceNormalization(styles.shape[-1])([x, styles])
    if norm == "batch":
        return BatchStatsNormalization()
    if norm == "instance":  # one group per channel: instance normalisation
        return keras.layers.GroupNormalization(groups=-1)
    raise NeuralStyleError(f"norm={norm!r} is not valid; use one of {', '.join(NORMS)}")


def conv_block(x, filters, size, stride=(2, 2), mode="same", act=True, norm="batch", styles=None):
    """Conv2D(filters, size, stride, padding=mode) -> normalisation -> ReLU (if ``act``).
    ``norm="demod"``: one ``DemodulatedConv2D`` (stride 1) in place of both.  ``styles``:
    the style-weights input (B, n) that conditions the normalisation."""
    if norm == "demod":
        if tuple(stride) != (1, 1):
            raise NeuralStyleError(
                f"norm='demod' convolves with stride 1, not {tuple(stride)}; downsample with "
                "norm='instance'"
            )
        layer = DemodulatedConv2D(
            filters, size, 0 if styles is None else styles.shape[-1], padding=mode
        )
        x = layer(x) if styles is None else layer([x, styles])
    else:
        x = keras.layers.Conv2D(filters, size, strides=stride, padding=mode)(x)
        x = _norm(norm, styles)(x)
    return keras.layers.Activation("relu")(x) if act else x


def res_block(ip, nf=64, norm="batch", styles=None):
    """Two 3x3 conv_blocks (the second without ReLU) plus the input."""
    x = conv_block(ip, nf, 3, (1, 1), norm=norm, styles=styles)
    x = conv_block(x, nf, 3, (1, 1), act=False, norm=norm, styles=styles)
    return keras.layers.Add()([x, ip])


def deconv_block(x, filters, size, shape, stride=(2, 2), norm="batch"):
    """Transposed convolution to ``shape`` = (H, W, filters), normalisation, ReLU.  Kept
    for the lesson; ``up_block`` is what the networks use (no checkerboard pattern)."""
    x = keras.layers.Conv2DTranspose(filters, size, strides=stride, padding="same")(x)
    if shape is not None and tuple(x.shape[1:]) != tuple(shape):
        raise NeuralStyleError(
            f"deconv_block gives {tuple(x.shape[1:])}, not the shape {tuple(shape)} asked for"
        )
    x = _norm(norm)(x)
    return keras.layers.Activation("relu")(x)


def up_block(x, filters, size, norm="batch", styles=None):
    """2x nearest-neighbour upsampling, then a conv_block with stride 1.  Upsampling and
    a convolution avoid the checkerboard artefacts of transposed convolutions."""
    x = keras.layers.UpSampling2D()(x)
    return conv_block(x, filters, size, (1, 1), norm=norm, styles=styles)


def res_crop_block(ip, nf=64, norm="batch", styles=None):
    """Two *valid* 3x3 conv_blocks plus the input cropped by 2 px on each side: the
    output is 4 px smaller in height and width than the input."""
    x = conv_block(ip, nf, 3, (1, 1), "valid", norm=norm, styles=styles)
    x = conv_block(x, nf, 3, (1, 1), "valid", act=False, norm=norm, styles=styles)
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


def style_net(input_shape=(None, None, 3), norm=None, styles=0):
    """The lesson's real-time style network: RGB 0..255 (B, H, W, 3) -> the same shape.

    ReflectionPadding2D((40, 40)), conv_block(64, 9, stride 1), two stride-2
    conv_block(64, 3), five res_crop_blocks (which eat the 40 px of padding: 5 x 4 px at
    a quarter of the size), two up_blocks, Conv2D(3, 9, tanh), ``(x + 1) * 127.5``.
    H and W must be multiples of 4 and at least 44 (``kinds.style.stylise`` pads any
    other size by reflection).  With ``styles`` > 0, one network for that many styles: a
    second input, the style weights (B, styles), drives the normalisation of every block
    (``ConditionalInstanceNormalization``, and ``DemodulatedConv2D`` with "demod").
    ``norm="demod"``: instance normalisation in the three downsampling blocks, weight
    demodulation after them.  By default "batch" (the lesson's) for one style and
    "instance" for many.
    """
    inp = keras.Input(shape=input_shape, name="image")
    inputs = [inp, keras.Input(shape=(styles,), name="style_weights")] if styles else inp
    cond = inputs[1] if styles else None
    norm = norm or ("instance" if styles else "batch")
    if styles and norm == "batch":
        raise NeuralStyleError(
            "a many-style network is normalised per image: norm='instance' or 'demod', not 'batch'"
        )
    down = "instance" if norm == "demod" else norm
    x = ReflectionPadding2D((40, 40))(inp)
    x = conv_block(x, 64, 9, (1, 1), norm=down, styles=cond)
    x = conv_block(x, 64, 3, norm=down, styles=cond)
    x = conv_block(x, 64, 3, norm=down, styles=cond)
    for _ in range(5):
        x = res_crop_block(x, norm=norm, styles=cond)
    x = up_block(x, 64, 3, norm=norm, styles=cond)
    x = up_block(x, 64, 3, norm=norm, styles=cond)
    name = (
        (f"multistyle_{styles}" if norm == "instance" else f"multistyle_{styles}_{norm}")
        if styles
        else f"style_{norm}"
    )
    return keras.Model(inputs, _output(x), name=name)
