"""How a network is run on an image of any size: reflection padding that reaches past the
image's own size, the compiled forward pass (made once per network and kind), and ``run``,
numpy in and out, which the kinds' ``apply`` and an exported network's runner share.
"""

from __future__ import annotations

import weakref


def smaller(a, b):
    """min of two sizes: Python ints stay ints (static shapes), tensors use ``ops``."""
    from neural_style.backend import ops

    return min(a, b) if isinstance(a, int) and isinstance(b, int) else ops.minimum(a, b)


def larger(a, b):
    """max of two sizes, as ``smaller`` is min."""
    from neural_style.backend import ops

    return max(a, b) if isinstance(a, int) and isinstance(b, int) else ops.maximum(a, b)


def reflect_pad(x, top, bottom, left, right, passes=7):
    """(B, H, W, C) padded by reflection, as ``numpy.pad(mode="reflect")``.  Reflection
    adds at most side - 1 px at a time, so tiny inputs take several passes: seven pad a
    2 px side to 65 px or more on one side alone (2, 3, 5, 9, 17, 33, 65), past the 44 px a
    style network needs.  A 1 px side cannot be reflected: ``run`` repeats it first."""
    from neural_style.backend import ops

    channels = x.shape[-1]
    for _ in range(passes):
        if all(isinstance(p, int) and p == 0 for p in (top, bottom, left, right)):
            break
        h, w = ops.shape(x)[1], ops.shape(x)[2]
        t, b, le, r = (
            smaller(top, h - 1),
            smaller(bottom, h - 1),
            smaller(left, w - 1),
            smaller(right, w - 1),
        )
        x = ops.pad(x, [[0, 0], [t, b], [le, r], [0, 0]], mode="reflect")
        top, bottom, left, right = top - t, bottom - b, left - le, right - r
    if channels is None:
        return x
    # Traced with unknown amounts, a pad loses even the channel count, which TFLite's
    # convolutions need: restate it (a no-op reshape when run).
    return ops.reshape(x, (ops.shape(x)[0], ops.shape(x)[1], ops.shape(x)[2], channels))


_FORWARD = weakref.WeakKeyDictionary()


def forward(net, kind=None):
    """``net``'s inference pass as one compiled function, made once per network
    (tf.function / jax.jit: faster than calling the model eagerly, docs/benchmarks.md);
    with ``kind``, framed as ``kind.framed`` does (any input size; further inputs, such as
    style weights, after the image)."""
    from neural_style import backend

    compiled = _FORWARD.setdefault(net, {})  # by kind: None is the bare network
    if kind not in compiled:

        def fn(x, *extra):
            return kind.framed(net, x, *extra) if kind else net(x, training=False)

        compiled[kind] = backend.compile(fn)
    return compiled[kind]


def run(net, x, kind=None, *extra):
    """``forward(net, kind)`` on a float32 numpy batch (B, H, W, 3), and ``extra`` numpy
    inputs: numpy out.  An exported network (``runtimes.Runner``) runs in its own runtime,
    framed inside its graph."""
    import numpy as np

    h, w = x.shape[1:3]
    if kind is not None and min(h, w) < 2:  # reflection needs two pixels: repeat the one there is
        x = np.pad(x, ((0, 0), (0, 2 - min(h, 2)), (0, 2 - min(w, 2)), (0, 0)), mode="edge")
        return run(net, x, kind, *extra)[:, : kind.scale * h, : kind.scale * w]
    if getattr(net, "frames_itself", False):
        return net(x, *extra)
    from neural_style import backend

    return backend.to_numpy(
        forward(net, kind)(backend.to_tensor(x), *map(backend.to_tensor, extra))
    )
