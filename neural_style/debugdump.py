"""Where a training run first went non-finite (``neural-style train --debug-dump DIR``).
On TensorFlow: its Debugger V2 dump (the lesson wiki's "TF debugger",
``tf.debugging.experimental.enable_dump_debug_info``), read back with its own reader;
``tensorboard --logdir DIR`` shows it on its Debugger V2 page.  On JAX: the failing step
run again with JAX's own NaN and infinity checks (``nancheck``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from neural_style import backend
from neural_style.errors import NeuralStyleError

# FULL_HEALTH's summary of a tensor: [tensor id, device, dtype, rank, size, -inf, +inf, nan, -, 0,
# +] counts
NEG_INF, POS_INF, NAN = 5, 6, 7


@dataclass
class NonFinite:
    """The first operation whose output held a NaN or an infinity, as the dump saw it."""

    op_name: str
    op_type: str
    inputs: list  # the names of its input tensors ("op:slot")
    nan: int  # how many elements were NaN
    inf: int  # how many were +-infinite
    index: int  # its place among every traced execution of the run

    def __str__(self):
        what = ", ".join(f"{n} {w}" for n, w in ((self.nan, "NaN"), (self.inf, "infinite")) if n)
        return f"{self.op_type} {self.op_name} ({what}; inputs {', '.join(self.inputs) or 'none'})"


def check():
    """Raise NeuralStyleError unless the backend has a debugger here (TensorFlow's dump,
    JAX's checks), before anything is built."""
    if backend.name() not in ("tensorflow", "jax"):
        raise NeuralStyleError(
            "--debug-dump needs TensorFlow's Debugger V2 or JAX's NaN checks; run with "
            f"KERAS_BACKEND=tensorflow or jax, not {backend.name()}"
        )


def start(folder, trainer) -> list:
    """Watch ``trainer``'s steps for ``folder``; the callbacks ``fit`` needs for it (JAX:
    the state before each step, to run a failing one again)."""
    check()
    if backend.name() == "jax":
        from neural_style import nancheck

        return [nancheck.StepKeeper(trainer)]
    enable(folder, trainer)
    return []


def finish(folder, stopped, watchers, stream):
    """Stop watching; ``stopped`` (why training stopped, or None) with the operation that
    first went non-finite added: from the dump, or from JAX's checks on the failing step
    (``watchers``: ``start``'s callbacks) on its batch of ``stream``."""
    if not watchers:
        return _finish_dump(folder, stopped)
    if stopped:
        from neural_style import nancheck

        where = nancheck.first_nonfinite(watchers[0], stream, folder)
        stopped += (
            f"; JAX's NaN checks on that step: the first non-finite value came from {where} "
            f"(traceback in {Path(folder) / nancheck.REPORT})"
        )
    return stopped


def enable(folder, trainer):
    """Dump every operation of ``trainer``'s steps into ``folder``: the step runs as a
    graph, not compiled by XLA, whose fused kernels the dump cannot see."""
    import tensorflow as tf

    trainer.jit_compile = False
    Path(folder).mkdir(parents=True, exist_ok=True)
    _quiet_levels.append(tf.get_logger().level)  # the dumper logs each start and stop, and every
    # source file it cannot read (the notebook's cells), by its path
    tf.get_logger().setLevel("ERROR")
    tf.debugging.experimental.enable_dump_debug_info(
        str(folder), tensor_debug_mode="FULL_HEALTH", circular_buffer_size=-1
    )


_quiet_levels = []


def disable():
    """Stop dumping and write what is buffered."""
    import tensorflow as tf

    tf.debugging.experimental.disable_dump_debug_info()
    if _quiet_levels:
        tf.get_logger().setLevel(_quiet_levels.pop())


def _finish_dump(folder, stopped):
    """Stop dumping into ``folder``; ``stopped`` with the dump's first non-finite operation."""
    disable()
    if stopped:
        stopped += (
            f"; the first non-finite value came from {first_nonfinite(folder)} (tensorboard "
            f"--logdir {folder}: Debugger V2)"
        )
    return stopped


def first_nonfinite(folder) -> NonFinite | None:
    """The first traced execution in the Debugger V2 dump ``folder`` whose output held a
    NaN or an infinity, with its op's inputs; None if every value was finite."""
    from tensorflow.python.debug.lib import debug_events_reader

    with debug_events_reader.DebugDataReader(str(folder)) as reader:
        reader.update()
        for index, trace in enumerate(reader.graph_execution_traces()):
            health = trace.debug_tensor_value
            if health and (health[NEG_INF] or health[POS_INF] or health[NAN]):
                op = reader.graph_by_id(trace.graph_id).get_op_creation_digest(trace.op_name)
                return NonFinite(
                    trace.op_name,
                    op.op_type,
                    list(op.input_names or []),
                    int(health[NAN]),
                    int(health[NEG_INF] + health[POS_INF]),
                    index,
                )
    return None


def inputs_health(folder, first) -> dict:
    """The inputs of ``first``'s op (a ``NonFinite``) as the dump last saw them before it:
    {"op:slot": {"-inf", "+inf", "nan", "negative", "zero", "positive": counts}}, from
    each tensor's FULL_HEALTH summary; an input the dump did not trace (a constant) is left out."""
    from tensorflow.python.debug.lib import debug_events_reader

    names = ("-inf", "+inf", "nan", "negative", "zero", "positive")
    wanted, seen = set(first.inputs), {}
    with debug_events_reader.DebugDataReader(str(folder)) as reader:
        reader.update()
        for index, trace in enumerate(reader.graph_execution_traces()):
            if index >= first.index:
                break
            name = f"{trace.op_name}:{trace.output_slot}"
            if name in wanted and trace.debug_tensor_value:
                seen[name] = dict(
                    zip(names, map(int, trace.debug_tensor_value[NEG_INF : NEG_INF + 6]))
                )
    return {name: seen[name] for name in first.inputs if name in seen}
