"""The lesson's three recipes over one configuration object.

- ``recreate_content``: find an image whose ``block5_conv1`` activations match a photo's;
- ``recreate_style``: find an image whose Gram matrices at ``block1_conv1`` and
  ``block2_conv1`` match a painting's;
- ``style_transfer``: both at once, Gatys et al. 2015.

Every recipe starts from ``Config.lesson(recipe)``, the lesson's defaults, and any field
can be overridden by keyword.  Images go in as RGB uint8 (H, W, 3) arrays.  What they
minimise (features, targets, the loss, the start image) is ``objective``'s.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import numpy as np

from neural_style.config import Config, Result
from neural_style.images import deproc, resize, to_uint8
from neural_style.objective import (
    as_batch,
    build_model,
    features,
    initial_image,
    make_loss,
    paper_weights,  # noqa: F401 - the notebooks' transfer.paper_weights
    style_targets,
)
from neural_style.optimize import Evaluator, loss_and_grads_fn, solve_image


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
        evaluator,
        cfg.iterations,
        x0,
        maxfun=cfg.maxfun,
        clip=cfg.clip,
        out_dir=cfg.out_dir,
        fname=cfg.fname,
        callback=collect,
        optimizer=cfg.optimizer,
        save_every=cfg.save_every,
        bytescale=cfg.bytescale,
        verbose=cfg.verbose,
    )
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
    target = features(model, as_batch(content))[-1]
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
        content_target=features(model, as_batch(content))[-1] if cfg.content_layer else None,
    )
    x0 = initial_image(cfg, (1, *np.shape(content)[:2], 3), content=content, style=styles[0])
    return Problem(
        make_loss(model, cfg, **targets), make_loss(model, cfg, parts=True, **targets), x0, cfg
    )
