"""GPU benchmark (`make bench-gpu`): the lesson's transfer loss at 512, 1024 and 2048 px.

For each size, in a fresh process: seconds per evaluation of the compiled loss and
gradient alone; per evaluation inside the lesson loop with scipy (`lbfgs-restart`) and with
the device L-BFGS (`lbfgs-device`), and the share of the loop's time spent outside the
compiled loss; peak GPU memory against the estimate; first-call (compile) time.

Runs on whichever Keras backend KERAS_BACKEND names; needs no TensorFlow. Random weights
by default (`--weights none`: the FLOPs and memory are the same as with the real ones).
Appends a section to benchmarks/RESULTS.md.
"""

import argparse
import json
import sys
from pathlib import Path

import bench

HERE = Path(__file__).resolve().parent


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="512,1024,2048")
    p.add_argument("--evals", type=int, default=20, help="timed evaluations per size (median)")
    p.add_argument(
        "--iterations", type=int, default=2, help="outer iterations of 20 evaluations per loop"
    )
    p.add_argument("--weights", default="none")
    p.add_argument("--jit", default="auto", choices=("auto", "on", "off"))
    p.add_argument("--output", default=str(HERE / "RESULTS.md"))
    args = p.parse_args()
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        rows.append(
            bench.run_size(
                size,
                args.evals,
                args.iterations,
                args.jit,
                args.weights,
                "lbfgs-restart,lbfgs-device",
            )
        )
        print(json.dumps(rows[-1]), flush=True)
    arguments = " ".join(sys.argv[1:])
    command = f"KERAS_BACKEND={rows[0]['backend']} python benchmarks/gpu.py {arguments}".strip()
    bench.write_report(bench.report(rows, command), args.output)


if __name__ == "__main__":
    sys.exit(main())
