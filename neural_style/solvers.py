"""The three outer loops of ``optimize.solve_image``, one per ``optimizer``: scipy's
L-BFGS-B restarted every outer iteration (the lesson's), one continuous scipy run, and
``lbfgs.lbfgs_device`` compiled whole on the device.  Each drives an ``Evaluator`` and
calls ``report(i, x, loss)`` after every outer iteration.
"""

from __future__ import annotations

import math
import time

import numpy as np
from scipy.optimize import fmin_l_bfgs_b

from neural_style import backend
from neural_style.backend import ops
from neural_style.errors import NeuralStyleError
from neural_style.lbfgs import lbfgs_device, lbfgs_result, lbfgs_start, lbfgs_step, new_history


class StopRequested(Exception):
    """Raised inside the optimiser when SIGINT/SIGTERM asked the run to stop."""


class NonFiniteLoss(NeuralStyleError):
    """The loss or gradient became NaN or infinite."""


def restarts(evaluator, niter, x, maxfun, clip, report):
    """The lesson's loop: scipy's L-BFGS-B restarted every outer iteration, then clipped."""
    for i in range(niter):
        x, min_val, _ = fmin_l_bfgs_b(evaluator.loss, x, fprime=evaluator.grads, maxfun=maxfun)
        x = np.clip(x, -clip, clip)
        report(i, x, min_val)
    return x


def continuous(evaluator, niter, x, maxfun, report):
    """One L-BFGS run; an outer "iteration" is reported every ``maxfun`` evaluations."""
    start = evaluator.n_evals
    done = [0]

    def on_step(xk):
        while done[0] < niter and evaluator.n_evals - start >= (done[0] + 1) * maxfun:
            report(done[0], np.array(xk), evaluator._loss)
            done[0] += 1

    # No box bounds: with them L-BFGS-B's first step is the raw gradient, which for our
    # mean-based losses is far too small to change a float32 loss (a style reconstruction
    # from near-grey noise ended after one line search, still grey); unbounded, the first
    # step has unit length.  factr=0, pgtol=0: spend the whole budget, as the paper's
    # fixed iteration counts do, rather than stop on tolerances whose scale is the loss's.
    fmin_l_bfgs_b(
        evaluator.loss,
        x,
        fprime=evaluator.grads,
        maxfun=niter * maxfun,
        maxiter=10**9,
        callback=on_step,
        factr=0.0,
        pgtol=0.0,
    )
    if done[0] < niter:  # converged early or stopped between reports: report the end point
        report(done[0], evaluator.best_x, evaluator.best_loss)


def _device_run(value_and_grad, maxfun, jit_compile):
    """``(x0, history) -> (best_x, best_loss, finite, history)`` after ``maxfun``
    evaluations: one compiled loop, or compiled steps where the backend loops slowly."""
    if backend.compiles_loops():
        return backend.compile(
            lambda x0, h: lbfgs_device(value_and_grad, x0, maxfun, h), jit_compile
        )
    start = backend.compile(lambda x0, h: lbfgs_start(value_and_grad, x0, h), jit_compile)
    step = backend.compile(lambda s: lbfgs_step(value_and_grad, s), jit_compile)

    def run(x0, history):
        state = start(x0, history)
        for _ in range(maxfun - 1):
            state = step(state)
        return lbfgs_result(state)

    return run


def device(evaluator, niter, x, maxfun, clip, report):
    """The lesson's outer loop around ``lbfgs_device``: the image stays a device tensor,
    one copy to the host per outer iteration for the report.  The L-BFGS history carries
    over from one outer iteration to the next (the clip moves the image very little)."""
    f = evaluator.f
    key = ("lbfgs-device", maxfun)
    if getattr(f, "device_run_key", None) != key:  # compile once per evaluator and budget
        f.device_run, f.device_run_key = _device_run(f.value_and_grad, maxfun, f.jit_compile), key
    xt = backend.to_tensor(x.reshape(evaluator.shp))
    history = new_history(evaluator.shp)
    for i in range(niter):
        if evaluator._stop:
            raise StopRequested
        start = time.perf_counter()
        best_x, best_loss, finite, history = f.device_run(xt, history)
        xt = ops.clip(best_x, -clip, clip)
        x, loss, finite = (
            backend.to_numpy(xt),
            float(backend.to_numpy(best_loss)),
            bool(backend.to_numpy(finite)),
        )
        evaluator.seconds_in_f += time.perf_counter() - start
        evaluator.n_evals += maxfun
        if math.isfinite(loss) and loss < evaluator.best_loss:
            evaluator.best_x, evaluator.best_loss = x.reshape(-1).astype(np.float64), loss
        if evaluator.on_eval:
            for _ in range(maxfun):
                evaluator.on_eval(loss)
        if not finite:
            raise NonFiniteLoss(
                "the loss became non-finite within evaluations "
                f"{evaluator.n_evals - maxfun + 1}-{evaluator.n_evals}; lower the loss weights; "
                "the last finite image was kept"
            )
        report(i, x.reshape(-1), loss)
    return x.reshape(-1)
