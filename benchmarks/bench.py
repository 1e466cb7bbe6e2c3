"""Benchmark of the lesson's style-transfer loss and gradient (`make bench`).

For each size (a fresh process per size, so peak memory is that size's alone) it reports:
seconds per loss-and-gradient evaluation (median after warm-up), the first-call time
(import, weights, model, trace and compile), achieved GFLOP/s against a float32 matmul
peak measured in the same process on the same threads, peak resident memory against the
library's estimate (the peak includes an L-BFGS-B run); and at one size the end-to-end time of the
lesson loop against
n_evals x the per-evaluation time.  Writes benchmarks/RESULTS.md.

FLOPs counted: the 3x3 convolutions only, 2 * H * W * 9 * Cin * Cout per layer up to the
deepest layer used (block5_conv2), once for the forward pass and once more for the
gradient with respect to the layer input (the backward pass needs no filter gradients).
Pooling, ReLU, Gram matrices and the losses are not counted, so the ratio is a lower bound.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

T0 = time.perf_counter()
HERE = Path(__file__).resolve().parent


def conv_flops(h, w, layers):
    """Forward FLOPs of the 3x3 convolutions up to the deepest of ``layers``."""
    from neural_style.vgg16_avg import layer_names, layer_shapes

    deepest = max(layers, key=layer_names().index)
    shapes = layer_shapes(h, w, deepest)
    return sum(2 * oh * ow * 9 * cin * cout for name, oh, ow, cin, cout in shapes if "conv" in name)


def tf_matmul_peak(n=2048, repeats=10):
    """GFLOP/s of TensorFlow's own float32 matmul on this machine's threads (the CPU's
    peak as TensorFlow reaches it; numpy's may be held to older kernels)."""
    import tensorflow as tf

    a, b = tf.random.normal((n, n)), tf.random.normal((n, n))
    mm = tf.function(lambda a, b: tf.matmul(a, b))
    mm(a, b).numpy()
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        mm(a, b).numpy()
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


def lesson_loss(size, weights, jit):
    """The lesson's transfer loss on random square images of ``size`` px."""
    import numpy as np

    from neural_style import transfer

    rng = np.random.default_rng(0)
    content = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
    style = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
    problem = transfer.transfer_problem(
        content, style, seed=0, verbose=False, jit_compile=jit, weights=weights
    )
    return problem.cfg, problem.loss_fn


def worker(size, evals, e2e_iterations, jit, weights="imagenet", optimizers=("lbfgs-restart",)):
    import numpy as np

    from neural_style import backend, memory, transfer
    from neural_style.optimize import Evaluator, loss_and_grads_fn, solve_image

    cfg, loss_fn = lesson_loss(size, weights, jit)
    shape = (1, size, size, 3)
    f = loss_and_grads_fn(loss_fn, shape, jit_compile=jit)
    ev = Evaluator(f, shape)
    x = transfer.initial_image(cfg, shape).ravel().astype(np.float64)
    ev.loss(x)
    ev.grads(x)
    first = time.perf_counter() - T0
    ev.loss(x + 1)  # warm-up
    times = []
    for k in range(evals):
        xk = x + k
        t = time.perf_counter()
        ev.loss(xk)
        ev.grads(xk)
        times.append(time.perf_counter() - t)
    per_eval = statistics.median(times)
    flops = 2 * conv_flops(size, size, list(cfg.style_layers) + [cfg.content_layer])
    gpu = backend.on_gpu()
    out = {
        "size": size,
        "jit": jit,
        "backend": backend.name(),
        "device": backend.device(),
        "first_call_s": first,
        "per_eval_s": per_eval,
        "gflops": flops / 1e9,
        "gflop_s": flops / per_eval / 1e9,
        "estimate_gb": memory.estimate_memory(size, size, cfg, gpu=gpu) / 1e9,
        "loops": {},
    }
    for optimizer in optimizers:
        iterations = e2e_iterations or 1
        # at least a short run: the peak includes the optimiser
        maxfun = 20 if e2e_iterations else 2
        ev = Evaluator(f, shape)
        if optimizer == "lbfgs-device":  # compile the device loop outside the timing
            solve_image(ev, 1, x, maxfun=maxfun, optimizer=optimizer, verbose=False)
            ev = Evaluator(f, shape)
        t = time.perf_counter()
        solve_image(ev, iterations, x, maxfun=maxfun, optimizer=optimizer, verbose=False)
        seconds = time.perf_counter() - t
        if e2e_iterations:
            out["loops"][optimizer] = {
                "seconds": seconds,
                "evals": ev.n_evals,
                "per_eval_s": seconds / ev.n_evals,
                "outside": 1 - ev.n_evals * per_eval / seconds,
            }
    out["peak_gb"] = (
        memory.peak_memory() if gpu else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    ) / 1e9
    out["peak_kind"] = "GPU" if gpu else "RSS"
    if backend.name() == "tensorflow" and not gpu:
        out["matmul_peak_gflop_s"] = tf_matmul_peak()
    print(json.dumps(out))


def run_size(size, evals, e2e, jit, weights="imagenet", optimizers="lbfgs-restart"):
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        str(size),
        "--evals",
        str(evals),
        "--e2e-iterations",
        str(e2e),
        "--jit",
        jit,
        "--weights",
        weights,
        "--optimizers",
        optimizers,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"size {size} failed:\n{proc.stderr[-2000:]}")
    row = json.loads(proc.stdout.strip().splitlines()[-1])
    if "matmul_peak_gflop_s" not in row and row["device"].startswith("CPU"):
        # another backend: TensorFlow's matmul peak measured alongside, in its own process
        peak = subprocess.run(
            [sys.executable, "-c", "import bench; print(bench.tf_matmul_peak())"],
            cwd=HERE,
            capture_output=True,
            text=True,
            env={**os.environ, "KERAS_BACKEND": "tensorflow"},
        )
        if peak.returncode == 0:
            row["matmul_peak_gflop_s"] = float(peak.stdout.split()[-1])
    return row


def versions():
    import importlib.metadata as md

    names = ["tensorflow-cpu", "tensorflow", "jax", "jaxlib", "torch", "keras", "numpy", "scipy"]
    found = []
    for n in names:
        try:
            found.append(f"{n} {md.version(n)}")
        except md.PackageNotFoundError:
            pass
    return ", ".join(found)


def cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def ratio(r, peak):
    return f"{r['gflop_s'] / peak:.0%}" if peak else "-"


def table(rows):
    """One table of per-evaluation figures, then one of the lesson loops."""
    lines = [
        "| backend | size | XLA | first call (s) | s / evaluation | conv GFLOP / eval | GFLOP/s | "
        "TF matmul peak GFLOP/s | ratio | peak memory (GB) | estimate (GB) | estimate error |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        peak = r.get("matmul_peak_gflop_s")
        lines.append(
            f"| {r['backend']} | {r['size']} | {'on' if r['jit'] else 'default'} | "
            f"{r['first_call_s']:.1f} | {r['per_eval_s']:.4f} | {r['gflops']:.1f} | "
            f"{r['gflop_s']:.0f} | {f'{peak:.0f}' if peak else '-'} | {ratio(r, peak)} | "
            f"{r['peak_gb']:.2f} ({r['peak_kind']}) | {r['estimate_gb']:.2f} | "
            f"{r['estimate_gb'] / r['peak_gb'] - 1:+.0%} |"
        )
    loops = [(r, opt, lp) for r in rows for opt, lp in r["loops"].items()]
    if loops:
        lines += [
            "",
            "| backend | size | optimizer | evaluations | loop (s) | s / evaluation in the loop | "
            "compiled loss alone (s) | share of time outside the compiled loss |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r, opt, lp in loops:
            lines.append(
                f"| {r['backend']} | {r['size']} | {opt} | {lp['evals']} | {lp['seconds']:.1f} | "
                f"{lp['per_eval_s']:.4f} | {r['per_eval_s']:.4f} | {lp['outside']:.1%} |"
            )
    return lines


def write_report(text, path, append=True):
    """Print a report section and add it to ``path`` (RESULTS.md): after what is there,
    or, with ``append=False`` or no file yet, as the start of a new file."""
    path = Path(path)
    previous = path.read_text() + "\n" if append and path.exists() else "# Benchmark results\n\n"
    path.write_text(previous + text)
    print(text)


def report(rows, command):
    return "\n".join(
        [
            f"## {rows[0]['device']}, {time.strftime('%Y-%m-%d')}",
            "",
            f"Machine: {cpu_name()}, {os.cpu_count()} cores; Python {platform.python_version()}; "
            f"{versions()}.",
            f"Command: `{command}`. Loss: the lesson's style transfer (style `block1..5_conv2`, "
            "content `block4_conv2`), square images. FLOPs: 3x3 convolutions only, forward plus "
            "input-gradient.",
            "",
            *table(rows),
            "",
        ]
    )


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="256,512,1024")
    p.add_argument("--evals", type=int, default=5, help="timed evaluations per size (median)")
    p.add_argument("--e2e-size", type=int, default=256, help="size of the lesson-loop runs")
    p.add_argument("--e2e-iterations", type=int, default=10)
    p.add_argument("--optimizers", default="lbfgs-restart,lbfgs-device")
    p.add_argument(
        "--jit", default="auto", choices=("auto", "on", "off"), help="XLA compilation (TensorFlow)"
    )
    p.add_argument(
        "--weights", default="imagenet", help="imagenet, or none: random weights, same FLOPs"
    )
    p.add_argument("--output", default=str(HERE / "RESULTS.md"))
    p.add_argument("--append", action="store_true", help="add this backend's section to --output")
    p.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        jit = {"auto": None, "on": True, "off": False}[args.jit]
        weights = None if args.weights == "none" else args.weights
        return worker(
            args.worker, args.evals, args.e2e_iterations, jit, weights, args.optimizers.split(",")
        )
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        e2e = args.e2e_iterations if size == args.e2e_size else 0
        rows.append(run_size(size, args.evals, e2e, args.jit, args.weights, args.optimizers))
        print(json.dumps(rows[-1]), flush=True)
    command = (
        "KERAS_BACKEND="
        + rows[0]["backend"]
        + " python benchmarks/bench.py "
        + " ".join(sys.argv[1:])
    )
    write_report(report(rows, command.strip()), args.output, append=args.append)


if __name__ == "__main__":
    sys.exit(main())
