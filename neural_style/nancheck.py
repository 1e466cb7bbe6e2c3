"""Where a training run first went non-finite, on JAX: the step that went non-finite run
again, from the state before it and on the same batch, with JAX's own NaN and infinity
checks (``jax.debug_nans``, ``jax.debug_infs``).  The step runs operation by operation
there, so JAX stops at the first primitive whose output holds a NaN or an infinity and
says which, with the line of the network that called it.  This is what ``debugdump``'s
Debugger V2 dump answers on TensorFlow.

Inside Keras' compiled step the checks stay silent (the run stops on the loss first), so
the state before each step is kept on the host (``StepKeeper``) to run the failing one again.
"""

from __future__ import annotations

import logging
import re
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from neural_style.backend import keras

REPORT = "jax_debug_nans.txt"


class StepKeeper(keras.callbacks.Callback):
    """Keeps, on the host, the training state before the step now running and its index
    within the epoch (JAX's trainer gives its buffers to the next step)."""

    def __init__(self, trainer):
        super().__init__()
        self.trainer, self.state, self.step = trainer, None, None

    def on_train_batch_begin(self, batch, logs=None):
        self.step = batch
        if self.state is None:  # the run's first step: the variables are still the model's own
            t = self.trainer
            self.state = _host(
                [
                    [v.value for v in vs]
                    for vs in (
                        t.trainable_variables,
                        t.non_trainable_variables,
                        t.optimizer.variables,
                        t.metrics_variables,
                    )
                ]
            )

    def on_train_batch_end(self, batch, logs=None):
        state = getattr(self.trainer, "_jax_state", None)
        # the state after a good step: the next one's start
        if state and np.isfinite(float(logs["loss"])):
            keys = (
                "trainable_variables",
                "non_trainable_variables",
                "optimizer_variables",
                "metrics_variables",
            )
            self.state = _host([state[k] for k in keys])


def _host(state):
    return [[np.array(v) for v in vs] for vs in state]


@dataclass
class NonFinite:
    """The first primitive whose output held a NaN or an infinity, as JAX's checks saw it."""

    primitive: str  # JAX's primitive: "reduce_sum", "mul", ...
    value: str  # "nan" or "inf"
    layer: str  # the layer that called it, with the models around it: "m_style/style_instance/gn"
    layer_type: str
    inputs_finite: bool | None  # whether the layer's input was finite everywhere (None: not seen)
    line: str  # the source line that called the primitive

    def __str__(self):
        seen = {
            True: "its input finite everywhere",
            False: "its input already non-finite",
            None: "its input not seen",
        }[self.inputs_finite]
        return (
            f"{self.primitive} ({self.value}) in layer {self.layer} ({self.layer_type}, {seen}), "
            f"at {self.line}"
        )


def first_nonfinite(keeper, stream, folder=None) -> NonFinite | None:
    """Run the step ``keeper`` last began again, on ``stream``'s same batch, with JAX's
    NaN and infinity checks: the first primitive that made one and the layer that called
    it (the whole traceback into ``folder/REPORT`` where given); None if every value
    stayed finite."""
    import jax

    data = stream[keeper.step]
    filtering = keras.config.is_traceback_filtering_enabled()
    # keep the frames of the layer that failed, with its inputs
    keras.config.disable_traceback_filtering()
    logger = logging.getLogger("jax")
    level = logger.level
    # "Invalid nan value ... Calling the de-optimized version.": what we ask for
    logger.setLevel(logging.ERROR)
    try:
        with jax.debug_nans(True), jax.debug_infs(True):
            keeper.trainer.train_step(keeper.state, data)
    except FloatingPointError as e:
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            (Path(folder) / REPORT).write_text("".join(traceback.format_exception(e)))
        return _describe(e)
    finally:
        logger.setLevel(level)
        if filtering:
            keras.config.enable_traceback_filtering()
    return None


def _describe(error) -> NonFinite:
    match = re.search(r"invalid value \((nan|inf)\) encountered in (\w+)", str(error))
    value, primitive = match.groups() if match else ("nan", "an operation")
    frames, tb = [], error.__traceback__
    while tb is not None:
        frames.append(tb)
        tb = tb.tb_next
    layers = [tb.tb_frame.f_locals.get("self") for tb in frames]
    layers = [x for x in layers if isinstance(x, keras.layers.Layer)]
    models = list(dict.fromkeys(x.name for x in layers if isinstance(x, keras.Model)))
    leaf = next((x for x in reversed(layers) if not isinstance(x, keras.Model)), None)
    own = [
        tb for tb in frames if leaf is not None and tb.tb_frame.f_locals.get("self") is leaf
    ] or frames
    inputs = next(
        (
            tb.tb_frame.f_locals["inputs"]
            for tb in reversed(own)
            if "inputs" in tb.tb_frame.f_locals
        ),
        None,
    )
    code = own[-1].tb_frame.f_code  # the layer's own line that led to the primitive
    line = f"{Path(code.co_filename).name}:{own[-1].tb_lineno} ({code.co_name})"
    return NonFinite(
        primitive,
        value,
        "/".join([*models, leaf.name] if leaf else models),
        type(leaf).__name__ if leaf else "-",
        _finite(inputs),
        line,
    )


def _finite(x) -> bool | None:
    """Whether a traced value (its primal, under ``jax.grad``) is finite everywhere."""
    while hasattr(x, "primal"):
        x = x.primal
    try:
        return bool(np.isfinite(np.asarray(x)).all())
    except Exception:  # noqa: BLE001 - an abstract value: not seen
        return None
