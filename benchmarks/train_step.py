"""Benchmark of one training step of the real-time style network (`make bench`).

The lesson's step: the style network (instance norm) on a batch of photos, the frozen
VGG16 (max pooling, real weights) on its output and on the photos, the perceptual style
loss, Adam.  Ours (the Keras trainer that `neural-style train` compiles) against a plain
PyTorch build of the same network, loss and optimiser, given the same weights and batch:
its loss is checked against ours, then both are timed, best of ``--repeats`` steps after
a warm-up, at the lesson's 288 px batch 8 and at 128 px batch 4.

FLOPs counted: the convolutions only, the network's forward times 3 (forward, input and
weight gradients) plus VGG16's forward up to block5_conv2 times 3 (on the output, on the
photos, and the input gradient through it), per image; achieved GFLOP/s against
TensorFlow's float32 matmul measured in the same process.  Appends to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench import cpu_name, tf_matmul_peak, versions, write_report  # noqa: E402
from realtime import best_of, conv_gflops, torch_twin  # noqa: E402

# to block5_conv2
VGG_CONVS = [(b, i) for b, n in zip(range(1, 6), (2, 2, 3, 3, 3)) for i in range(1, n + 1)][:-1]
VGG_CHANNELS = {1: 64, 2: 128, 3: 256, 4: 512, 5: 512}


def vgg_gflops(size):
    """Forward GFLOP of VGG16's convolutions up to block5_conv2 on one size x size image."""
    total, cin = 0, 3
    for b, _ in VGG_CONVS:
        side, cout = size // 2 ** (b - 1), VGG_CHANNELS[b]
        total += 2 * side * side * 9 * cin * cout
        cin = cout
    return total / 1e9


def torch_vgg(keras_vgg):
    """VGG16 features (max pooling) up to block5_conv2 in PyTorch, with ``keras_vgg``'s weights."""
    import torch
    from torch.nn import functional as F

    from neural_style.backend import ops
    from neural_style.images import rn_mean
    from neural_style.perceptual import STYLE_LAYERS

    params = {}
    for b, i in VGG_CONVS:
        layer = keras_vgg.get_layer(f"block{b}_conv{i}")
        k = ops.convert_to_numpy(layer.kernel).transpose(3, 2, 0, 1)
        params[(b, i)] = (
            torch.from_numpy(np.ascontiguousarray(k)),
            torch.from_numpy(ops.convert_to_numpy(layer.bias)),
        )
    mean = torch.from_numpy(rn_mean)[None, :, None, None]

    def features(x):  # (B, 3, H, W) RGB 0..255 -> the STYLE_LAYERS' activations
        x, out = (x - mean).flip(1), []
        for b, i in VGG_CONVS:
            if i == 1 and b > 1:
                x = F.max_pool2d(x, 2)
            x = F.relu(F.conv2d(x, *params[(b, i)], padding=1))
            if f"block{b}_conv{i}" in STYLE_LAYERS:
                out.append(x)
        return out

    return features


def torch_step(net, trainer, photos):
    """``(loss_of_the_batch, step)`` for the PyTorch build: the lesson's loss and Adam."""
    import torch

    from neural_style.backend import ops
    from neural_style.perceptual import CONTENT_WEIGHTS

    twin = torch_twin(net).train()
    vgg = torch_vgg(trainer.get_layer("vgg_features").get_layer("features"))
    grams = [
        torch.from_numpy(ops.convert_to_numpy(g)) for g in trainer.get_layer("perceptual").grams
    ]
    opt = torch.optim.Adam(twin.parameters(), lr=1e-3)
    x = torch.from_numpy(photos.transpose(0, 3, 1, 2).copy())

    def gram(f):
        b, c, h, w = f.shape
        f = f.reshape(b, c, h * w)
        return f @ f.transpose(1, 2) / (c * h * w)

    def rms(d):
        return d.pow(2).flatten(1).mean(1).sqrt()

    def loss():
        with torch.no_grad():
            targets = vgg(x)
        outs = vgg(twin(x))
        per_image = sum(
            rms(gram(o) - g) / 2 + rms(o - t) * w
            for o, t, g, w in zip(outs, targets, grams, CONTENT_WEIGHTS)
        )
        return per_image.mean()

    def step():
        opt.zero_grad()
        value = loss()
        value.backward()
        opt.step()

    with torch.no_grad():
        first = float(loss())
    return first, step


def measure(size, batch, style, repeats):
    """Table rows (setting, implementation, s / step, GFLOP / step, our speed-up) and a note."""
    from neural_style import backend, training

    net, trainer = training.build(
        training.TrainConfig(size=size, batch_size=batch, norm="instance"), style=style
    )
    photos = np.random.default_rng(0).uniform(0, 255, (batch, size, size, 3)).astype("float32")
    zeros = np.zeros((batch, 1), "float32")
    gflop = batch * 3 * (conv_gflops(net, size, size) + vgg_gflops(size))
    setting = f"{size} px, batch {batch}"
    ours_loss = float(np.mean(backend.to_numpy(trainer([photos, photos])["loss"])))
    # before ours trains
    twin = torch_step(net, trainer, photos) if importlib.util.find_spec("torch") else None
    ours = best_of(
        lambda: trainer.train_on_batch(
            [photos, photos], {"loss": zeros, "style": zeros, "content": zeros}
        ),
        repeats,
    )
    rows = [(setting, f"neural_style ({backend.name()}, Keras trainer)", ours, gflop, None)]
    if not twin:
        return rows, None
    import torch

    first, step = twin
    theirs = best_of(step, repeats)
    rows.append(
        (
            setting,
            f"PyTorch {torch.__version__}, same network, loss and Adam (eager)",
            theirs,
            gflop,
            theirs / ours,
        )
    )
    note = (
        f"{setting}: PyTorch's loss {first:.9g}, ours {ours_loss:.9g} (relative difference "
        f"{abs(first - ours_loss) / ours_loss:.1e})"
    )
    return rows, note


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--settings", default="288x8,128x4", help="SIZExBATCH, comma-separated")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--output", default=str(HERE / "RESULTS.md"))
    args = p.parse_args()

    from neural_style import backend, data

    peak = tf_matmul_peak() if importlib.util.find_spec("tensorflow") else None
    style = data.load("starry_night", factor=3.5)
    rows, notes = [], []
    for setting in args.settings.split(","):
        size, batch = (int(v) for v in setting.split("x"))
        more, note = measure(size, batch, style, args.repeats)
        rows += more
        notes += [note] if note else []
    lines = [
        f"## Real-time style network, one training step, {backend.device()}, "
        f"{time.strftime('%Y-%m-%d')}",
        "",
        f"Machine: {cpu_name()}, {os.cpu_count()} cores; Python {platform.python_version()}; "
        f"{versions()}.",
        f"Command: `KERAS_BACKEND={backend.name()} python benchmarks/train_step.py`. Best of "
        f"{args.repeats} steps after a warm-up; the network's convolutions x3 plus VGG16's to "
        "block5_conv2 x3, per image.",
        "",
        "| setting | implementation | s / step | GFLOP / step | GFLOP/s | TF matmul peak GFLOP/s "
        "| ratio | ours faster by |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for setting, name, s, gflop, speedup in rows:
        lines.append(
            f"| {setting} | {name} | {s:.2f} | {gflop:.0f} | {gflop / s:.0f} | "
            f"{f'{peak:.0f}' if peak else '-'} | {f'{gflop / s / peak:.0%}' if peak else '-'} | "
            f"{f'{speedup:.2f}x' if speedup else ''} |"
        )
    lines += [""] + [f"- {n}" for n in notes] + [""]
    write_report("\n".join(lines), args.output)


if __name__ == "__main__":
    main()
