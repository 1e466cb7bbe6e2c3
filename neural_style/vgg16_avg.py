"""VGG16 with average pooling, layer for layer as keras.applications.VGG16.

Gatys et al. replace VGG's max pooling by average pooling: gradients then flow to every
pixel of each 2x2 window, which gives smoother reconstructions.  The layers keep the
Keras names (``block1_conv1`` ... ``block5_pool``) so that ``model.get_layer(name)`` and
the lesson's layer names work unchanged.
"""

from __future__ import annotations

from neural_style import weights as weights_lib
from neural_style.backend import keras
from neural_style.errors import NeuralStyleError
from neural_style.vgg16_layers import BLOCKS, MIN_SIDE, check_layers, layer_names, layer_shapes  # noqa: F401 - the lesson's names live here too


def VGG16_Avg(
    include_top=False, weights="imagenet", input_tensor=None, input_shape=None, pooling="avg"
):
    """The VGG16 convolutional base with 2x2/2 average (or max) pooling.

    Args:
        include_top: must be False: the lesson uses only the convolutional layers and the
            classifier weights are not provisioned.
        weights: ``"imagenet"`` (verified ImageNet weights, provisioned if needed), a path
            to a Keras VGG16 notop h5 file, or None for Glorot-random weights.
        input_tensor: optional Keras tensor to use as the image input.
        input_shape: (height, width, 3); default (None, None, 3), any size from 32x32 up.
        pooling: ``"avg"`` (the paper) or ``"max"`` (the original VGG16).

    Input: a batch of preprocessed BGR images (see ``neural_style.images.preproc``).
    """
    if include_top:
        raise NeuralStyleError(
            "VGG16_Avg(include_top=True) is not supported: style transfer uses only the "
            "convolutional layers; pass include_top=False"
        )
    if pooling not in ("avg", "max"):
        raise NeuralStyleError(f"pooling={pooling!r} is not valid; use 'avg' or 'max'")
    if input_tensor is not None:
        inputs = input_tensor
    else:
        inputs = keras.Input(shape=input_shape or (None, None, 3), name="input_layer")
    Pool = keras.layers.AveragePooling2D if pooling == "avg" else keras.layers.MaxPooling2D
    x = inputs
    for b, (filters, n) in enumerate(BLOCKS, start=1):
        for i in range(1, n + 1):
            x = keras.layers.Conv2D(
                filters, 3, padding="same", activation="relu", name=f"block{b}_conv{i}"
            )(x)
        x = Pool(2, strides=2, name=f"block{b}_pool")(x)
    model = keras.Model(inputs, x, name=f"vgg16_{pooling}")
    if weights is not None:
        path = None if weights == "imagenet" else weights
        resolved, _ = weights_lib.get_weights_path(path)
        conv = weights_lib.load_verified(resolved)
        for name, (kernel, bias) in conv.items():
            model.get_layer(name).set_weights([kernel, bias])
    model.trainable = False
    return model


def feature_model(model, layers) -> keras.Model:
    """A model from ``model``'s input to the outputs of ``layers`` (a list of names).

    The network is truncated after the deepest layer asked for: layers that no output
    depends on are not part of the returned model and cost nothing.
    """
    layers = list(layers)
    check_layers(layers)
    outputs = [model.get_layer(n).output for n in layers]
    return keras.Model(model.inputs[0], outputs, name="features")
