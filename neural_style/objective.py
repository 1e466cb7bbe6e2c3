"""What the lesson's optimisation minimises: VGG16's features of an image (the truncated
``VGG16_Avg``, built once per weights, pooling and layers), the style and content targets,
the loss (content, style, total variation; Gatys et al.'s weighting with
``paper_weights``) and the image it starts from.  ``transfer`` runs the recipes over it.
Images go in as RGB uint8 (H, W, 3) arrays; the loss takes preprocessed BGR (1, H, W, 3).
"""

from __future__ import annotations

import functools
import hashlib

import numpy as np

from neural_style import backend
from neural_style.backend import ops
from neural_style.config import Config
from neural_style.errors import NeuralStyleError
from neural_style.images import load_image, preproc
from neural_style.losses import content_loss, gram_matrix, style_loss, total_variation_loss
from neural_style.optimize import rand_img
from neural_style.vgg16_avg import MIN_SIDE, VGG16_Avg, feature_model, layer_shapes


def as_batch(img) -> np.ndarray:
    """RGB uint8 (H, W, 3) -> preprocessed BGR float32 (1, H, W, 3)."""
    img = np.asarray(img)
    if img.ndim != 3 or img.shape[-1] != 3:
        raise NeuralStyleError(f"expected an RGB image of shape (H, W, 3), got {img.shape}")
    if min(img.shape[:2]) < MIN_SIDE:
        raise NeuralStyleError(
            f"image of {img.shape[1]}x{img.shape[0]} px is too small: VGG16's five poolings need "
            f"at least {MIN_SIDE} px on each side; use a larger image or --size"
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


def features(model, x) -> list:
    """``model``'s outputs on a preprocessed batch x (B, H, W, 3), always as a list."""
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
    key = (
        n_style,
        tuple(blend),
        *((np.shape(s), hashlib.sha1(np.ascontiguousarray(s)).hexdigest()) for s in styles),
    )
    if _style_cache.get("model") is not model or _style_cache.get("key") != key:
        _style_cache.update(
            model=model, key=key, targets=_style_targets(model, styles, n_style, blend)
        )
    return _style_cache["targets"]


_style_cache = {}  # the last style targets: a batch computes them once


def _style_targets(model, styles, n_style, blend):
    targets = None
    for w, style in zip(blend, styles):
        acts = features(model, as_batch(style))[:n_style]
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
        outs = features(model, x)
        terms = {}
        for name, w, act, targ in zip(cfg.style_layers, layer_weights, outs[:n_style], style_grams):
            terms[f"style/{name}"] = cfg.style_weight * w * style_loss(act[0], targ)
        if cfg.content_layer:
            terms["content"] = cfg.content_weight * content_loss(
                outs[n_style][0], content_target[0]
            )
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
    return as_batch(img)
