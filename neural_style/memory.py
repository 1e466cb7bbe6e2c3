"""How much memory one optimisation run needs, so that the command can choose a size that
fits before it starts rather than fail part way; and how much there is (``free_memory``,
``peak_memory``: on the GPU, by the backend's own count)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from neural_style.vgg16_layers import layer_names, layer_shapes

# for the annotation only: config imports kinds, which import backend, which imports memory
if TYPE_CHECKING:
    from neural_style.config import Config

# Memory model of one run, calibrated against measured peak resident memory (see
# benchmarks/RESULTS.md): the process with TensorFlow and the weights loaded, a multiple
# of the bytes of all activations of the truncated network at this image size, and the
# float64 vectors of the optimiser: L-BFGS-B's workspace of (2 m + 5) n values with
# m = 10 corrections, plus about 6 copies of the image and gradient on our side.
BASE_BYTES = 1.05e9
ACTIVATION_FACTOR = 1.6
OPTIMIZER_BYTES_PER_VALUE = 8 * (2 * 10 + 5 + 6)
GPU_CONTEXT_BYTES = 0.3e9  # the backend's own workspace (cuDNN, XLA buffers); not measured here


def available() -> int:
    """Bytes of system memory available now (what the CPU computes in).  This module
    imports no Keras, so an exported network's path can ask too."""
    import psutil

    return psutil.virtual_memory().available


def free_memory() -> int:
    """Bytes free where the computation happens: the GPU's free memory on a GPU, the
    available system memory on the CPU."""
    from neural_style import backend as b  # imported here: this module imports no Keras

    if b.on_gpu():
        backend = b.name()
        if backend == "torch":
            import torch

            return torch.cuda.mem_get_info(0)[0]
        if backend == "jax":
            import jax

            stats = jax.devices()[0].memory_stats() or {}
            if "bytes_limit" in stats:
                return stats["bytes_limit"] - stats.get("bytes_in_use", 0)
        free = _nvidia_smi_free()
        if free is not None:
            return free
    return available()


def _nvidia_smi_free():
    import subprocess

    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=memory.free", "--format=csv,noheader,nounits", "-i", "0"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
        return int(out.split()[0]) * 2**20
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def peak_memory() -> int | None:
    """Peak bytes allocated on the GPU so far, or None on the CPU (use the process's RSS)."""
    from neural_style import backend as b

    if not b.on_gpu():
        return None
    backend = b.name()
    if backend == "torch":
        import torch

        return torch.cuda.max_memory_allocated(0)
    if backend == "jax":
        import jax

        return (jax.devices()[0].memory_stats() or {}).get("peak_bytes_in_use")
    import tensorflow as tf

    return tf.config.experimental.get_memory_info("GPU:0")["peak"]


def activation_bytes(height, width, layers) -> int:
    """float32 bytes of every conv and pool output up to the deepest of ``layers``."""
    deepest = max(layers, key=layer_names().index)
    return sum(4 * h * w * c for _, h, w, _, c in layer_shapes(height, width, deepest))


def estimate_memory(height, width, cfg: Config, gpu=False) -> int:
    """Estimated peak memory in bytes of a run at height x width pixels: resident memory
    of the process on the CPU; with ``gpu=True``, memory on the GPU (weights of the
    truncated network, activations, and the device L-BFGS's history of 2 m vectors plus
    about 8 more of the image's size; the host keeps scipy's workspace)."""
    layers = list(cfg.style_layers) + ([cfg.content_layer] if cfg.content_layer else [])
    activations = ACTIVATION_FACTOR * activation_bytes(height, width, layers)
    n = height * width * 3
    if gpu:
        deepest = max(layers, key=layer_names().index)
        weights = sum(
            4 * (9 * cin * cout + cout)
            for name, _, _, cin, cout in layer_shapes(1, 1, deepest)
            if "conv" in name
        )
        optimizer = 4 * (2 * 10 + 8) * n if cfg.optimizer == "lbfgs-device" else 4 * 4 * n
        return int(weights + activations + optimizer + GPU_CONTEXT_BYTES)
    return int(BASE_BYTES + activations + OPTIMIZER_BYTES_PER_VALUE * n)
