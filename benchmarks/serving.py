"""Serving benchmark (`make bench`): `neural-style serve` (Ray Serve) with batching on and
off, and the same network on LitServe, the alternative engine measured.

For each server (started afresh, on 127.0.0.1 and a free port): the time until it answers,
its memory (resident, the whole process tree), and with 1, 4 and 16 concurrent clients,
images per second and p50 / p95 latency of `POST /v1/models/starry_night:predict`, one
256x192 photo per request, a bounded number of requests. Appends a section to
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import base64
import importlib.util
import io
import json
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench import cpu_name, write_report  # noqa: E402


def body():
    from PIL import Image

    from neural_style import data

    buffer = io.BytesIO()
    Image.fromarray(data.load("tubingen", size=256)).save(buffer, format="JPEG", quality=90)
    return json.dumps(
        {"instances": [{"b64": base64.b64encode(buffer.getvalue()).decode()}]}
    ).encode()


def post(url, payload):
    start = time.perf_counter()
    request = urllib.request.Request(
        url, data=payload, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=300) as reply:
        assert reply.status == 200 and b"predictions" in reply.read()
    return time.perf_counter() - start


def tree_rss(pid) -> int:
    import psutil

    try:
        root = psutil.Process(pid)
        return sum(
            p.memory_info().rss for p in [root, *root.children(recursive=True)] if p.is_running()
        )
    except psutil.NoSuchProcess:
        return 0


def stop(process):
    """End a server and every process it started (LitServe's workers outlive their parent)."""
    import psutil

    try:
        tree = [*psutil.Process(process.pid).children(recursive=True), psutil.Process(process.pid)]
    except psutil.NoSuchProcess:
        return
    for p in tree:
        p.terminate()
    _, alive = psutil.wait_procs(tree, timeout=60)
    for p in alive:
        p.kill()


def start(command, url, payload, timeout=300):
    """Start a server; seconds until it answers a request."""
    t = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while time.perf_counter() - t < timeout:
        try:
            post(url, payload)
            return process, time.perf_counter() - t
        except Exception:  # not up yet: refused, 404 or 503 while it loads
            assert process.poll() is None, f"{command} exited with {process.returncode}"
            time.sleep(0.5)
    process.kill()
    raise TimeoutError(f"{command} did not answer in {timeout} s")


def in_process(payload, requests, batch=16):
    """The same network on the same images in this process, batched ``batch`` at a time:
    images per second, and the seconds per image of each step a server adds around it."""
    from neural_style import inference, restapi

    network = inference.load("starry_night")
    image = restapi.parse_body(payload)[0]["image"]
    images = np.stack([image] * batch)
    network.kind.apply_batch(network.model, images)  # compiled for this size
    t = time.perf_counter()
    for _ in range(max(1, requests // batch)):
        out = network.kind.apply_batch(network.model, images)
    rate = max(1, requests // batch) * batch / (time.perf_counter() - t)
    steps = {
        "JSON and base64 in, JPEG decoded": lambda: restapi.parse_body(payload),
        "network (batch 1)": lambda: network.kind.apply_batch(network.model, images[:1]),
        "PNG, base64 and JSON out": lambda: json.dumps(restapi.predictions(out[:1])),
    }
    timing = {}
    for name, step in steps.items():
        t = time.perf_counter()
        for _ in range(10):
            step()
        timing[name] = (time.perf_counter() - t) / 10
    return rate, timing


def load(url, payload, clients, requests):
    with ThreadPoolExecutor(clients) as pool:
        t = time.perf_counter()
        latencies = list(pool.map(lambda _: post(url, payload), range(requests)))
        wall = time.perf_counter() - t
    return requests / wall, np.percentile(latencies, 50), np.percentile(latencies, 95)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clients", default="1,4,16")
    p.add_argument("--requests", type=int, default=48, help="requests per client count")
    p.add_argument("--output", default=str(HERE / "RESULTS.md"))
    args = p.parse_args()

    from neural_style.rollout import free_port

    payload = body()
    baseline, steps = in_process(payload, args.requests)
    print(f"in process, batches of 16: {baseline:.1f} images/s; {steps}", flush=True)
    servers = {
        "Ray Serve, batching (neural-style serve)": ["serve", "--model", "starry_night"],
        "Ray Serve, no batching (--no-batching)": [
            "serve",
            "--model",
            "starry_night",
            "--no-batching",
        ],
        "LitServe, batching": ["litserve"],
        "LitServe, no batching": ["litserve", "--no-batching"],
    }
    if importlib.util.find_spec("litserve") is None:
        print("LitServe is not installed (pip install litserve): its rows are left out", flush=True)
        servers = {name: how for name, how in servers.items() if how[0] != "litserve"}
    rows = []
    for name, how in servers.items():
        port = free_port()
        if how[0] == "serve":
            command = [
                sys.executable,
                "-m",
                "neural_style",
                *how,
                "--port",
                str(port),
                "--stop-after",
                "1200",
                "-q",
            ]
        else:
            command = [sys.executable, str(HERE / "litserve_app.py"), str(port), *how[1:]]
        url = f"http://127.0.0.1:{port}/v1/models/starry_night:predict"
        process, up = start(command, url, payload)
        try:
            memory = tree_rss(process.pid)
            for clients in map(int, args.clients.split(",")):
                rate, p50, p95 = load(url, payload, clients, args.requests)
                rows.append(
                    f"| {name} | {up:.0f} | {memory / 1e9:.2f} | {clients} | {rate:.1f} | "
                    f"{rate / baseline:.2f} | {p50 * 1000:.0f} | {p95 * 1000:.0f} |"
                )
                print(rows[-1], flush=True)
        finally:
            stop(process)
    lines = [
        f"## Serving the shipped style network, {time.strftime('%Y-%m-%d')}",
        "",
        f"Machine: {cpu_name()}. Command: `python benchmarks/serving.py`. One 256x192 JPEG per "
        f"request (`POST /v1/models/starry_night:predict`), {args.requests} requests per row; "
        "each server started afresh.",
        "",
        f"In process, the same network on the same image in batches of 16: {baseline:.1f} images "
        "/ s (the ratio below is each row's against it). Per image, in process: "
        + "; ".join(f"{name} {seconds * 1000:.1f} ms" for name, seconds in steps.items())
        + ".",
        "",
        "| server | s to first answer | memory GB | clients | images / s | of in-process | p50 ms "
        "| p95 ms |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    write_report("\n".join(lines), args.output)


if __name__ == "__main__":
    main()
