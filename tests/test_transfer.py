"""End to end with the real weights on the lesson paintings, at small size."""

import numpy as np
import pytest

from neural_style import objective, transfer
from neural_style.errors import NeuralStyleError


def test_style_transfer_end_to_end(weights_path, painting, photo, tmp_path):
    result = transfer.style_transfer(photo, painting, iterations=4, out_dir=tmp_path, seed=0)
    print("loss history:", result.losses)
    assert result.losses[0] / result.losses[-1] > 1  # decreasing
    assert all(b <= a for a, b in zip(result.losses, result.losses[1:]))
    # from the noise start to the end: at least a 10x drop
    problem = transfer.transfer_problem(photo, painting, seed=0)
    start = float(problem.loss_fn(problem.x0))
    print("start loss:", start)
    assert start / result.losses[-1] >= 10
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"res_at_iteration_{i}.png" for i in range(4)
    ]
    assert result.image.shape == painting.shape and result.image.dtype == np.uint8
    assert len(result.images) == 4 and result.n_evals >= 4 * 5


def test_lesson_defaults():
    cfg = transfer.Config.lesson("transfer")
    assert cfg.style_layers == tuple(f"block{i}_conv2" for i in range(1, 6))
    assert cfg.layer_weights == (0.05, 0.2, 0.2, 0.25, 0.3)
    assert (cfg.content_layer, cfg.content_weight) == ("block4_conv2", 0.1)
    assert (cfg.iterations, cfg.maxfun, cfg.clip) == (10, 20, 127)
    c = transfer.Config.lesson("content")
    assert (c.content_layer, c.noise_scale, c.style_layers) == ("block5_conv1", 100.0, ())
    s = transfer.Config.lesson("style")
    assert s.style_layers == ("block1_conv1", "block2_conv1") and s.content_layer is None


@pytest.mark.parametrize(
    "overrides, message",
    [
        (dict(style_layers=("block9_conv1",)), "unknown VGG16 layer"),
        (dict(content_weight=-1.0), "content_weight=-1.0"),
        (dict(tv_weight=float("nan")), "tv_weight=nan"),
        (dict(layer_weights=(1.0,)), "1 layer weights for 5 style layers"),
        (dict(iterations=0), "iterations=0"),
    ],
)
def test_bad_settings_fail_before_computing(overrides, message):
    with pytest.raises(NeuralStyleError, match=message):
        transfer.style_transfer(
            np.zeros((40, 40, 3), np.uint8), np.zeros((40, 40, 3), np.uint8), **overrides
        )


def test_too_small_image():
    with pytest.raises(NeuralStyleError, match="too small"):
        transfer.recreate_style(np.zeros((20, 40, 3), np.uint8), weights=None, iterations=1)


def test_paper_weights_make_our_loss_the_papers(rng):
    """Gatys et al.'s sums, in numpy, against our means with transfer.paper_weights."""
    from neural_style.backend import to_numpy

    layers, content_layer, ratio, beta = ("block1_conv1", "block2_conv1"), "block4_conv2", 1e-3, 7.0
    h, w = 64, 48
    cfg = transfer.Config.lesson(
        "transfer", weights=None, style_layers=layers, content_layer=content_layer
    )
    cw, lw = transfer.paper_weights(ratio, layers, content_layer, h, w)
    cfg = transfer.dataclasses.replace(cfg, content_weight=cw, layer_weights=lw)
    model = transfer.build_model(cfg)
    x, content = (rng.uniform(-100, 100, (1, h, w, 3)).astype(np.float32) for _ in range(2))
    style = rng.integers(0, 256, (h, w, 3)).astype(np.uint8)
    grams = transfer.style_targets(model, [style], 2)
    style_acts = [
        to_numpy(a)[0].astype(np.float64)
        for a in objective.features(model, objective.as_batch(style))[:2]
    ]
    content_act = to_numpy(objective.features(model, content)[-1])[0].astype(np.float64)
    ours = float(
        transfer.make_loss(model, cfg, content_target=content_act[None], style_grams=grams)(x)
    )

    outs = [to_numpy(a)[0].astype(np.float64) for a in objective.features(model, x)]
    l_content = 0.5 * np.sum((outs[-1] - content_act) ** 2)
    l_style = 0
    for f, a in zip(outs[:2], style_acts):
        n, m = f.shape[-1], f.shape[0] * f.shape[1]
        F, A = f.reshape(m, n), a.reshape(m, n)
        l_style += (1 / len(layers)) * np.sum((F.T @ F - A.T @ A) ** 2) / (4 * n**2 * m**2)
    paper = ratio * beta * l_content + beta * l_style
    assert ours * beta == pytest.approx(paper, rel=1e-3)


def test_continuous_lbfgs_moves_a_near_grey_start_and_spends_its_budget(weights_path):
    """A style reconstruction from the lesson's noise (+-2.5: nearly grey) at conv1_1 has a
    per-pixel gradient near 1e-4.  With box bounds, scipy's first step was that raw
    gradient, the float32 loss did not change, and the run ended after one line search
    with the image still grey (from 128 px up); unbounded, it runs its 100 evaluations."""
    from neural_style import data

    painting = data.load("starry_night", size=128)
    cfg = transfer.Config.lesson("style", style_layers=("block1_conv1",), seed=0)
    model = transfer.build_model(cfg)
    x0 = transfer.initial_image(cfg, (1, *painting.shape[:2], 3))
    start = float(
        transfer.make_loss(model, cfg, style_grams=transfer.style_targets(model, [painting], 1))(x0)
    )
    r = transfer.recreate_style(
        painting, cfg, iterations=2, maxfun=50, optimizer="lbfgs", verbose=False
    )
    assert r.n_evals >= 100 and r.losses[-1] < 1e-3 * start
    grey = np.clip(x0[0][..., ::-1] + 120, 0, 255).std()  # the start's spread: the +-2.5 noise
    assert grey < 2 and r.image.std() > 30
