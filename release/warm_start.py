"""A release step: start a network of another normalisation from a trained one's weights.

    python release/warm_start.py OLD.keras NEW.keras --norm demod

Builds OLD's network with ``--norm`` (``nets.style_net``), copies every convolution's
kernel and every normalisation's style scale and shift across (a ``DemodulatedConv2D``
takes the kernel of the Conv2D it replaces and the scale and shift of the normalisation
after it; the bias before a normalisation has no effect and is dropped), calibrates each
demodulated convolution on a few training photos so that, per style, its output has the
mean and spread the instance normalisation gave (the data-dependent start of weight
normalisation, Salimans and Kingma 2016: copied alone, the unnormalised residual sums
grow until the tanh saturates and every pixel is yellow), and writes NEW
with a checkpoint at epoch 0 and no optimiser state.  Train it on with the same command,
``--norm`` and ``--resume``: the epochs count from 0 and Adam starts afresh.
"""

import argparse
import dataclasses
import json

import numpy as np
from PIL import Image

from neural_style import checkpoints, data, kinds, nets
from neural_style.backend import keras
from neural_style.config import TrainConfig
from neural_style.files import atomic_write


def copy_weights(old, new):
    """Copy ``old``'s weights into ``new``, layer by layer in build order."""
    source = iter(layer for layer in old.layers if layer.weights)
    for layer in (layer for layer in new.layers if layer.weights):
        if isinstance(layer, nets.DemodulatedConv2D):
            conv, norm = next(source), next(source)
            layer.kernel.assign(conv.kernel)
            layer.scale.assign(norm.scale)
            layer.offset.assign(norm.offset)
        else:
            twin = next(source)
            if type(twin) is not type(layer):
                raise SystemExit(
                    f"{type(layer).__name__} has no twin in the old network ({type(twin).__name__})"
                )
            layer.set_weights(twin.get_weights())
    if next(source, None) is not None:
        raise SystemExit("the old network has weights left over: not the same architecture")


def calibrate(new, photos):
    """Per style, scale and shift each DemodulatedConv2D's output to its twin normalisation's
    mean (the style's offset) and spread (the style's scale), in build order."""
    n = new.inputs[1].shape[-1]
    for layer in (layer for layer in new.layers if isinstance(layer, nets.DemodulatedConv2D)):
        probe = keras.Model(new.inputs, layer.input[0])
        scale, offset = np.asarray(layer.scale), np.asarray(layer.offset)
        gain, shift = np.ones_like(scale), np.zeros_like(offset)
        layer.scale.assign(np.ones_like(scale))
        layer.offset.assign(np.zeros_like(offset))
        for k in range(n):
            one_hot = np.eye(n, dtype="float32")[[k] * len(photos)]
            y = np.asarray(layer([probe.predict([photos, one_hot], verbose=0), one_hot]))
            mean, spread = y.mean(axis=(0, 1, 2)), y.std(axis=(0, 1, 2)) + 1e-6
            gain[k], shift[k] = scale[k] / spread, offset[k] - scale[k] * mean / spread
        layer.scale.assign(gain)
        layer.offset.assign(shift)


def photos_for(cfg, count=8):
    """``count`` centre crops of the training photos, RGB 0..255 (count, size, size, 3)."""
    crops = []
    for path in data.training_photos()[:count]:
        image = Image.open(path).convert("RGB")
        side = min(image.size)
        left, top = (image.width - side) // 2, (image.height - side) // 2
        crop = image.crop((left, top, left + side, top + side)).resize(
            (cfg.size, cfg.size), Image.BICUBIC
        )
        crops.append(np.asarray(crop, dtype="float32"))
    return np.stack(crops)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--norm", required=True, choices=("instance", "demod"))
    args = p.parse_args(argv)
    meta = kinds.read_meta(args.old)
    old = keras.saving.load_model(args.old)
    cfg = TrainConfig(
        **{**meta["config"], "norm": args.norm, "style_names": tuple(meta["config"]["style_names"])}
    )
    new = kinds.get(cfg.task).build(cfg)
    copy_weights(old, new)
    if args.norm == "demod":
        calibrate(new, photos_for(cfg))
    kinds.save_net(new, args.new, cfg.task, config=dataclasses.asdict(cfg), epochs=0)
    state = {f"net_{i}": np.asarray(v) for i, v in enumerate(new.weights)}
    meta = {"epoch": 0, "config": dataclasses.asdict(cfg), "warm_start": str(args.old)}
    atomic_write(
        checkpoints.checkpoint_path(args.new),
        lambda tmp: np.savez(tmp, meta=json.dumps(meta), **state),
    )
    print(
        f"{args.new}: {cfg.task} network, norm {args.norm}, weights from {args.old}; train on "
        f"with --norm {args.norm} --resume"
    )


if __name__ == "__main__":
    main()
