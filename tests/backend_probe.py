"""Run under one KERAS_BACKEND: the lesson losses and gradient at a fixed point, saved.

    KERAS_BACKEND=jax python tests/backend_probe.py OUT.npz

The cross-backend tests compare these numbers between backends (same real weights, same
images, same point).
"""

import sys

import numpy as np

from neural_style import backend, data, transfer
from neural_style.optimize import Evaluator, loss_and_grads_fn, solve_image


def main(out):
    style = data.load("starry_night", size=64)
    photo = data.load("tubingen", size=96)
    problem = transfer.transfer_problem(photo, style)
    loss_fn, parts_fn = problem.loss_fn, problem.parts_fn
    x = np.random.default_rng(0).uniform(-30, 30, (1, *style.shape[:2], 3)).astype(np.float32)
    f = loss_and_grads_fn(loss_fn, x.shape)
    loss, grad = f(x)
    parts = {k: float(backend.to_numpy(v)) for k, v in parts_fn(backend.to_tensor(x)).items()}
    ev = Evaluator(f, x.shape)
    _, device_losses = solve_image(
        ev, 2, x.copy(), maxfun=10, optimizer="lbfgs-device", verbose=False
    )
    np.savez(
        out,
        loss=loss,
        grad=grad,
        device_losses=device_losses,
        parts_names=list(parts),
        parts=list(parts.values()),
        backend=backend.name(),
    )


if __name__ == "__main__":
    main(sys.argv[1])
