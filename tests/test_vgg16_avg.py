"""VGG16_Avg is keras.applications.VGG16 layer for layer, with average pooling."""

import keras
import numpy as np
import pytest

from neural_style.backend import to_numpy
from neural_style.errors import NeuralStyleError
from neural_style.vgg16_avg import VGG16_Avg, feature_model, layer_names


def _reference(shape=(64, 96, 3), weights=None):
    return keras.applications.VGG16(include_top=False, weights=weights, input_shape=shape)


def test_same_layers_and_shapes_as_keras():
    ref = _reference()
    ours = VGG16_Avg(weights=None, input_shape=(64, 96, 3))
    ref_layers = [(l.name, tuple(l.output.shape)) for l in ref.layers[1:]]
    our_layers = [(l.name, tuple(l.output.shape)) for l in ours.layers[1:]]
    assert our_layers == ref_layers
    assert [l.name for l in ours.layers[1:]] == layer_names()
    for a, b in zip(ref.layers[1:], ours.layers[1:]):
        assert [w.shape for w in a.weights] == [w.shape for w in b.weights]


def test_no_max_pooling_left():
    model = VGG16_Avg(weights=None)
    kinds = {type(l).__name__ for l in model.layers}
    assert "MaxPooling2D" not in kinds and "AveragePooling2D" in kinds
    pools = [l for l in model.layers if "pool" in l.name]
    assert len(pools) == 5 and all(p.pool_size == (2, 2) and p.strides == (2, 2) for p in pools)
    assert "AveragePooling2D" not in {
        type(l).__name__ for l in VGG16_Avg(weights=None, pooling="max").layers
    }


def test_any_input_size_from_32():
    model = VGG16_Avg(weights=None)
    assert model.input_shape == (None, None, None, 3)
    assert model(np.zeros((1, 32, 45, 3), np.float32)).shape == (1, 1, 1, 512)


def test_average_pooling_averages():
    model = VGG16_Avg(weights=None, input_shape=(32, 32, 3))
    pool = keras.Model(model.input, model.get_layer("block1_pool").output)
    conv = keras.Model(model.input, model.get_layer("block1_conv2").output)
    x = np.random.default_rng(0).normal(size=(1, 32, 32, 3)).astype(np.float32)
    c = to_numpy(conv(x))
    expected = c.reshape(1, 16, 2, 16, 2, 64).mean(axis=(2, 4))
    np.testing.assert_allclose(to_numpy(pool(x)), expected, rtol=1e-5, atol=1e-6)


def test_feature_model_truncates_after_deepest_layer():
    model = VGG16_Avg(weights=None)
    fm = feature_model(model, ["block1_conv1", "block3_conv2"])
    names = [l.name for l in fm.layers]
    assert (
        names[-1] == "block3_conv2" and "block3_conv3" not in names and "block4_conv1" not in names
    )
    outs = fm(np.zeros((1, 64, 64, 3), np.float32))
    assert [tuple(o.shape) for o in outs] == [(1, 64, 64, 64), (1, 16, 16, 256)]


def test_unknown_layer_lists_valid_names():
    with pytest.raises(NeuralStyleError, match="block4_conv9.*valid: .*block5_conv3"):
        feature_model(VGG16_Avg(weights=None), ["block4_conv9"])


def test_include_top_is_a_clear_error():
    with pytest.raises(NeuralStyleError, match="include_top"):
        VGG16_Avg(include_top=True, weights=None)


def test_imagenet_weights_loaded(weights_path):
    from neural_style.weights import SPOT_VALUES

    model = VGG16_Avg(weights="imagenet")
    for layer, which, index, value in SPOT_VALUES:
        kernel, bias = model.get_layer(layer).get_weights()
        assert (kernel if which == "kernel" else bias)[index] == pytest.approx(value, rel=1e-6)


def test_keras_loads_provisioned_file_and_agrees(weights_path):
    """The provisioned h5 is a file keras.applications itself loads; with max pooling the
    two networks then compute the same features."""
    ref = _reference((64, 64, 3), weights=str(weights_path))
    ours = VGG16_Avg(weights=weights_path, pooling="max", input_shape=(64, 64, 3))
    x = np.random.default_rng(1).uniform(-100, 100, (1, 64, 64, 3)).astype(np.float32)
    np.testing.assert_allclose(to_numpy(ours(x)), to_numpy(ref(x)), rtol=1e-4, atol=1e-3)


def test_layer_shapes_match_the_model():
    """The shape table behind the memory estimate and the benchmark's FLOP count."""
    from neural_style.memory import activation_bytes
    from neural_style.vgg16_avg import layer_shapes

    model = VGG16_Avg(weights=None, input_shape=(64, 96, 3))
    table = list(layer_shapes(64, 96, "block5_conv2"))
    assert [t[0] for t in table] == layer_names()[: len(table)] and table[-1][0] == "block5_conv2"
    for name, h, w, cin, cout in table:
        layer = model.get_layer(name)
        assert tuple(layer.output.shape[1:]) == (h, w, cout)
        assert layer.input.shape[-1] == cin
    expected = sum(4 * int(np.prod(model.get_layer(t[0]).output.shape[1:])) for t in table)
    assert activation_bytes(64, 96, ["block1_conv2", "block5_conv2", "block4_conv2"]) == expected
