"""The settings of one optimisation run (``Config``, with the lesson's defaults per recipe),
what a run returns (``Result``), and the settings of one training run (``TrainConfig``).
Each default is declared here once; the command takes its options' defaults from these.
No Keras is imported, so that the command can parse and check its options first."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from neural_style.errors import NeuralStyleError
from neural_style.vgg16_layers import check_layers

OPTIMIZERS = ("lbfgs-restart", "lbfgs", "lbfgs-device")
NORMS = ("batch", "instance", "demod")  # of the perceptual-loss networks (neural_style.nets)
# The style network's optional training terms: each a TrainConfig weight (0: off), an
# option of `neural-style train`, an output of the trainer and a logged loss.
OPTIONAL_TERMS = {
    "stability": (
        "weight of the video stability term: a crop moved by a few whole px must give the result "
        "moved the same way"
    ),
    "saturation": (
        "weight of a penalty on the output layer's tanh input beyond +-2, where its gradient "
        "vanishes and flat, saturated blobs stay"
    ),
    "spikes": (
        "weight of a penalty on pixels whose features exceed 6 times the image's mean, which the "
        "network paints as glowing blobs"
    ),
    "glow": (
        "weight of a penalty on regions (8 px) of the result brighter than the photo's by over 40 "
        "levels of luma: glowing blobs"
    ),
}

STYLE_LAYERS = tuple(f"block{b}_conv2" for b in range(1, 6))
STYLE_LAYER_WEIGHTS = (0.05, 0.2, 0.2, 0.25, 0.3)


@dataclass
class Config:
    """Settings of one run.  Weights are plain multipliers of each loss term."""

    content_layer: str | None = "block4_conv2"  # None: no content term
    content_weight: float = 0.1  # the lesson's "/10"
    style_layers: tuple = STYLE_LAYERS  # empty: no style term
    layer_weights: tuple | None = STYLE_LAYER_WEIGHTS  # None: equal weights of 1
    style_weight: float = 1.0
    style_blend: tuple | None = None  # one weight per style image, normalised to sum 1
    tv_weight: float = 0.0
    pooling: str = "avg"
    weights: str | None = "imagenet"  # "imagenet", a path, or None (random)
    init: object = "noise"  # "noise", "content", "style", a path, or an RGB array
    noise_scale: float = 1.0  # noise is uniform(-2.5, 2.5) / noise_scale
    seed: int | None = None
    crop_content: bool = True  # lesson: canvas = style size, content cropped top-left
    iterations: int = 10
    maxfun: int = 20
    clip: float = 127.0
    optimizer: str = "lbfgs-restart"
    out_dir: str | None = None
    fname: str = "res_at_iteration_{i}.png"
    save_every: int = 1
    bytescale: bool = False
    verbose: bool = True
    jit_compile: bool | None = None
    callbacks: list = field(default_factory=list)  # each callback(i, x, loss)
    on_eval: object = None  # hook(loss) after every evaluation (progress bars)
    logdir: str | None = None  # TensorBoard: loss terms and image per outer iteration
    log_step: int = 0  # first TensorBoard step (coarse-to-fine stages continue the count)

    @classmethod
    def lesson(cls, recipe="style", **overrides):
        """The lesson's settings for ``recipe`` in "content", "style", "transfer"."""
        defaults = {
            "content": dict(
                content_layer="block5_conv1",
                content_weight=1.0,
                style_layers=(),
                layer_weights=None,
                noise_scale=100.0,
            ),
            "style": dict(
                content_layer=None,
                style_layers=("block1_conv1", "block2_conv1"),
                layer_weights=None,
            ),
            "transfer": {},
        }
        if recipe not in defaults:
            raise NeuralStyleError(f"recipe={recipe!r} is not valid; use {', '.join(defaults)}")
        return dataclasses.replace(cls(), **{**defaults[recipe], **overrides})

    def validate(self):
        """Raise NeuralStyleError for any invalid value, before anything is computed."""
        check_layers(([self.content_layer] if self.content_layer else []) + list(self.style_layers))
        if self.layer_weights is not None and len(self.layer_weights) != len(self.style_layers):
            raise NeuralStyleError(
                f"{len(self.layer_weights)} layer weights for {len(self.style_layers)} style "
                "layers; give one weight per style layer"
            )
        named = {
            "content_weight": self.content_weight,
            "style_weight": self.style_weight,
            "tv_weight": self.tv_weight,
            "clip": self.clip,
            "noise_scale": self.noise_scale,
        }
        named.update({f"layer_weights[{i}]": w for i, w in enumerate(self.layer_weights or ())})
        named.update({f"style_blend[{i}]": w for i, w in enumerate(self.style_blend or ())})
        for name, value in named.items():
            if not np.isfinite(value) or value < 0:
                raise NeuralStyleError(f"{name}={value!r} is not valid; give a finite number >= 0")
        if self.optimizer not in OPTIMIZERS:
            raise NeuralStyleError(
                f"optimizer={self.optimizer!r} is not valid; use one of {', '.join(OPTIMIZERS)}"
            )
        for name in ("iterations", "maxfun", "save_every"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise NeuralStyleError(f"{name}={value!r} is not valid; give a whole number >= 1")
        if self.style_blend is not None and sum(self.style_blend) <= 0:
            raise NeuralStyleError(
                "style_blend weights sum to 0; give at least one positive weight"
            )


@dataclass
class Result:
    """What a recipe returns.  Images are RGB uint8 (H, W, 3)."""

    image: np.ndarray
    images: list  # one per outer iteration
    losses: list  # loss after each outer iteration
    x: np.ndarray  # final preprocessed BGR image, (1, H, W, 3)
    config: Config
    seconds: float
    n_evals: int
    stopped: str | None = None  # None, "signal", or why the run stopped early


@dataclass
class TrainConfig:
    """The lesson's settings by default: style network, 288 px, batch 8, Adam 1e-3 for
    2 epochs then 1e-4 for one, batch normalisation."""

    task: str = "style"
    size: int = 288
    batch_size: int = 8
    epochs: int = 3
    steps: int | None = None  # steps per epoch; default one pass over the images
    lr: float = 1e-3
    norm: str = "batch"
    seed: int = 0
    workers: int = 2
    samples: int = 3  # images shown in TensorBoard after each epoch
    style_names: tuple = ()  # the style images' names, recorded with the network (one per style)
    style_weight: float = 1.0  # the style term's weight against the content term's (the lesson: 1)
    stability: float = 0.0  # weight of the temporal stability term (kinds.style.motion); 0: none
    saturation: float = (
        0.0  # weight of the penalty on the output's tanh input beyond SATURATION_LIMIT; 0: none
    )
    spikes: float = (
        0.0  # weight of the penalty on feature spikes beyond SPIKE_LIMIT (glowing blobs); 0: none
    )
    glow: float = (
        0.0  # weight of the penalty on regions far brighter than the photo (terms.glow_b); 0: none
    )

    def validate(self):
        """Raise NeuralStyleError for any invalid value, before anything is built."""
        from neural_style import kinds

        kind = kinds.get(self.task)
        if self.norm not in NORMS:
            raise NeuralStyleError(
                f"norm {self.norm!r} is not valid; use one of {', '.join(NORMS)}"
            )
        kind.check_size(self.size)
        for name in ("batch_size", "epochs", "workers"):
            if getattr(self, name) < 1:
                raise NeuralStyleError(f"{name} {getattr(self, name)} is not valid; give 1 or more")
        if self.steps is not None and self.steps < 1:
            raise NeuralStyleError(f"steps {self.steps} is not valid; give 1 or more")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise NeuralStyleError(f"learning rate {self.lr} is not valid; give a positive number")
        for name in OPTIONAL_TERMS:  # the optional loss terms' weights
            value = getattr(self, name)
            if not (value >= 0 and math.isfinite(value)):
                raise NeuralStyleError(
                    f"{name} {value} is not valid; give 0 (none) or a positive weight"
                )
        if not (self.style_weight > 0 and math.isfinite(self.style_weight)):
            raise NeuralStyleError(
                f"style_weight {self.style_weight} is not valid; give a positive weight (the "
                "lesson: 1)"
            )
        if len(set(self.style_names)) != len(self.style_names):
            raise NeuralStyleError(
                f"the styles {', '.join(self.style_names)} name one twice; give each style once"
            )
        kind.check_styles(len(self.style_names))

    def lr_at(self, epoch):
        """The lesson's schedule: ``lr``, then ``lr / 10`` for the last epoch (of 2 or more)."""
        return self.lr / 10 if self.epochs > 1 and epoch == self.epochs - 1 else self.lr
