"""L-BFGS that stays on the device: image, gradient and history never leave the GPU.

One algorithm, written once in ``keras.ops``, so that TensorFlow, JAX and PyTorch follow
the same iterates.  The direction is scipy's: the two-loop recursion over the last
``memory`` pairs (s, y), a pair kept only where s.y > 0.  The step differs: scipy spends
several evaluations on a line search per iteration, which needs data-dependent loops;
here every evaluation is one trial step along the current direction, accepted if it
decreases the loss enough (Armijo), lengthened for the next direction when the Wolfe
curvature condition shows it was too short, halved and retried when rejected, and never
moving a pixel by more than ``MAX_STEP``.  So ``maxfun`` evaluations are one fixed-length
loop (``ops.fori_loop``) that each backend compiles whole: a ``tf.while_loop`` inside
``tf.function``, a ``jax.lax.fori_loop`` inside ``jax.jit``; PyTorch queues its kernels
without waiting.  Nothing is read back to the host until the loop ends.  The history is a
ring buffer of ``memory`` slots, empty slots are zeros and add nothing.
"""

from __future__ import annotations

from neural_style.backend import ops

CURVATURE_EPS = 1e-10  # keep a pair (s, y) only where s.y > this (positive curvature)
ARMIJO, WOLFE = 1e-4, 0.9  # sufficient decrease and curvature constants, as in scipy
GROW, SHRINK = 4.0, 0.5  # step multiplier after a too-short step, after a rejected one
T_MIN, T_MAX = 1e-8, 1e8
MAX_STEP = 64.0  # preprocessed pixel values span -127..+152: a larger move is no step


def _direction(g, S, Y, rho, k, h_diag, memory):
    """-H g by the two-loop recursion over the ring buffer (slot of the newest pair:
    (k - 1) mod memory).  Empty slots hold zeros and add nothing."""
    q = g
    alphas = []
    for j in range(memory):  # newest to oldest
        i = (k - 1 - j) % memory
        a = ops.take(rho, i) * ops.sum(ops.take(S, i, axis=0) * q)
        q = q - a * ops.take(Y, i, axis=0)
        alphas.append(a)
    r = h_diag * q
    for j in reversed(range(memory)):  # oldest to newest
        i = (k - 1 - j) % memory
        b = ops.take(rho, i) * ops.sum(ops.take(Y, i, axis=0) * r)
        r = r + ops.take(S, i, axis=0) * (alphas[j] - b)
    return -r


def _put(buffer, slot, row, keep):
    """``buffer`` with ``row`` written at ``slot`` when ``keep``, else unchanged."""
    old = ops.take(buffer, slot, axis=0)
    new = ops.where(keep, row, old)
    return ops.slice_update(buffer, (slot,) + (0,) * len(ops.shape(row)), new[None])


def new_history(shape, memory=10):
    """An empty L-BFGS history for images of ``shape``: ``memory`` (s, y) pairs, the
    initial Hessian scale and the step multiplier."""
    shape = tuple(shape)
    return dict(
        S=ops.zeros((memory, *shape)),
        Y=ops.zeros((memory, *shape)),
        rho=ops.zeros((memory,)),
        k=ops.convert_to_tensor(0, "int32"),
        h_diag=ops.convert_to_tensor(0.0, "float32"),
        t=ops.convert_to_tensor(1.0, "float32"),
    )


def lbfgs_device(value_and_grad, x0, maxfun, history=None, memory=10):
    """``maxfun`` evaluations of L-BFGS from ``x0``, all on the device, as one loop.

    Args:
        value_and_grad: traceable ``x -> (loss, gradient)`` for x of ``x0``'s shape
            (``neural_style.backend.value_and_grad``).
        x0: start point, a float32 tensor of any shape (e.g. (1, H, W, 3) preprocessed BGR).
        maxfun: number of evaluations (>= 1), the same budget as scipy's ``maxfun``;
            the first is at ``x0``.
        history: the history returned by an earlier call, to continue from it (the pairs
            stay valid after a small change such as the clip), or None to start afresh.
        memory: number of correction pairs kept (scipy's ``m``, default 10).

    Returns:
        ``(best_x, best_loss, finite, history)``: the point of lowest loss among the
        evaluations, its loss, False if some evaluation gave a non-finite loss (such a
        point is never taken), and the history to pass to the next call.
    """
    state = lbfgs_start(value_and_grad, x0, history, memory)
    state = ops.fori_loop(1, maxfun, lambda _, s: lbfgs_step(value_and_grad, s), state)
    return lbfgs_result(state)


def lbfgs_start(value_and_grad, x0, history=None, memory=10):
    """The loop's state after its first evaluation, at ``x0`` (see ``lbfgs_device``)."""
    x = ops.convert_to_tensor(x0, "float32")
    f, g = _evaluate(value_and_grad, x)
    finite = ops.logical_and(ops.isfinite(f), ops.all(ops.isfinite(g)))
    h = history if history is not None else new_history(ops.shape(x), memory)
    # Before any pair, scale the steepest-descent step to unit length, as scipy does.
    h_diag = ops.where(h["k"] > 0, h["h_diag"], 1.0 / ops.maximum(ops.sqrt(ops.sum(g * g)), 1e-30))
    d = _direction(g, h["S"], h["Y"], h["rho"], h["k"], h_diag, memory)
    best_f = ops.where(finite, f, float("inf"))
    return dict(
        x=x, f=f, g=g, d=d, finite=finite, best_x=x, best_f=best_f, **{**h, "h_diag": h_diag}
    )


def lbfgs_step(value_and_grad, s):
    """One evaluation: a trial step from ``s`` (a state of ``lbfgs_start``), the new state."""
    memory = ops.shape(s["S"])[0]
    gd = ops.sum(s["g"] * s["d"])
    # no pixel moves by more than MAX_STEP in one step: a trust region in pixel units
    t = ops.minimum(s["t"], MAX_STEP / ops.maximum(ops.max(ops.abs(s["d"])), 1e-30))
    x_try = s["x"] + t * s["d"]
    f_try, g_try = _evaluate(value_and_grad, x_try)
    ok = ops.logical_and(ops.isfinite(f_try), ops.all(ops.isfinite(g_try)))
    accept = ops.logical_and(ok, f_try <= s["f"] + ARMIJO * t * gd)
    short = ops.logical_and(accept, ops.sum(g_try * s["d"]) < WOLFE * gd)
    sk, yk = x_try - s["x"], g_try - s["g"]
    ys = ops.sum(yk * sk)
    keep = ops.logical_and(accept, ys > CURVATURE_EPS)
    slot = s["k"] % memory
    S, Y = _put(s["S"], slot, sk, keep), _put(s["Y"], slot, yk, keep)
    rho_slot = ops.where(keep, 1.0 / ops.where(keep, ys, 1.0), ops.take(s["rho"], slot))
    rho = ops.slice_update(s["rho"], (slot,), rho_slot[None])
    k = s["k"] + ops.cast(keep, "int32")
    h_diag = ops.where(keep, ys / ops.maximum(ops.sum(yk * yk), 1e-30), s["h_diag"])
    x_new = ops.where(accept, x_try, s["x"])
    f_new = ops.where(accept, f_try, s["f"])
    g_new = ops.where(accept, g_try, s["g"])
    d = ops.where(accept, _direction(g_new, S, Y, rho, k, h_diag, memory), s["d"])
    # Too short a step (the Wolfe curvature condition fails): take longer ones; a step
    # that does not decrease the loss enough is retried at half the length.
    t = ops.where(accept, ops.where(short, t * GROW, t), t * SHRINK)
    better = ops.logical_and(accept, f_try < s["best_f"])
    return dict(
        x=x_new,
        f=f_new,
        g=g_new,
        d=d,
        finite=ops.logical_and(s["finite"], ok),
        best_x=ops.where(better, x_try, s["best_x"]),
        best_f=ops.where(better, f_try, s["best_f"]),
        S=S,
        Y=Y,
        rho=rho,
        k=k,
        h_diag=h_diag,
        t=ops.clip(t, T_MIN, T_MAX),
    )


def lbfgs_result(s):
    """``(best_x, best_loss, finite, history)`` of a state, as ``lbfgs_device`` returns."""
    history = {key: s[key] for key in ("S", "Y", "rho", "k", "h_diag", "t")}
    return s["best_x"], s["best_f"], s["finite"], history


def _evaluate(value_and_grad, x):
    loss, grad = value_and_grad(x)
    return ops.cast(loss, "float32"), grad
