"""One network for many styles, blended at will (Dumoulin, Shlens and Kudlur 2017, the
TF Stylize demo of the TensorFlow notes): the lesson's style network with conditional
instance normalisation, ``nets.style_net(styles=n)``, a second input of style weights.

Training gives every batch every style: image k of an epoch is trained towards style
k mod n (one-hot weights), so each step's gradient pulls on all the styles' scales and
shifts at once and no style waits n steps for its turn; the rest of the network, shared,
sees every style equally often.  Applying takes a style by name, or a blend (weights
normalised to sum 1, as the paper's sliders).
"""

from __future__ import annotations

import numpy as np

from neural_style.errors import NeuralStyleError
from neural_style.kinds import register
from neural_style.kinds.style import StyleKind, stylise


def style_weights(names, style=None, mix=None) -> np.ndarray:
    """The weights (n,) for a network of the styles ``names``: ``style`` (a name) picks
    one, ``mix`` ({name: weight}, or "a=0.7,b=0.3") blends them, normalised to sum 1;
    neither: the first style."""
    names = list(names)
    if isinstance(mix, str):
        mix = dict(_pair(item) for item in mix.split(",") if item.strip())
    mix = mix or {style or names[0]: 1.0}
    unknown = [n for n in mix if n not in names]
    if unknown:
        raise NeuralStyleError(
            f"the network has no style {unknown[0]!r}; its styles: {', '.join(names)}"
        )
    values = np.array([float(mix.get(n, 0.0)) for n in names])
    if not np.all(np.isfinite(values)) or (values < 0).any() or values.sum() <= 0:
        raise NeuralStyleError(
            f"style weights {mix} are not valid; give weights of 0 or more, at least one above 0"
        )
    return (values / values.sum()).astype(np.float32)


def _pair(item):
    name, sep, value = item.partition("=")
    try:
        return name.strip(), float(value) if sep else 1.0
    except ValueError:
        raise NeuralStyleError(f"--style-mix {item!r} is not NAME=WEIGHT") from None


class MultiStyleKind(StyleKind):
    """The style network for several styles at once, their blend chosen when applied."""

    name = "multistyle"
    title = "many-style network"
    looks = ("strength", "original_colors", "style", "style_mix")

    def mixes_batch(self, meta) -> bool:
        return False  # conditional instance normalisation: each image by its own statistics

    def describe(self, meta) -> dict:
        return {
            **super().describe(meta),
            "styles": list(meta.get("config", {}).get("style_names", [])),
        }

    def request_inputs(self, described, looks):
        return style_weights(described["styles"], looks.get("style"), looks.get("style_mix"))

    def check_styles(self, n):
        if n < 2:
            raise NeuralStyleError(
                f"a many-style network needs two styles or more (style_names), not {n}; use "
                "--task style for one"
            )

    def build(self, cfg):
        from neural_style import nets

        # the lesson's "batch" default means instance here
        norm = "demod" if cfg.norm == "demod" else "instance"
        return nets.style_net(styles=len(cfg.style_names), norm=norm)

    def conditions(self, n, cfg, first):
        k = len(cfg.style_names)
        return (np.eye(k, dtype=np.float32)[(first + np.arange(n)) % k],)

    def sample(self, net, photos):
        """Sample i in style i mod n."""
        n = net.inputs[1].shape[-1]
        return net.predict(
            [photos, np.eye(n, dtype=np.float32)[np.arange(len(photos)) % n]], verbose=0
        )

    def framed(self, model, x, weights=None):
        return super().framed(lambda padded, **kw: model([padded, weights], **kw), x)

    def looks_for(self, meta, looks):
        """``style`` / ``style_mix`` by the names saved with the network, as weights."""
        looks = dict(looks)
        names = meta.get("config", {}).get("style_names") or [
            f"style{i}" for i in range(meta.get("styles", 0))
        ]
        looks["weights"] = style_weights(
            names, looks.pop("style", None), looks.pop("style_mix", None)
        )
        return looks

    def apply(self, net, image, size=None, weights=None, **looks):
        weights = (
            np.eye(net.inputs[1].shape[-1], dtype=np.float32)[0] if weights is None else weights
        )
        return stylise(net, image, size, weights=weights, kind=self, **looks)


register(MultiStyleKind())
