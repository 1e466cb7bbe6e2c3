"""The only module that knows which Keras backend runs: TensorFlow, JAX or PyTorch.

Everything else is written in ``keras.ops``.  What truly differs per backend lives here:

- ``value_and_grad(loss_fn)``: ``x -> (loss, d loss / d x)`` in one pass
  (``tf.GradientTape``; ``jax.value_and_grad``; ``torch.autograd.grad``);
- ``compile(fn)``: one compiled program (``tf.function``; ``jax.jit``; PyTorch runs eagerly,
  its kernels queued asynchronously on the GPU, so Python only issues work);
- devices, seeds and conversion to and from numpy (memory: ``memory.free_memory``).

The other modules take ``keras`` and ``ops`` from here (``from neural_style.backend import
keras, ops``): importing this module first checks and configures the backend
(``neural_style.startup``: a one-line error for an unknown or uninstalled one), before Keras
is imported.

Precision: float32 everywhere.  On an NVIDIA GPU of the Ampere generation or later each
backend keeps its own default for TensorFloat-32: TensorFlow and JAX use TF32 for
convolutions and matrix products; PyTorch for convolutions only (cuDNN), its matrix
products stay strict float32.  On the CPU there is no TF32.
"""

from __future__ import annotations

import contextlib
import os

from neural_style import startup


def name() -> str:
    """The Keras backend in use: "tensorflow", "jax" or "torch"."""
    return keras.backend.backend()


# ---------------------------------------------------------------- gradients, compiling


def value_and_grad(loss_fn):
    """``x -> (loss, d loss / d x)`` for a scalar ``loss_fn`` of one tensor, traceable
    by ``compile`` (one forward and one backward pass)."""
    backend = name()
    if backend == "tensorflow":
        import tensorflow as tf

        def f(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = loss_fn(x)
            return loss, tape.gradient(loss, x)

        return f
    if backend == "jax":
        import jax

        return jax.value_and_grad(loss_fn)
    import torch

    def f(x):
        x = x.detach().requires_grad_(True)
        with torch.enable_grad():
            loss = loss_fn(x)
            (grad,) = torch.autograd.grad(loss, x)
        return loss.detach(), grad

    return f


def compile(fn, jit_compile=None):  # noqa: A001 - the backends' own word
    """``fn`` as one compiled program.  ``jit_compile=True`` asks TensorFlow for XLA (JAX
    always uses XLA); None lets the backend decide."""
    backend = name()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(fn, jit_compile=jit_compile, reduce_retracing=True)
    if backend == "jax":
        import jax

        return jax.jit(fn)
    return fn  # PyTorch: eager; torch.compile costs minutes of compiling for this graph


def compiles_loops() -> bool:
    """Whether a loop of evaluations (the device L-BFGS) should be compiled whole.

    Not for JAX on the CPU: XLA:CPU runs the network's convolutions several times slower
    inside a while loop (docs/benchmarks.md); there each evaluation is one compiled step
    instead, which Python dispatches without waiting for it, the state staying on the
    device.  PyTorch always runs such a loop from Python.
    """
    return not (name() == "jax" and not on_gpu())


# ------------------------------------------------------------------ arrays and devices


def to_tensor(x, dtype="float32"):
    """A numpy array as a tensor on the backend's default device."""

    return ops.convert_to_tensor(x, dtype=dtype)


def to_numpy(x):
    """A tensor (on any device) as a numpy array."""

    return ops.convert_to_numpy(x)


def on_gpu() -> bool:
    """Whether the backend computes on a GPU."""
    backend = name()
    if backend == "tensorflow":
        import tensorflow as tf

        return bool(tf.config.list_logical_devices("GPU"))
    if backend == "jax":
        import jax

        return jax.default_backend() == "gpu"
    import torch

    return torch.cuda.is_available()


def device() -> str:
    """The device the backend computes on, in words, e.g. ``"GPU 0 (NVIDIA H200)"``."""
    if not on_gpu():
        return f"CPU ({os.cpu_count()} cores)"
    backend = name()
    if backend == "jax":
        import jax

        return f"GPU 0 ({jax.devices()[0].device_kind})"
    if backend == "torch":
        import torch

        return f"GPU 0 ({torch.cuda.get_device_name(0)})"
    import tensorflow as tf

    details = tf.config.experimental.get_device_details(tf.config.list_physical_devices("GPU")[0])
    return f"GPU 0 ({details.get('device_name', 'unknown')})"


def data_parallel():
    """``(context, n_devices)``: inside ``context``, models built and fitted spread each
    batch over every local accelerator (or virtual CPU device), the weights replicated.

    JAX: ``keras.distribution.DataParallel`` (XLA shards the batch; batch statistics stay
    those of the whole batch, so one device or several give the same numbers).
    TensorFlow: ``tf.distribute.MirroredStrategy`` over two or more GPUs (its batch norm
    uses each replica's share of the batch).  PyTorch: one device.  Across hosts, call
    ``distributed.start`` first; ``DataParallel`` then spans every device of every host.
    """
    backend = name()
    if backend == "jax":
        import jax

        devices = jax.devices()  # of every process, after distributed.start
        if len(devices) > 1:  # each process streams its own share: Keras need not shard the data
            return keras.distribution.DataParallel(
                devices=devices, auto_shard_dataset=False
            ).scope(), len(devices)
    elif backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_logical_devices("GPU")
        if len(gpus) > 1:
            return tf.distribute.MirroredStrategy().scope(), len(gpus)
    return contextlib.nullcontext(), 1


def set_seed(seed: int):
    """Seed Python, numpy and the backend; on TensorFlow also ask for deterministic ops,
    so that the same seed on the same machine gives the same bytes."""
    keras.utils.set_random_seed(seed)
    if name() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


startup.prepare()
import keras  # noqa: E402 - only after the backend is checked and configured
from keras import ops  # noqa: E402
