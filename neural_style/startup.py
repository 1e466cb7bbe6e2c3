"""Choosing and starting the Keras backend, before Keras is imported: ``KERAS_BACKEND`` or
Keras' config file, a one-line error for an unknown or uninstalled backend, TensorFlow
imported without its start-up notices and taking GPU memory as needed.
``neural_style.backend`` calls ``prepare`` before it imports Keras."""

from __future__ import annotations

import importlib.util
import os
import sys

from neural_style.errors import NeuralStyleError

BACKENDS = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}


def requested() -> str:
    """The backend Keras will use: ``KERAS_BACKEND``, else Keras's config file, else
    TensorFlow."""
    name = os.environ.get("KERAS_BACKEND")
    if not name:
        try:
            import json
            from pathlib import Path

            home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
            name = json.loads((home / "keras.json").read_text()).get("backend")
        except (OSError, ValueError):
            name = None
    return name or "tensorflow"


def check() -> str:
    """Raise a one-line NeuralStyleError if the requested backend is unknown or not
    installed; return its name.  Called before Keras is imported."""
    name = requested()
    if name not in BACKENDS:
        raise NeuralStyleError(
            f"KERAS_BACKEND={name!r} is not a backend neural_style supports; use one of "
            f"{', '.join(BACKENDS)}"
        )
    if importlib.util.find_spec("keras") is None:
        raise NeuralStyleError(
            "Keras is not installed in this environment (an install for exported networks only); "
            "pip install '.[cpu]' (or gpu, jax-cpu, torch-cpu) in the neural_style folder, or run "
            "`make setup`"
        )
    if importlib.util.find_spec(name) is None:
        raise NeuralStyleError(
            f"KERAS_BACKEND={name} but {BACKENDS[name]} is not installed in this environment; run "
            f"`make setup BACKEND={name}`"
        )
    return name


def prepare() -> str:
    """Check the backend, then import it quietly and configure it (once)."""
    name = check()
    if name == "tensorflow" and "tensorflow" not in sys.modules:
        _import_tensorflow_quietly()
        _tensorflow_memory_growth()
    return name


def _import_tensorflow_quietly():
    """Import TensorFlow with its C-level start-up notices (which no environment variable
    silences) sent to /dev/null; NEURAL_STYLE_DEBUG=1 shows them."""
    if os.environ.get("NEURAL_STYLE_DEBUG") == "1":
        import tensorflow  # noqa: F401

        return
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _tensorflow_memory_growth():
    """Take GPU memory as needed rather than all of it at start (TensorFlow's default),
    so a notebook can share the GPU with other processes."""
    import tensorflow as tf

    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:  # the GPU is already initialised: too late, and harmless
            pass
