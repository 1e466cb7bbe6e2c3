"""`neural-style serve --address` on a Ray cluster of two nodes on 127.0.0.1
(``ray.cluster_utils.Cluster``, in ``ray_cluster.py``): a module of its own, so that
``test_serve.py``'s server has stopped before the cluster starts."""

import base64
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from test_serve import b64, pytestmark, random_network, replicas_of, request, wait_for  # noqa: F401 - the same marks

from neural_style import data, export, localserver


def node_of(process):
    """The pid of the raylet (one per Ray node) that started ``process``."""
    for parent in process.parents():
        if parent.name().startswith("raylet"):
            return parent.pid
    return None


def test_a_two_node_cluster_spreads_replicas_rolls_out_and_outlives_a_node(tmp_path):
    photo = data.load("tubingen", size=64)
    export.export(
        random_network(tmp_path / "a.keras", 1), tmp_path, "net", ("saved_model",), version=1
    )
    models = tmp_path / "net"
    cluster = subprocess.Popen(
        [sys.executable, str(Path(__file__).parent / "ray_cluster.py"), "600"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    address = cluster.stdout.readline().strip()
    assert address, "the cluster did not start"
    port = localserver.free_port()
    command = [
        sys.executable,
        "-m",
        "neural_style",
        "serve",
        "--model",
        str(models),
        "--address",
        address,
        "--replicas",
        "2",
        "--port",
        str(port),
        "--stop-after",
        "500",
        "-q",
    ]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    body = json.dumps({"instances": [{"b64": b64(photo)}]}).encode()
    try:
        assert "serving " in server.stdout.readline(), "the server did not start"
        assert len({node_of(p) for p in replicas_of("net-v1")}) == 2  # one replica on each node
        replies = [request(f"{url}/v1/models/net:predict", body) for _ in range(8)]
        assert all(s == 200 and h["x-model-version"] == "1" for s, _, h in replies), replies[0][:2]
        third = random_network(tmp_path / "c.keras", 5)  # a rollout across both nodes
        export.export(third, tmp_path / "staging", "net", ("saved_model",), version=2)
        os.rename(tmp_path / "staging" / "net" / "2", models / "2")
        assert wait_for(
            lambda: request(f"{url}/v1/models/net:predict", body)[2].get("x-model-version") == "2",
            240,
        )
        assert wait_for(
            lambda: (
                len({node_of(p) for p in replicas_of("net-v2")}) == 2 and not replicas_of("net-v1")
            ),
            60,
        )
        status, reply, _ = request(f"{url}/v1/models/net:predict", body)
        out = np.asarray(Image.open(io.BytesIO(base64.b64decode(reply["predictions"][0]["b64"]))))
        assert np.abs(out.astype(int) - third.apply(photo)).max() <= 1
        cluster.stdin.write("remove\n")  # the second node dies: its replica with it
        cluster.stdin.flush()
        assert cluster.stdout.readline().strip() == "removed"
        replies = [request(f"{url}/v1/models/net:predict", body)[:2] for _ in range(4)]
        # on the dead node's replica: "retry"
        assert {s for s, _ in replies} <= {200, 503}, [r for r in replies if r[0] != 200]
        assert wait_for(
            lambda: (
                [request(f"{url}/v1/models/net:predict", body)[0] for _ in range(4)] == [200] * 4
            ),
            120,
        )
        assert len(replicas_of("net-v2")) == 1  # one a node: the other comes back when a node joins
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
        cluster.stdin.close()
        try:
            cluster.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(cluster.pid, signal.SIGKILL)
