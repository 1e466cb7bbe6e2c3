"""End to end with the real weights on the lesson paintings, at small size."""

import numpy as np
import pytest

from neural_style import transfer
from neural_style.errors import NeuralStyleError


def test_style_transfer_end_to_end(weights_path, painting, photo, tmp_path):
    result = transfer.style_transfer(photo, painting, iterations=4, out_dir=tmp_path, seed=0)
    print("loss history:", result.losses)
    assert result.losses[0] / result.losses[-1] > 1  # decreasing
    assert all(b <= a for a, b in zip(result.losses, result.losses[1:]))
    # from the noise start to the end: at least a 10x drop
    cfg = transfer.Config.lesson("transfer", seed=0)
    model = transfer.build_model(cfg)
    grams = transfer.style_targets(model, [painting], 5)
    content = photo[: painting.shape[0], : painting.shape[1]]
    target = transfer._outputs(model, transfer._as_batch(content))[-1]
    loss_fn = transfer.make_loss(model, cfg, content_target=target, style_grams=grams)
    x0 = transfer.initial_image(cfg, (1, *painting.shape[:2], 3))
    start = float(loss_fn(x0))
    print("start loss:", start)
    assert start / result.losses[-1] >= 10
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"res_at_iteration_{i}.png" for i in range(4)]
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
        transfer.style_transfer(np.zeros((40, 40, 3), np.uint8), np.zeros((40, 40, 3), np.uint8), **overrides)


def test_too_small_image():
    with pytest.raises(NeuralStyleError, match="too small"):
        transfer.recreate_style(np.zeros((20, 40, 3), np.uint8), weights=None, iterations=1)
