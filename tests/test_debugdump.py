"""`neural-style train --debug-dump`: a run whose loss goes non-finite names the operation
that first made a NaN or an infinity, from TensorFlow's Debugger V2 dump read back, and on
JAX from its own NaN checks on the failing step run again; both name the same layer."""

import importlib.util
import io
import os
import re
import subprocess
import sys

import pytest
from PIL import Image

from neural_style import backend, cli, data, debugdump

pytestmark = pytest.mark.skipif(
    backend.name() != "tensorflow",
    reason="Debugger V2 dumps TensorFlow graphs (KERAS_BACKEND=tensorflow)",
)


def overflowing_run(tmp_path, dump):
    """``train`` arguments whose second step overflows: Adam's first step moves every
    weight by about the learning rate, and 1e30 overflows the next forward pass."""
    folder = tmp_path / "photos"
    folder.mkdir(exist_ok=True)
    for p in data.training_photos()[:2]:
        Image.open(p).convert("RGB").save(folder / f"{p.stem}.jpg")
    return [
        "train",
        "--images",
        str(folder),
        "-o",
        str(tmp_path / f"{dump.name}.keras"),
        "--size",
        "48",
        "--batch-size",
        "2",
        "--steps",
        "1",
        "--epochs",
        "3",
        "--workers",
        "1",
        "--norm",
        "instance",
        "--lr",
        "1e30",
        "--debug-dump",
        str(dump),
    ]


@pytest.fixture(scope="module")
def tensorflow_run(tmp_path_factory):
    """(exit status, the dump folder) of the overflowing run on TensorFlow; its error
    output in ``err.txt`` beside the dump."""
    tmp_path = tmp_path_factory.mktemp("debug")
    dump = tmp_path / "dump"
    with pytest.MonkeyPatch.context() as mp:
        err = io.StringIO()
        mp.setattr(sys, "stderr", err)
        status = cli.main(overflowing_run(tmp_path, dump))
    (tmp_path / "err.txt").write_text(err.getvalue())
    return status, dump


def test_a_learning_rate_that_overflows_is_traced_to_the_first_operation_that_went_non_finite(
    tensorflow_run, capsys
):
    status, dump = tensorflow_run
    assert status == 1
    err = dump.with_name("err.txt").read_text()
    assert (
        "the loss became" in err
        and "the first non-finite value came from" in err
        and "Debugger V2" in err
    ), err
    # one line, after the bar
    assert "kept the checkpoint of epoch 1" in err and len(err.strip().splitlines()[-1]) > 0
    first = debugdump.first_nonfinite(dump)
    assert first is not None and first.op_name in err and (first.nan or first.inf)
    from tensorflow.python.debug.lib import debug_events_reader

    # checked against the dump itself
    with debug_events_reader.DebugDataReader(str(dump)) as reader:
        reader.update()
        traces = reader.graph_execution_traces()
        healths = [t.debug_tensor_value for t in traces]
        bad = [
            i
            for i, h in enumerate(healths)
            if h and (h[debugdump.NAN] or h[debugdump.POS_INF] or h[debugdump.NEG_INF])
        ]
        assert bad and bad[0] == first.index  # no earlier execution held one
        assert traces[first.index].op_name == first.op_name
        graph = reader.graph_by_id(traces[first.index].graph_id)
        inputs = [graph.get_op_creation_digest(name.split(":")[0]) for name in first.inputs]
        assert inputs, first  # an operation with inputs, each of them finite where it ran before it
    health = debugdump.inputs_health(dump, first)
    assert health and all(h["nan"] == h["-inf"] == h["+inf"] == 0 for h in health.values()), health
    assert all(sum(h.values()) > 0 for h in health.values()) and set(health) <= set(first.inputs)
    # an arithmetic operation of the style network (not VGG16 or the loss: they only see what it
    # made)
    assert re.search(
        r"Conv2D|MatMul|BiasAdd|Mul|AddV2|Sub|Square|Sum|Mean|Rsqrt|Pow|Sqrt|RealDiv", first.op_type
    ), first
    assert "style_instance" in first.op_name or "style_net" in first.op_name, first


def layer_path(name) -> str:
    """A layer path without the numbers Keras and TensorFlow's name scopes add (``_26``,
    ``_1``): which models and which kind of layer, whatever else the process built first."""
    return "/".join(re.sub(r"(_\d+)+$", "", part) for part in name.split("/"))


@pytest.mark.skipif(
    importlib.util.find_spec("jax") is None, reason="JAX is not installed (make setup BACKEND=jax)"
)
def test_on_jax_its_own_nan_checks_name_the_layer_that_tensorflows_dump_names(
    tensorflow_run, tmp_path
):
    _, tf_dump = tensorflow_run
    dump = tmp_path / "jax"
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    run = subprocess.run(
        [sys.executable, "-m", "neural_style", *overflowing_run(tmp_path, dump)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    last = run.stderr.strip().splitlines()[-1]
    assert (
        run.returncode == 1
        and "JAX's NaN checks on that step: the first non-finite value came from" in last
    ), run.stderr[-3000:]
    found = re.search(
        r"came from (\w+) \((nan|inf)\) in layer (\S+) \((\w+), its input finite everywhere\)", last
    )
    assert found, last
    primitive, value, layer, layer_type = found.groups()
    report = (dump / "jax_debug_nans.txt").read_text()
    assert (
        "FloatingPointError" in report
        and f"invalid value ({value}) encountered in {primitive}" in report
    )
    first = debugdump.first_nonfinite(tf_dump)  # TensorFlow's dump of the same run
    # same models, same kind of layer
    assert layer_path(first.op_name).startswith(layer_path(layer) + "/"), (first.op_name, layer)
    # the style network's instance norm
    assert layer_type == "GroupNormalization" and "style_instance" in layer
    assert (value == "inf") == bool(first.inf) and primitive in (
        "reduce_sum",
        "mul",
        "add",
        "sub",
        "integer_pow",
        "square",
        "div",
        "rsqrt",
    )
