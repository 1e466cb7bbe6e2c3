"""Optimising an image with scipy's L-BFGS-B, as in the lesson, or on the device.

``Evaluator`` turns one compiled function ``x -> (loss, gradient)`` into the separate
``loss(x)`` and ``grads(x)`` callables that ``fmin_l_bfgs_b`` wants, running the network
once per point.  ``solve_image`` is the lesson's outer loop; with
``optimizer="lbfgs-device"`` each outer iteration is one compiled run of
``neural_style.lbfgs.lbfgs_device`` instead, with no host round trip per evaluation.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from neural_style import backend, solvers
from neural_style.config import OPTIMIZERS
from neural_style.errors import NeuralStyleError
from neural_style.images import deproc, save_image
from neural_style.signals import stop_requests
from neural_style.solvers import NonFiniteLoss, StopRequested


def loss_and_grads_fn(loss_fn, shape, jit_compile=None):
    """Compile ``loss_fn`` (preprocessed image (1, H, W, 3) -> scalar) into one function
    that returns ``(loss, d loss / d image)`` as numpy arrays, in a single pass.

    The returned function also carries ``value_and_grad``, the traceable tensor version,
    which ``solve_image(optimizer="lbfgs-device")`` compiles into its loop.
    ``jit_compile=True`` asks TensorFlow for XLA; None lets the backend decide.
    """
    value_and_grad = backend.value_and_grad(loss_fn)
    compiled = backend.compile(value_and_grad, jit_compile)

    def f(x):
        loss, grad = compiled(backend.to_tensor(np.reshape(x, shape)))
        return backend.to_numpy(loss), backend.to_numpy(grad)

    f.value_and_grad, f.jit_compile = value_and_grad, jit_compile
    return f


class Evaluator:
    """The lesson's Evaluator: ``loss(x)`` runs ``f`` once and caches the gradient,
    ``grads(x)`` returns it (recomputing if ``x`` is not the point ``loss`` last saw).

    Args:
        f: callable from a float32 array of shape ``shp`` to ``(loss, gradient)``.
        shp: image shape, usually (1, H, W, 3), preprocessed BGR.

    Also keeps the lowest-loss point seen (``best_x``, ``best_loss``) and the number of
    evaluations, and raises ``NonFiniteLoss`` on a NaN or infinite loss or gradient.
    """

    def __init__(self, f, shp):
        self.f, self.shp = f, tuple(shp)
        self.n_evals = 0
        self.seconds_in_f = 0.0  # time inside f: the rest of a run is optimiser overhead
        self.best_x, self.best_loss = None, math.inf
        self.on_eval = None  # optional hook(loss) after each evaluation, e.g. a progress bar
        self._x = self._loss = self._grad = None
        self._stop = False

    def _evaluate(self, x):
        if self._stop:
            raise StopRequested
        x = np.asarray(x, dtype=np.float64)
        start = time.perf_counter()
        loss, grad = self.f(np.asarray(x, dtype=np.float32).reshape(self.shp))
        loss = float(backend.to_numpy(loss))
        grad = backend.to_numpy(grad)
        self.seconds_in_f += time.perf_counter() - start
        grad = grad.astype(np.float64).reshape(-1)
        self.n_evals += 1
        if not (math.isfinite(loss) and np.isfinite(grad).all()):
            raise NonFiniteLoss(
                f"the loss became {loss} after {self.n_evals} evaluations; lower the loss "
                "weights; the last finite image was kept"
            )
        self._x, self._loss, self._grad = x.copy(), loss, grad
        if loss < self.best_loss:
            self.best_x, self.best_loss = self._x, loss
        if self.on_eval:
            self.on_eval(loss)

    def loss(self, x):
        """Loss at ``x`` (flat or shaped preprocessed image) as a Python float."""
        self._evaluate(x)
        return self._loss

    def grads(self, x):
        """Gradient at ``x``, flat float64, reusing the one computed by ``loss(x)``."""
        if self._x is None or not np.array_equal(np.ravel(x), self._x.ravel()):
            self._evaluate(x)
        return self._grad

    def request_stop(self):
        """Make the next evaluation raise StopRequested (safe from a signal handler)."""
        self._stop = True


def rand_img(shape, scale=1.0, rng=None):
    """Uniform noise in [-2.5, 2.5) divided by ``scale``, float32 of ``shape``: the lesson's
    ``np.random.uniform(-2.5, 2.5, shape) / scale`` (scale 100 to recreate content)."""
    rng = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    return (rng.uniform(-2.5, 2.5, shape) / scale).astype(np.float32)


def solve_image(
    evaluator,
    niter,
    x,
    maxfun=20,
    clip=127,
    out_dir=None,
    fname="res_at_iteration_{i}.png",
    callback=None,
    optimizer="lbfgs-restart",
    save_every=1,
    bytescale=False,
    verbose=True,
):
    """Optimise the image ``x`` (preprocessed BGR, shape ``evaluator.shp``).

    ``optimizer="lbfgs-restart"`` is the lesson's loop: ``niter`` times, run
    ``fmin_l_bfgs_b(maxfun=maxfun)`` from the current image (the optimiser's memory is
    restarted each time), clip to +-``clip``, print ``Current loss value:`` and save
    ``out_dir/fname``.  ``optimizer="lbfgs"`` runs one continuous L-BFGS for all
    ``niter * maxfun`` evaluations, reports every ``maxfun`` and clips the final image.
    ``optimizer="lbfgs-device"`` keeps the lesson's loop but replaces scipy by
    ``lbfgs_device`` (exactly ``maxfun`` evaluations per outer iteration, compiled whole,
    on the GPU when there is one); it needs an evaluator whose ``f`` comes from
    ``loss_and_grads_fn``.

    ``callback(i, x, loss)`` is called after each outer iteration with the image shaped
    ``evaluator.shp``.  Ctrl-C or SIGTERM stops after the current evaluation and keeps
    the best image; so does a non-finite loss.  Returns ``(x, losses)``: the final image
    (shape ``evaluator.shp``) and the loss after each outer iteration.

    Attributes set on the evaluator: ``stopped`` (None, "signal" or the error message).
    """
    _check_optimizer(evaluator, optimizer)
    shp = evaluator.shp
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    losses = []
    evaluator.stopped = None

    def report(i, x, loss):
        x = x.reshape(shp)
        losses.append(float(loss))
        if verbose:
            print("Current loss value:", loss)
        if out_dir is not None and (i + 1) % save_every == 0:
            save_image(
                Path(out_dir) / fname.format(i=i), deproc(x.copy(), shp), bytescale=bytescale
            )
        if callback:
            callback(i, x, loss)

    x = _solve(evaluator, optimizer, niter, x, maxfun, clip, report)
    return x.reshape(shp), losses


def _solve(evaluator, optimizer, niter, x, maxfun, clip, report):
    """The outer loop ``optimizer`` names (``solvers``), Ctrl-C a request to stop; the
    final image, flat, or the best one kept where it stopped early."""
    with stop_requests(evaluator.request_stop):
        try:
            if optimizer == "lbfgs-restart":
                return solvers.restarts(evaluator, niter, x, maxfun, clip, report)
            if optimizer == "lbfgs":
                solvers.continuous(evaluator, niter, x, maxfun, report)
                return np.clip(evaluator.best_x.reshape(-1), -clip, clip)
            return solvers.device(evaluator, niter, x, maxfun, clip, report)
        except StopRequested:
            evaluator.stopped = "signal"
        except NonFiniteLoss as e:
            evaluator.stopped = str(e)
    return _best_kept(evaluator, clip)


def _check_optimizer(evaluator, optimizer):
    if optimizer not in OPTIMIZERS:
        raise NeuralStyleError(
            f"optimizer={optimizer!r} is not valid; use one of {', '.join(OPTIMIZERS)}"
        )
    if optimizer == "lbfgs-device" and not hasattr(evaluator.f, "value_and_grad"):
        raise NeuralStyleError(
            "optimizer='lbfgs-device' needs an Evaluator(loss_and_grads_fn(loss_fn, shape), "
            "shape); this one wraps a plain function"
        )


def _best_kept(evaluator, clip):
    """After a stop (a signal, a non-finite loss): the best image so far, clipped; with
    none, the stop goes on up as KeyboardInterrupt or NonFiniteLoss."""
    if evaluator.best_x is None:
        if evaluator.stopped == "signal":
            raise KeyboardInterrupt
        raise NonFiniteLoss(evaluator.stopped)
    return np.clip(evaluator.best_x, -clip, clip)
