"""release/warm_start.py: a many-style network restarted with weight demodulation."""

import importlib.util
from pathlib import Path

import numpy as np

from neural_style import nets
from neural_style.backend import keras

SCRIPT = Path(__file__).resolve().parents[1] / "release" / "warm_start.py"


def load_script():
    spec = importlib.util.spec_from_file_location("warm_start", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demodulated_twin_takes_the_kernels_and_after_calibration_each_styles_statistics(rng):
    warm_start = load_script()
    old, new = nets.style_net(styles=2), nets.style_net(styles=2, norm="demod")
    for layer in old.layers:
        if isinstance(layer, nets.ConditionalInstanceNormalization):  # styles that differ
            layer.scale.assign(rng.uniform(0.5, 2.0, layer.scale.shape).astype("float32"))
            layer.offset.assign(rng.normal(0, 0.5, layer.offset.shape).astype("float32"))
    warm_start.copy_weights(old, new)
    old_convs = [layer for layer in old.layers if isinstance(layer, keras.layers.Conv2D)]
    demods = [layer for layer in new.layers if isinstance(layer, nets.DemodulatedConv2D)]
    np.testing.assert_array_equal(np.asarray(demods[0].kernel), np.asarray(old_convs[3].kernel))  # after 3 downsampling convs
    photos = rng.uniform(0, 255, (4, 48, 48, 3)).astype("float32")
    warm_start.calibrate(new, photos)
    twins = [layer for layer in old.layers if isinstance(layer, nets.ConditionalInstanceNormalization)][3:]
    for layer, twin in [(demods[0], twins[0]), (demods[-1], twins[-1])]:
        for k in range(2):
            one_hot = np.eye(2, dtype="float32")[[k] * 4]
            probe = keras.Model(new.inputs, layer.output)
            out = probe.predict([photos, one_hot], verbose=0)
            np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), np.asarray(twin.offset)[k], atol=1e-3)
            np.testing.assert_allclose(out.std(axis=(0, 1, 2)), np.abs(np.asarray(twin.scale)[k]), rtol=1e-3)
