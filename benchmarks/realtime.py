"""Benchmark of the real-time style network (`make bench`, after the lesson-loss benchmark).

- Stylised frames per second at 512x512 px (batch 1, the compiled inference pass that
  `neural-style --model` uses), its achieved GFLOP/s against TensorFlow's float32 matmul
  measured in the same process;
- the same network built in plain PyTorch (where torch is installed), given the same
  weights: its output is checked against ours, then timed the same way.

- the same network exported (``neural_style.export``) and run by ONNX Runtime and by
  LiteRT with float32, float16 and int8 weights (XNNPACK), where installed, each checked
  against ours in levels (0..255) and timed the same way; and the start of the command
  (`neural-style --model` on a 64 px photo, whole process) with the .keras file against
  the ONNX file, which imports no TensorFlow.

A training step is timed, against PyTorch too, by benchmarks/train_step.py.

FLOPs counted: every convolution, 2 * H_out * W_out * k * k * C_in * C_out (the rest is
small), so the ratio is a lower bound.  Appends a section to benchmarks/RESULTS.md.
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


def conv_gflops(net, h, w):
    """Forward GFLOP of every Conv2D of ``net`` on one h x w image."""
    from neural_style.backend import keras

    probe = keras.Model(
        net.inputs[0], [l.output for l in net.layers if isinstance(l, keras.layers.Conv2D)]
    )
    outs = probe(np.zeros((1, h, w, 3), "float32"))
    convs = [l for l in net.layers if isinstance(l, keras.layers.Conv2D)]
    total = 0
    for layer, out in zip(convs, outs):
        k, _, cin, cout = layer.kernel.shape
        total += 2 * out.shape[1] * out.shape[2] * k * k * cin * cout
    return total / 1e9


def best_of(fn, repeats):
    fn()  # warm-up: trace and compile
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def torch_twin(net):
    """The same network in plain PyTorch, with ``net``'s weights (instance norm)."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    from neural_style.backend import keras, ops

    layers = [
        l
        for l in net.layers
        if isinstance(l, (keras.layers.Conv2D, keras.layers.GroupNormalization))
    ]
    convs = [l for l in layers if isinstance(l, keras.layers.Conv2D)]
    norms = [l for l in layers if isinstance(l, keras.layers.GroupNormalization)]

    def conv(layer):
        k = ops.convert_to_numpy(layer.kernel)
        m = nn.Conv2d(k.shape[2], k.shape[3], k.shape[0], stride=layer.strides[0], padding=0)
        m.weight.data = torch.from_numpy(np.ascontiguousarray(k.transpose(3, 2, 0, 1)))
        m.bias.data = torch.from_numpy(ops.convert_to_numpy(layer.bias))
        return m

    def norm(layer):
        m = nn.InstanceNorm2d(layer.gamma.shape[0], affine=True, eps=layer.epsilon)
        m.weight.data = torch.from_numpy(ops.convert_to_numpy(layer.gamma))
        m.bias.data = torch.from_numpy(ops.convert_to_numpy(layer.beta))
        return m

    class Twin(nn.Module):
        def __init__(self):
            super().__init__()
            self.convs = nn.ModuleList(conv(c) for c in convs)
            self.norms = nn.ModuleList(norm(n) for n in norms)

        def same(self, i, x):  # Keras 'same': stride 1 symmetric, stride 2 pads bottom/right
            c = self.convs[i]
            k, s = c.kernel_size[0], c.stride[0]
            p = (k - 1) // 2 if s == 1 else None
            x = F.pad(x, (p, p, p, p)) if p is not None else F.pad(x, (0, 1, 0, 1))
            return c(x)

        def forward(self, x):  # (B, 3, H, W) RGB 0..255
            x = F.pad(x, (40, 40, 40, 40), mode="reflect")
            x = F.relu(self.norms[0](self.same(0, x)))
            x = F.relu(self.norms[1](self.same(1, x)))
            x = F.relu(self.norms[2](self.same(2, x)))
            i = 3
            for _ in range(5):
                y = F.relu(self.norms[i](self.convs[i](x)))
                y = self.norms[i + 1](self.convs[i + 1](y))
                x = y + x[:, :, 2:-2, 2:-2]
                i += 2
            for _ in range(2):
                x = F.interpolate(x, scale_factor=2, mode="nearest")
                x = F.relu(self.norms[i](self.same(i, x)))
                i += 1
            return (torch.tanh(self.same(i, x)) + 1) * 127.5

    return Twin().eval()


def bfloat16_row(net, folder, x8, reference, repeats):
    """The SavedModel with TensorFlow's oneDNN bfloat16 rewrite (AMX or AVX-512 BF16 where
    the CPU has them): faster, but not within a level of float32, so not the default."""
    import tensorflow as tf

    from neural_style import export, kinds
    from neural_style.inference import Network

    dest = export.export(Network(net, kinds.get("style"), {}), folder, "bf16", ("saved_model",))
    tf.config.optimizer.set_experimental_options({"auto_mixed_precision_onednn_bfloat16": True})
    try:
        fn = tf.saved_model.load(str(dest)).signatures["serving_default"]
        x = tf.constant(x8.astype(np.uint8))
        out = fn(images=x)["images"].numpy().astype(np.float32)
        seconds = best_of(lambda: fn(images=x)["images"].numpy(), repeats)
    finally:
        tf.config.optimizer.set_experimental_options(
            {"auto_mixed_precision_onednn_bfloat16": False}
        )
    diff = np.abs(out - reference)
    return (
        f"SavedModel, TensorFlow with oneDNN's bfloat16 rewrite (vs ours: mean {diff.mean():.2f}, "
        f"max {diff.max():.0f} levels)",
        seconds,
    )


def exported_rows(net, x, repeats):
    """``(name, seconds)`` for each runtime of the exported network that is installed, and
    the command's start with the .keras file and with model.onnx."""
    import subprocess
    import tempfile

    from neural_style import backend, export, kinds, runtimes
    from neural_style.inference import Network

    if backend.name() != "tensorflow" or not importlib.util.find_spec("tf2onnx"):
        return []
    rows, folder = [], Path(tempfile.mkdtemp())
    kinds.save_net(net, folder / "net.keras", "style")
    dest = export.export(Network(net, kinds.get("style"), {}), folder, "net", ("onnx", "tflite"))
    x8 = np.clip(np.round(x), 0, 255).astype(np.uint8).astype(np.float32)
    reference = np.clip(
        np.round(backend.to_numpy(kinds.framing.forward(net)(backend.to_tensor(x8)))), 0, 255
    )
    for file in ("model.onnx", *export.TFLITE_FILES):
        try:
            runner = runtimes.load(dest / file).model
        except Exception as e:  # a runtime that is not installed: say so in the table
            rows.append((f"{file}: {e}", float("nan")))
            continue
        out = runner(x8)
        diff = np.abs(out - reference)
        rows.append(
            (
                f"{file} ({runner.runtime}; vs ours: mean {diff.mean():.2f}, max {diff.max():.0f} "
                "levels)",
                best_of(lambda r=runner: r(x8), repeats),
            )
        )
    rows.append(bfloat16_row(net, folder, x8, reference, repeats))
    from PIL import Image

    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(folder / "photo.png")
    for model in (folder / "net.keras", dest / "model.onnx"):
        command = [
            sys.executable,
            "-m",
            "neural_style",
            "--model",
            str(model),
            "--content",
            str(folder / "photo.png"),
            "-o",
            str(folder / "out.png"),
            "-q",
        ]
        start = best_of(lambda c=command: subprocess.run(c, check=True, capture_output=True), 2)
        rows.append(
            (
                f"`neural-style --model {model.name}` on a 64 px photo: the whole command "
                "(start-up)",
                start,
            )
        )
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--output", default=str(HERE / "RESULTS.md"))
    args = p.parse_args()

    from neural_style import backend, kinds, nets

    net = nets.style_net(norm="instance")
    x = np.random.default_rng(0).uniform(0, 255, (1, args.size, args.size, 3)).astype("float32")
    fwd = kinds.framing.forward(net)
    xt = backend.to_tensor(x)
    ours = best_of(lambda: backend.to_numpy(fwd(xt)), args.repeats)
    gflop = conv_gflops(net, args.size, args.size)
    peak = tf_matmul_peak() if importlib.util.find_spec("tensorflow") else None
    rows = [(f"neural_style ({backend.name()}, compiled)", ours)]
    note = ""
    if importlib.util.find_spec("torch"):
        import torch

        twin = torch_twin(net)
        xp = torch.from_numpy(x.transpose(0, 3, 1, 2).copy())
        with torch.inference_mode():
            diff = np.abs(twin(xp).numpy().transpose(0, 2, 3, 1) - backend.to_numpy(fwd(xt))).max()
            rows.append(
                (
                    f"PyTorch {torch.__version__}, same network and weights (eager)",
                    best_of(lambda: twin(xp), args.repeats),
                )
            )
        note = f" The PyTorch twin's output differs from ours by at most {diff:.2g} (0..255)."

    rows += exported_rows(net, x, args.repeats)
    lines = [
        f"## Real-time style network, {backend.device()}, {time.strftime('%Y-%m-%d')}",
        "",
        f"Machine: {cpu_name()}, {os.cpu_count()} cores; Python {platform.python_version()}; "
        f"{versions()}.",
        f"Command: `KERAS_BACKEND={backend.name()} python benchmarks/realtime.py`. One "
        f"{args.size}x{args.size} image per call, best of {args.repeats}; {gflop:.1f} GFLOP of "
        f"convolutions per image.{note}",
        "",
        "| implementation | s / image | frames / s | GFLOP/s | TF matmul peak GFLOP/s | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for name, s in rows:
        if "the whole command" in name or s != s:  # not one image's forward pass: no GFLOP/s
            lines.append(f"| {name} | {s:.3f} | - | - | - | - |")
            continue
        lines.append(
            f"| {name} | {s:.3f} | {1 / s:.2f} | {gflop / s:.0f} | "
            f"{f'{peak:.0f}' if peak else '-'} | {f'{gflop / s / peak:.0%}' if peak else '-'} |"
        )
    lines.append("")
    write_report("\n".join(lines), args.output)


if __name__ == "__main__":
    main()
