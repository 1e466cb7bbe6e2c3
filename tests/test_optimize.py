"""Evaluator gradients against finite differences, caching, and the lesson's outer loop."""

import numpy as np
import pytest

from neural_style import objective, transfer
from neural_style.optimize import Evaluator, loss_and_grads_fn, rand_img, solve_image
from neural_style.vgg16_avg import VGG16_Avg, feature_model

SHAPE = (1, 32, 32, 3)


@pytest.fixture(scope="module")
def evaluator():
    """Style + content + TV loss on a random-weight network: every term's gradient counts."""
    import keras

    keras.utils.set_random_seed(0)
    cfg = transfer.Config.lesson(
        "transfer",
        weights=None,
        style_layers=("block1_conv1", "block2_conv1"),
        layer_weights=(1.0, 1.0),
        content_layer="block2_conv2",
        tv_weight=0.1,
    )
    model = feature_model(VGG16_Avg(weights=None), list(cfg.style_layers) + [cfg.content_layer])
    rng = np.random.default_rng(0)
    style = rng.integers(0, 256, (32, 32, 3)).astype(np.uint8)
    content = rng.integers(0, 256, (32, 32, 3)).astype(np.uint8)
    grams = transfer.style_targets(model, [style], 2)
    target = objective.features(model, objective.as_batch(content))[-1]
    loss_fn = transfer.make_loss(model, cfg, content_target=target, style_grams=grams)
    return Evaluator(loss_and_grads_fn(loss_fn, SHAPE), SHAPE)


def test_gradient_matches_central_differences(evaluator):
    rng = np.random.default_rng(1)
    x = rng.uniform(-20, 20, SHAPE).ravel()
    evaluator.loss(x)
    g = evaluator.grads(x).copy()
    # directional derivatives along random directions and along single pixels
    eps = 0.05
    directions = [rng.normal(size=x.size) for _ in range(3)]
    for i in rng.choice(x.size, 4, replace=False):
        d = np.zeros(x.size)
        d[i] = 1.0
        directions.append(d)
    for d in directions:
        numeric = (evaluator.loss(x + eps * d) - evaluator.loss(x - eps * d)) / (2 * eps)
        assert g @ d == pytest.approx(numeric, rel=2e-2, abs=1e-3 * np.abs(g).max())


def test_grads_follow_the_point(evaluator):
    rng = np.random.default_rng(2)
    x1, x2 = rng.uniform(-20, 20, (2, int(np.prod(SHAPE))))
    evaluator.loss(x1)
    g1 = evaluator.grads(x1).copy()
    n = evaluator.n_evals
    assert evaluator.grads(x1) is evaluator.grads(x1) and evaluator.n_evals == n  # cached
    g2 = evaluator.grads(x2)  # not the point loss() saw: recomputed
    assert evaluator.n_evals == n + 1 and not np.allclose(g1, g2)
    assert evaluator.grads(x2).dtype == np.float64


def test_rand_img():
    x = rand_img((1, 8, 8, 3), 100, rng=0)
    assert x.shape == (1, 8, 8, 3) and x.dtype == np.float32
    assert np.abs(x).max() <= 0.025
    np.testing.assert_array_equal(x, rand_img((1, 8, 8, 3), 100, rng=0))


def test_solve_image_lesson_loop(evaluator, tmp_path, capsys):
    x0 = rand_img(SHAPE, 1, rng=3) * 40
    seen = []
    x, losses = solve_image(
        evaluator, 3, x0, maxfun=5, out_dir=tmp_path, callback=lambda i, x, l: seen.append(i)
    )
    out = capsys.readouterr().out
    assert out.count("Current loss value:") == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"res_at_iteration_{i}.png" for i in range(3)
    ]
    assert seen == [0, 1, 2] and x.shape == SHAPE and np.abs(x).max() <= 127
    assert losses[-1] < losses[0]


def test_solve_image_continuous(evaluator):
    x0 = rand_img(SHAPE, 1, rng=3) * 40
    before = evaluator.n_evals
    x, losses = solve_image(evaluator, 3, x0, maxfun=5, optimizer="lbfgs", verbose=False)
    assert len(losses) == 3 and np.abs(x).max() <= 127
    # it moves, every outer iteration
    assert losses[0] > losses[1] > losses[2] and not np.array_equal(x, x0)
    # up to maxfun evaluations each (scipy may take one more)
    assert 3 < evaluator.n_evals - before <= 3 * 5 + 3
