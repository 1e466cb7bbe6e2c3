"""`neural-style train --debug-dump`: a run whose loss goes non-finite names the operation
that first made a NaN or an infinity, from TensorFlow's Debugger V2 dump read back."""

import re

import pytest
from PIL import Image

from neural_style import backend, cli, data, debugdump

pytestmark = pytest.mark.skipif(backend.name() != "tensorflow", reason="Debugger V2 dumps TensorFlow graphs (KERAS_BACKEND=tensorflow)")


def test_a_learning_rate_that_overflows_is_traced_to_the_first_operation_that_went_non_finite(tmp_path, capsys):
    folder = tmp_path / "photos"
    folder.mkdir()
    for p in data.training_photos()[:2]:
        Image.open(p).convert("RGB").save(folder / f"{p.stem}.jpg")
    dump = tmp_path / "dump"
    # Adam's first step moves every weight by about the learning rate: 1e30 overflows the next forward pass
    argv = ["train", "--images", str(folder), "-o", str(tmp_path / "net.keras"), "--size", "48", "--batch-size", "2",
            "--steps", "1", "--epochs", "3", "--workers", "1", "--norm", "instance", "--lr", "1e30", "--debug-dump", str(dump)]  # fmt: skip
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert "the loss became" in err and "the first non-finite value came from" in err and "Debugger V2" in err, err
    assert "kept the checkpoint of epoch 1" in err and len(err.strip().splitlines()[-1]) > 0  # one line, after the bar
    first = debugdump.first_nonfinite(dump)
    assert first is not None and first.op_name in err and (first.nan or first.inf)
    from tensorflow.python.debug.lib import debug_events_reader

    with debug_events_reader.DebugDataReader(str(dump)) as reader:  # checked against the dump itself
        reader.update()
        traces = reader.graph_execution_traces()
        healths = [t.debug_tensor_value for t in traces]
        bad = [i for i, h in enumerate(healths) if h and (h[debugdump.NAN] or h[debugdump.POS_INF] or h[debugdump.NEG_INF])]
        assert bad and bad[0] == first.index  # no earlier execution held one
        assert traces[first.index].op_name == first.op_name
        graph = reader.graph_by_id(traces[first.index].graph_id)
        inputs = [graph.get_op_creation_digest(name.split(":")[0]) for name in first.inputs]
        assert inputs, first  # an operation with inputs, each of them finite where it ran before it
    health = debugdump.inputs_health(dump, first)
    assert health and all(h["nan"] == h["-inf"] == h["+inf"] == 0 for h in health.values()), health
    assert all(sum(h.values()) > 0 for h in health.values()) and set(health) <= set(first.inputs)
    # an arithmetic operation of the style network (not VGG16 or the loss: they only see what it made)
    assert re.search(r"Conv2D|MatMul|BiasAdd|Mul|AddV2|Sub|Square|Sum|Mean|Rsqrt|Pow|Sqrt|RealDiv", first.op_type), first
    assert "style_instance" in first.op_name or "style_net" in first.op_name, first
