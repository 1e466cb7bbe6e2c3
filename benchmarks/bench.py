"""Benchmark of the lesson's style-transfer loss and gradient (`make bench`).

For each size (a fresh process per size, so peak memory is that size's alone) it reports:
seconds per loss-and-gradient evaluation (median after warm-up), the first-call time
(import, weights, model, trace and compile), achieved GFLOP/s against a float32 matmul
peak measured in the same process on the same threads, peak resident memory against the
library's estimate (the peak includes an L-BFGS-B run); and at one size the end-to-end time of the lesson loop against
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


def matmul_peak(tf, n=2048, repeats=10):
    a = tf.random.normal((n, n))
    b = tf.random.normal((n, n))
    mm = tf.function(lambda a, b: tf.matmul(a, b))
    mm(a, b).numpy()
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        mm(a, b).numpy()
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


def worker(size, evals, e2e_iterations, jit):
    import numpy as np

    import neural_style  # noqa: F401
    from neural_style import import_tensorflow_quietly, transfer

    import_tensorflow_quietly()
    import tensorflow as tf

    from neural_style.optimize import Evaluator, loss_and_grads_fn, solve_image

    rng = np.random.default_rng(0)
    content = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
    style = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
    cfg = transfer.Config.lesson("transfer", seed=0, verbose=False, jit_compile=jit)
    model = transfer.build_model(cfg)
    grams = transfer.style_targets(model, [style], 5)
    target = transfer._outputs(model, transfer._as_batch(content))[-1]
    loss_fn = transfer.make_loss(model, cfg, content_target=target, style_grams=grams)
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
    peak = matmul_peak(tf)
    flops = 2 * conv_flops(size, size, list(cfg.style_layers) + [cfg.content_layer])
    out = {
        "size": size, "jit": jit, "first_call_s": first, "per_eval_s": per_eval,
        "gflops": flops / 1e9, "gflop_s": flops / per_eval / 1e9, "matmul_peak_gflop_s": peak,
        "estimate_gb": transfer.estimate_memory(size, size, cfg) / 1e9,
        "device": (tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU"))[0].name,
        "threads": tf.config.threading.get_intra_op_parallelism_threads() or os.cpu_count(),
    }  # fmt: skip
    if e2e_iterations:
        start_evals, start_f = ev.n_evals, ev.seconds_in_f
        t = time.perf_counter()
        solve_image(ev, e2e_iterations, x, maxfun=20, verbose=False)
        e2e = time.perf_counter() - t
        n, in_f = ev.n_evals - start_evals, ev.seconds_in_f - start_f
        out.update(e2e_s=e2e, e2e_evals=n, e2e_overhead=1 - n * per_eval / e2e, e2e_outside_f=1 - in_f / e2e)
    else:  # a short L-BFGS-B run, so that the peak includes the optimiser's workspace
        solve_image(ev, 1, x, maxfun=2, verbose=False)
    out["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9
    print(json.dumps(out))


def run_size(size, evals, e2e, jit):
    cmd = [sys.executable, __file__, "--worker", str(size), "--evals", str(evals),
           "--e2e-iterations", str(e2e), "--jit", jit]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"size {size} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def versions():
    import importlib.metadata as md

    names = ["tensorflow-cpu", "tensorflow", "keras", "numpy", "scipy"]
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


def report(rows, args):
    lines = [
        "# Benchmark results", "",
        f"Machine: {cpu_name()}, {os.cpu_count()} cores; Python {platform.python_version()}; {versions()}.",
        f"Device: {rows[0]['device']}. Command: `make bench` (`{' '.join(sys.argv[1:]) or 'defaults'}`).", "",
        "Loss: the lesson's style transfer (style `block1..5_conv2`, content `block4_conv2`), square images.",
        "FLOPs: 3x3 convolutions only, forward plus input-gradient (see benchmarks/bench.py).", "",
        "| size | XLA | first call (s) | s / evaluation | conv GFLOP / eval | GFLOP/s | matmul peak GFLOP/s | ratio | peak RSS (GB) | estimate (GB) | estimate error |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for r in rows:
        lines.append(
            f"| {r['size']} | {'on' if r['jit'] else 'off'} | {r['first_call_s']:.1f} | {r['per_eval_s']:.3f} | {r['gflops']:.1f} | "
            f"{r['gflop_s']:.0f} | {r['matmul_peak_gflop_s']:.0f} | {r['gflop_s'] / r['matmul_peak_gflop_s']:.0%} | "
            f"{r['peak_rss_gb']:.2f} | {r['estimate_gb']:.2f} | {r['estimate_gb'] / r['peak_rss_gb'] - 1:+.0%} |"
        )
    for r in rows:
        if "e2e_s" in r:
            lines += ["", f"Lesson loop at {r['size']} px ({args.e2e_iterations} x `fmin_l_bfgs_b(maxfun=20)`): "
                      f"{r['e2e_s']:.1f} s for {r['e2e_evals']} evaluations; {r['e2e_evals']} x {r['per_eval_s']:.3f} s = "
                      f"{r['e2e_evals'] * r['per_eval_s']:.1f} s; overhead of Python, scipy and conversions "
                      f"{r['e2e_overhead']:.1%}. Measured directly, the time outside the compiled "
                      f"loss-and-gradient function (scipy, Python, float64 conversions) is "
                      f"{r['e2e_outside_f']:.1%} of the loop; the difference is the spread of the "
                      "evaluation times themselves."]  # fmt: skip
    return "\n".join(lines) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="256,512,1024")
    p.add_argument("--evals", type=int, default=5, help="timed evaluations per size (median)")
    p.add_argument("--e2e-size", type=int, default=512)
    p.add_argument("--e2e-iterations", type=int, default=10)
    p.add_argument("--jit", default="auto", choices=("auto", "on", "off"), help="XLA compilation")
    p.add_argument("--output", default=str(HERE / "RESULTS.md"))
    p.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        jit = {"auto": None, "on": True, "off": False}[args.jit]
        return worker(args.worker, args.evals, args.e2e_iterations, jit)
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        e2e = args.e2e_iterations if size == args.e2e_size else 0
        rows.append(run_size(size, args.evals, e2e, args.jit))
        print(json.dumps(rows[-1]), flush=True)
    text = report(rows, args)
    Path(args.output).write_text(text)
    print(text)


if __name__ == "__main__":
    sys.exit(main())
