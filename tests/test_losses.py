"""The lesson's losses against independent numpy computations."""

import numpy as np
import pytest

from neural_style.backend import to_numpy
from neural_style.losses import content_loss, gram_matrix, mse, style_loss, total_variation_loss


def np_gram(a):
    h, w, c = a.shape
    f = a.transpose(2, 0, 1).reshape(c, h * w)  # F: C x HW, as the lesson's batch_flatten
    return f @ f.T / a.size


def test_mse_is_mean_over_all_elements(rng):
    a, b = rng.normal(size=(4, 5, 6)), rng.normal(size=(4, 5, 6))
    assert float(mse(a, b)) == pytest.approx(np.mean((a - b) ** 2), rel=1e-6)  # float32 on JAX
    # not the per-last-axis mean of keras.losses.mean_squared_error
    assert np.ndim(mse(a, b)) == 0


def test_gram_matrix_matches_numpy(rng):
    a = rng.normal(size=(7, 5, 3)).astype(np.float32)
    g = to_numpy(gram_matrix(a))
    assert g.shape == (3, 3)
    np.testing.assert_allclose(g, np_gram(a.astype(np.float64)), rtol=1e-5)
    np.testing.assert_allclose(g, g.T, rtol=1e-6)


def test_gram_matrix_known_value():
    a = np.zeros((1, 2, 2), np.float32)
    a[0, 0] = [1, 2]
    a[0, 1] = [3, 4]
    # F = [[1, 3], [2, 4]]; F F^T = [[10, 14], [14, 20]]; / 4 elements
    np.testing.assert_allclose(to_numpy(gram_matrix(a)), [[2.5, 3.5], [3.5, 5.0]])


def test_content_loss(rng):
    a, b = rng.normal(size=(3, 3, 8)), rng.normal(size=(3, 3, 8))
    assert float(content_loss(a, b)) == pytest.approx(np.mean((a - b) ** 2))


def test_style_loss_against_numpy(rng):
    a = rng.normal(size=(6, 4, 5)).astype(np.float32)
    t = rng.normal(size=(8, 3, 5)).astype(np.float32)  # a target of another size
    expected = np.mean((np_gram(a.astype(np.float64)) - np_gram(t.astype(np.float64))) ** 2)
    assert float(style_loss(a, gram_matrix(t))) == pytest.approx(expected, rel=1e-4)
    # the lesson's own call: the target activation, not its Gram matrix
    assert float(style_loss(a, t)) == pytest.approx(expected, rel=1e-4)


def test_total_variation_loss(rng):
    x = rng.normal(size=(1, 5, 7, 3))
    dh = np.sum((x[:, 1:] - x[:, :-1]) ** 2)
    dw = np.sum((x[:, :, 1:] - x[:, :, :-1]) ** 2)
    assert float(total_variation_loss(x)) == pytest.approx((dh + dw) / x.size)
    assert float(total_variation_loss(np.ones((1, 4, 4, 3)))) == 0.0
