"""Every Keras backend computes the lesson's numbers: TensorFlow against JAX and PyTorch.

Each backend runs in its own process (a process has one Keras backend), on the same real
weights, images and point; a backend that is not installed is reported as skipped
(`make setup BACKEND=jax|torch` installs it; CI installs JAX).
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

PROBE = Path(__file__).with_name("backend_probe.py")


def probe(name, tmp_path_factory):
    if importlib.util.find_spec(name) is None:
        pytest.skip(f"{name} is not installed (make setup BACKEND={name})")
    out = tmp_path_factory.mktemp(name) / "probe.npz"
    env = {**os.environ, "KERAS_BACKEND": name}
    proc = subprocess.run(
        [sys.executable, str(PROBE), str(out)], env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dict(np.load(out))


@pytest.fixture(scope="module")
def reference(weights_path, tmp_path_factory):
    return probe("tensorflow", tmp_path_factory)


@pytest.mark.parametrize("name", ["jax", "torch"])
def test_losses_and_gradients_agree_with_tensorflow(name, reference, tmp_path_factory):
    other = probe(name, tmp_path_factory)
    assert str(other["backend"]) == name
    assert float(other["loss"]) == pytest.approx(float(reference["loss"]), rel=1e-4)
    np.testing.assert_allclose(other["parts"], reference["parts"], rtol=1e-4)
    g, g_ref = other["grad"].ravel(), reference["grad"].ravel()
    assert np.linalg.norm(g - g_ref) <= 1e-3 * np.linalg.norm(g_ref)
    # the device L-BFGS follows the same iterates on every backend
    np.testing.assert_allclose(other["device_losses"], reference["device_losses"], rtol=1e-2)
