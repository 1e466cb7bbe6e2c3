"""`neural-style train` across processes with jax.distributed: two processes on 127.0.0.1,
each with one CPU device, against one process with two virtual devices."""

import importlib.util
import os
import re
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from neural_style import cli, data
from neural_style.localserver import free_port

needs_jax = pytest.mark.skipif(
    importlib.util.find_spec("jax") is None, reason="JAX is not installed (make setup BACKEND=jax)"
)


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    for p in sorted(data.shipped_dir().glob("*.jpg")):
        (folder / p.name).write_bytes(p.read_bytes())
    return folder


def train(photos, out, *extra, env=None):
    cmd = [
        sys.executable,
        "-m",
        "neural_style",
        "train",
        "--images",
        str(photos),
        "-o",
        str(out),
        "--size",
        "48",
        "--batch-size",
        "4",
        "--steps",
        "3",
        "--epochs",
        "1",
        "--workers",
        "1",
        "--seed",
        "0",
        *extra,
    ]
    return subprocess.Popen(
        cmd,
        env={**os.environ, "KERAS_BACKEND": "jax", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def step_losses(logdir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(logdir), size_guidance={"tensors": 0})
    acc.Reload()
    return np.array([e.tensor_proto.float_val[0] for e in acc.Tensors("train/loss")])


@needs_jax
def test_two_processes_train_as_one_process_with_two_devices(photos, tmp_path, weights_path):
    one = train(
        photos,
        tmp_path / "one" / "net.keras",
        "--logdir",
        str(tmp_path / "one" / "tb"),
        env={"XLA_FLAGS": "--xla_force_host_platform_device_count=2"},
    )
    assert one.wait(timeout=600) == 0, one.stderr.read()[-2000:]
    port, out = free_port(), tmp_path / "two" / "net.keras"
    procs = [
        train(
            photos,
            out,
            "--logdir",
            str(tmp_path / "two" / "tb"),
            "--coordinator",
            f"127.0.0.1:{port}",
            "--num-processes",
            "2",
            "--process-id",
            str(i),
            "--join-timeout",
            "120",
            env={"XLA_FLAGS": ""},
        )
        for i in (0, 1)
    ]
    outputs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [e[-2000:] for _, e in outputs]
    assert "across 2 processes, 2 devices" in outputs[0][1]
    # process 0 speaks and writes (Gloo's C++ library prints a line of its own on connecting)
    assert outputs[0][0].strip().splitlines()[-1] == str(out) and str(out) not in outputs[1][0]
    # one network
    assert sorted(p.name for p in out.parent.iterdir()) == ["net.keras", "net.keras.ckpt.npz", "tb"]
    losses_one, losses_two = (
        step_losses(tmp_path / "one" / "tb"),
        step_losses(tmp_path / "two" / "tb"),
    )
    assert len(losses_one) == 3
    np.testing.assert_allclose(losses_two, losses_one, rtol=1e-5)  # the same global batches
    from neural_style import inference

    for a, b in zip(
        inference.load(out).model.get_weights(),
        inference.load(tmp_path / "one" / "net.keras").model.get_weights(),
    ):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_bad_options_are_one_line(photos, tmp_path, capsys):
    base = ["train", "--images", str(photos), "-o", str(tmp_path / "n.keras")]
    cases = [
        (
            ["--coordinator", "127.0.0.1:1234", "--num-processes", "2", "--process-id", "2"],
            "--process-id 2 is not valid for 2 processes; give 0 to 1",
        ),
        (
            ["--coordinator", "127.0.0.1:1234", "--num-processes", "1", "--process-id", "0"],
            "one process needs no coordinator",
        ),
        (["--coordinator", "127.0.0.1:1234", "--num-processes", "2"], "together"),
        (
            ["--coordinator", "nowhere", "--num-processes", "2", "--process-id", "1"],
            "is not HOST:PORT",
        ),
    ]
    for args, message in cases:
        assert cli.main([*base, *args]) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1, err


@needs_jax
def test_an_unreachable_coordinator_is_one_line_within_the_timeout(photos, tmp_path):
    start = time.monotonic()
    proc = train(
        photos,
        tmp_path / "n.keras",
        "--coordinator",
        f"127.0.0.1:{free_port()}",
        "--num-processes",
        "2",
        "--process-id",
        "1",
        "--join-timeout",
        "3",
    )
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and time.monotonic() - start < 60
    assert (
        err.strip()
        .splitlines()[-1]
        .endswith("start process 0 there first, or check the address and port")
    ), err[-2000:]
    assert "nothing answered within 3 s" in err


def test_across_hosts_on_tensorflow_is_one_line(photos, tmp_path):
    proc = train(
        photos,
        tmp_path / "n.keras",
        "--coordinator",
        "127.0.0.1:1234",
        "--num-processes",
        "2",
        "--process-id",
        "0",
        env={"KERAS_BACKEND": "tensorflow"},
    )
    _, err = proc.communicate(timeout=300)
    assert (
        proc.returncode == 2
        and "training across hosts needs KERAS_BACKEND=jax" in err.strip().splitlines()[-1]
    ), err[-2000:]


@needs_jax
def test_ctrl_c_to_one_process_stops_both_and_the_run_resumes_across_hosts(
    photos, tmp_path, weights_path
):
    import json
    import signal

    port, out = free_port(), tmp_path / "net.keras"
    common = ["--coordinator", f"127.0.0.1:{port}", "--num-processes", "2", "--join-timeout", "120"]
    procs = [
        train(photos, out, *common, "--process-id", str(i), "--steps", "500", env={"XLA_FLAGS": ""})
        for i in (0, 1)
    ]
    err0 = []  # process 0's stderr as it comes (its progress bar ends lines with \r)
    threading.Thread(
        target=lambda: err0.extend(iter(lambda: procs[0].stderr.read(1), "")), daemon=True
    ).start()
    deadline = time.time() + 300
    while (
        not re.search(r"\b([2-9]|\d\d+)/500\b", "".join(err0))
        and procs[0].poll() is None
        and time.time() < deadline
    ):
        time.sleep(0.5)  # until two steps are done
    procs[1].send_signal(signal.SIGINT)  # to the process that is not the coordinator
    codes = [p.wait(timeout=300) for p in procs]
    errs = ["".join(err0), procs[1].stderr.read()]
    assert codes == [130, 130], [e[-2000:] for e in errs]
    with np.load(out.with_name("net.keras.ckpt.npz")) as z:
        meta = json.loads(str(z["meta"]))
    assert meta["interrupted"] and meta["epoch"] == 0
    port = free_port()
    common = [
        "--coordinator",
        f"127.0.0.1:{port}",
        "--num-processes",
        "2",
        "--join-timeout",
        "120",
        "--resume",
    ]
    procs = [
        train(photos, out, *common, "--process-id", str(i), env={"XLA_FLAGS": ""}) for i in (0, 1)
    ]
    outputs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [e[-2000:] for _, e in outputs]
    assert "3 steps" in outputs[0][1] and "1 epoch(s) done" in outputs[0][1]
