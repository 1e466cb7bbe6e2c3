"""The lesson's three recipes over one configuration object.

- ``recreate_content``: find an image whose ``block5_conv1`` activations match a photo's;
- ``recreate_style``: find an image whose Gram matrices at ``block1_conv1`` and
  ``block2_conv1`` match a painting's;
- ``style_transfer``: both at once, Gatys et al. 2015.

Every recipe starts from ``Config.lesson(recipe)``, the lesson's defaults, and any field
can be overridden by keyword.  Images go in as RGB uint8 (H, W, 3) arrays.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import math
import time
from dataclasses import dataclass

import numpy as np

from neural_style import backend
from neural_style.backend import ops
from neural_style.config import Config, Result
from neural_style.errors import NeuralStyleError
from neural_style.images import deproc, load_image, preproc, resize, to_uint8
from neural_style.losses import content_loss, gram_matrix, style_loss, total_variation_loss
from neural_style.optimize import Evaluator, loss_and_grads_fn, rand_img, solve_image
from neural_style.vgg16_avg import (
    MIN_SIDE,
    VGG16_Avg,
    feature_model,
    layer_shapes,
)


def _as_batch(img) -> np.ndarray:
    """RGB uint8 (H, W, 3) -> preprocessed BGR float32 (1, H, W, 3)."""
    img = np.asarray(img)
    if img.ndim != 3 or img.shape[-1] != 3:
        raise NeuralStyleError(f"expected an RGB image of shape (H, W, 3), got {img.shape}")
    if min(img.shape[:2]) < MIN_SIDE:
        raise NeuralStyleError(
            f"image of {img.shape[1]}x{img.shape[0]} px is too small: VGG16's five poolings "
            f"need at least {MIN_SIDE} px on each side; use a larger image or --size"
        )
    return preproc(img.astype(np.float32))[None].copy()


def build_model(cfg: Config):
    """The truncated feature model: outputs the style layers, then the content layer.

    Built once per (weights, pooling, layers) and reused: a batch of images or a sweep
    pays for loading and verifying the weights once.
    """
    layers = tuple(cfg.style_layers) + ((cfg.content_layer,) if cfg.content_layer else ())
    weights = str(cfg.weights) if cfg.weights is not None else None
    return _feature_model(weights, cfg.pooling, layers)


@functools.lru_cache(maxsize=8)
def _feature_model(weights, pooling, layers):
    return feature_model(VGG16_Avg(weights=weights, pooling=pooling), list(layers))


def _outputs(model, x) -> list:
    out = model(x, training=False)
    return out if isinstance(out, (list, tuple)) else [out]


def style_targets(model, styles, n_style, blend=None) -> list:
    """Gram matrices (C, C) of each style layer, blended over the style images.

    The first ``n_style`` outputs of ``model`` are the style layers.  ``blend`` weights
    are normalised to sum to 1, so the target of each layer is the weighted mean of the
    style images' Gram matrices.
    """
    blend = np.ones(len(styles)) if blend is None else np.asarray(blend, dtype=np.float64)
    if len(blend) != len(styles):
        raise NeuralStyleError(
            f"{len(blend)} style blend weights for {len(styles)} style images; give one per image"
        )
    blend = blend / blend.sum()
    key = (n_style, tuple(blend), *((np.shape(s), hashlib.sha1(np.ascontiguousarray(s)).hexdigest()) for s in styles))
    if _style_cache.get("model") is not model or _style_cache.get("key") != key:
        _style_cache.update(model=model, key=key, targets=_style_targets(model, styles, n_style, blend))
    return _style_cache["targets"]


_style_cache = {}  # the last style targets: a batch computes them once


def _style_targets(model, styles, n_style, blend):
    targets = None
    for w, style in zip(blend, styles):
        acts = _outputs(model, _as_batch(style))[:n_style]
        grams = [float(w) * gram_matrix(a[0]) for a in acts]
        targets = grams if targets is None else [t + g for t, g in zip(targets, grams)]
    return [ops.convert_to_tensor(t) for t in targets]


def make_loss(model, cfg: Config, content_target=None, style_grams=(), parts=False):
    """The total loss of a preprocessed image x (1, H, W, 3), as a function of x.

    total = content_weight * mse(content layer, target)
          + style_weight * sum_l layer_weight_l * mse(gram_l, target gram_l)
          + tv_weight * total_variation(x)
    With ``parts=True`` the function returns a dict of the terms instead.
    """
    n_style = len(cfg.style_layers)
    layer_weights = cfg.layer_weights or (1.0,) * n_style

    def loss_fn(x):
        outs = _outputs(model, x)
        terms = {}
        for name, w, act, targ in zip(cfg.style_layers, layer_weights, outs[:n_style], style_grams):
            terms[f"style/{name}"] = cfg.style_weight * w * style_loss(act[0], targ)
        if cfg.content_layer:
            terms["content"] = cfg.content_weight * content_loss(outs[n_style][0], content_target[0])
        if cfg.tv_weight:
            terms["tv"] = cfg.tv_weight * total_variation_loss(x)
        return terms if parts else ops.sum(ops.stack(list(terms.values())))

    return loss_fn


def paper_weights(ratio, style_layers, content_layer, height, width, paper_size=None):
    """``(content_weight, layer_weights)`` that make our loss proportional to the paper's
    ``alpha * L_content + beta * L_style`` with ``alpha / beta = ratio``.

    Gatys et al. 2015 sum where the lesson averages.  For a layer with N channels and
    M = h w positions, F its activation and P its target:

    - paper: L_content = 1/2 sum (F - P)^2; ours: mean (F - P)^2 = 2 / (N M) L_content;
    - paper: E_l = 1 / (4 N^2 M^2) sum (G - A)^2 with G = F F^T; ours: mse of G / (N M),
      i.e. 1 / (N^2 (N M)^2) sum (G - A)^2 = 4 / N^2 E_l;
    - paper: L_style = sum_l w_l E_l with w_l = 1 / (number of style layers).

    So with ``content_weight = ratio * N_c M_c / 2`` and ``layer_weights[l] = w_l N_l^2 / 4``
    (style_weight 1) our total is the paper's divided by beta, for an image of ``height``
    x ``width``.  The paper's content loss grows with the image (a sum over positions)
    and its style loss does not, so its ratios hold for its image size: with
    ``paper_size`` (e.g. 512, the longest side the paper's ratios were chosen for) M_c is
    counted at that size, which keeps the paper's balance on a smaller image.
    """
    if paper_size is not None:
        scale = paper_size / max(height, width)
        height, width = round(height * scale), round(width * scale)
    shapes = {name: (h * w, c) for name, h, w, _, c in layer_shapes(height, width)}
    m_c, n_c = shapes[content_layer]
    content_weight = ratio * n_c * m_c / 2
    layer_weights = tuple(shapes[name][1] ** 2 / 4 / len(style_layers) for name in style_layers)
    return content_weight, layer_weights


def initial_image(cfg: Config, shape, content=None, style=None) -> np.ndarray:
    """The starting point, preprocessed BGR float32 of ``shape`` (1, H, W, 3)."""
    init = cfg.init
    if isinstance(init, str) and init == "noise":
        return rand_img(shape, cfg.noise_scale, rng=cfg.seed)
    if isinstance(init, str) and init in ("content", "style"):
        img = content if init == "content" else style
        if img is None:
            raise NeuralStyleError(f"init={init!r} but this recipe has no {init} image")
    elif isinstance(init, np.ndarray):
        img = init
    else:
        img = load_image(init)
    img = np.asarray(img)
    if img.shape[:2] != tuple(shape[1:3]):
        img = backend.to_numpy(
            ops.image.resize(img.astype(np.float32), shape[1:3], interpolation="bicubic")
        ).clip(0, 255)
    return _as_batch(img)


def run(loss_fn, x0, cfg: Config, parts_fn=None) -> Result:
    """Compile ``loss_fn``, optimise from ``x0`` with ``solve_image``, collect the results.

    ``parts_fn`` (x -> dict of loss terms) feeds TensorBoard when ``cfg.logdir`` is set.
    """
    shape = x0.shape
    callbacks = list(cfg.callbacks)
    if cfg.logdir and parts_fn is not None:
        from neural_style.tblog import TensorBoardLogger

        callbacks.append(TensorBoardLogger(cfg.logdir, parts_fn, cfg, step_offset=cfg.log_step))
    f = loss_and_grads_fn(loss_fn, shape, jit_compile=cfg.jit_compile)
    evaluator = Evaluator(f, shape)
    evaluator.on_eval = cfg.on_eval
    images = []

    def collect(i, x, loss):
        images.append(to_uint8(deproc(x.copy(), shape)))
        for cb in callbacks:
            cb(i, x, loss)

    start = time.perf_counter()
    x, losses = solve_image(
        evaluator, cfg.iterations, x0, maxfun=cfg.maxfun, clip=cfg.clip, out_dir=cfg.out_dir,
        fname=cfg.fname, callback=collect, optimizer=cfg.optimizer, save_every=cfg.save_every,
        bytescale=cfg.bytescale, verbose=cfg.verbose,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    image = to_uint8(deproc(x.copy(), shape))
    return Result(image, images, losses, x, cfg, seconds, evaluator.n_evals, evaluator.stopped)


def _run_recipe(model, cfg, x0, **targets) -> Result:
    loss_fn = make_loss(model, cfg, **targets)
    return run(loss_fn, x0, cfg, parts_fn=make_loss(model, cfg, parts=True, **targets))


def _config(recipe, config, overrides) -> Config:
    cfg = dataclasses.replace(config, **overrides) if config else Config.lesson(recipe, **overrides)
    cfg.validate()
    return cfg


def recreate_content(content, config=None, **overrides) -> Result:
    """Reconstruct a photo (RGB uint8 (H, W, 3)) from its ``content_layer`` activations,
    starting from noise / 100 (the lesson's "Recreate input")."""
    cfg = _config("content", config, overrides)
    model = build_model(cfg)
    target = _outputs(model, _as_batch(content))[-1]
    x0 = initial_image(cfg, (1, *np.shape(content)[:2], 3), content=content)
    return _run_recipe(model, cfg, x0, content_target=target)


def recreate_style(style, config=None, **overrides) -> Result:
    """Synthesise a texture matching a painting's Gram matrices at ``style_layers``,
    starting from uniform(-2.5, 2.5) noise (the lesson's "Recreate style")."""
    cfg = _config("style", config, overrides)
    model = build_model(cfg)
    grams = style_targets(model, [style], len(cfg.style_layers))
    x0 = initial_image(cfg, (1, *np.shape(style)[:2], 3), style=style)
    return _run_recipe(model, cfg, x0, style_grams=grams)


def style_transfer(content, style, config=None, **overrides) -> Result:
    """Gatys et al. style transfer of ``content`` in the style of ``style``.

    ``style`` is one RGB image or a list of them (blended by ``style_blend``).  With
    ``crop_content=True`` (the lesson) the result has the first style image's size and
    the content target is the top-left crop of the content image to that size; with
    False the result has the content image's size.
    """
    problem = transfer_problem(content, style, config, **overrides)
    return run(problem.loss_fn, problem.x0, problem.cfg, parts_fn=problem.parts_fn)


@dataclass
class Problem:
    """A style transfer, ready to optimise: the loss of a preprocessed BGR image
    (1, H, W, 3), its terms (``parts_fn``), the start image and the settings."""

    loss_fn: object
    parts_fn: object
    x0: np.ndarray
    cfg: Config


def transfer_problem(content, style, config=None, **overrides) -> Problem:
    """What ``style_transfer`` optimises, without optimising it (benchmarks, tests, your
    own optimiser).  Arguments as for ``style_transfer``."""
    cfg = _config("transfer", config, overrides)
    styles = list(style) if isinstance(style, (list, tuple)) else [style]
    if cfg.crop_content:
        h, w = np.shape(styles[0])[:2]
        ch, cw = np.shape(content)[:2]
        if ch < h or cw < w:  # too small to crop: enlarge it just enough to cover the canvas
            scale = max(h / ch, w / cw)
            content = resize(content, size=math.ceil(max(ch, cw) * scale))
        content = np.asarray(content)[:h, :w]
    model = build_model(cfg)
    targets = dict(
        style_grams=style_targets(model, styles, len(cfg.style_layers), cfg.style_blend),
        content_target=_outputs(model, _as_batch(content))[-1] if cfg.content_layer else None,
    )
    x0 = initial_image(cfg, (1, *np.shape(content)[:2], 3), content=content, style=styles[0])
    return Problem(make_loss(model, cfg, **targets), make_loss(model, cfg, parts=True, **targets), x0, cfg)
