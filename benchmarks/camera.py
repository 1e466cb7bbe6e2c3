"""Benchmark of the page's camera mode (`make bench`): frames per second in headless
Chromium, its fake camera playing a pan, painted by the one-style network (starry_night)

- in the browser by ONNX Runtime Web (WebAssembly, SIMD) with 1 thread and with every core,
- through the server (`neural-style serve`: PNG up, the network, PNG down),

at 256 and 384 px on the long side; beside them the same ONNX network in ONNX Runtime
for Python (native code, every core) and the achieved GFLOP/s of each against TensorFlow's
float32 matmul measured in the same run.  Appends a section to benchmarks/RESULTS.md, and
takes the docs' screenshot of the camera mode (the many-style network, two styles blended)
into figures/serve_camera.png.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench import cpu_name, tf_matmul_peak, versions, write_report  # noqa: E402
from realtime import conv_gflops  # noqa: E402

SIZES = (256, 384)
SECONDS = 20  # measured per row, after the first frame


def camera_fps(chromium, url, size, via, threads) -> tuple[float, tuple]:
    """Frames per second painted over ``SECONDS`` after the first; (fps, painted size)."""
    page = chromium.new_page()
    page.goto(f"{url}/?mode=camera&model=starry_night&size={size}&via={via}&threads={threads}")
    page.wait_for_selector("#model option[value='starry_night']", state="attached")
    page.click("#start")
    page.wait_for_function("window.camera.frames >= 2", timeout=300_000)
    assert page.evaluate("camera.via").startswith("browser" if via == "browser" else "server"), (
        page.text_content("#camera-status")
    )
    start = page.evaluate("[camera.frames, performance.now()]")
    page.wait_for_timeout(SECONDS * 1000)
    end = page.evaluate("[camera.frames, performance.now()]")
    shape = page.evaluate("[camera.last.painted.width, camera.last.painted.height]")
    page.close()
    return (end[0] - start[0]) / ((end[1] - start[1]) / 1000), tuple(shape)


def screenshot(
    chromium, url, path, mix=(("shipwreck", 0), ("starry_night", 60), ("the_scream", 40))
):
    """The camera mode painting the pan with a blend of the many-style network, at 384 px."""
    page = chromium.new_page(viewport={"width": 1000, "height": 820})
    page.goto(f"{url}/?mode=camera&model=paintings&size=384")
    page.wait_for_selector("#model option[value='paintings']", state="attached")
    for style, weight in mix:
        page.locator(f"#styles input[data-style='{style}']").fill(str(weight))
    page.click("#start")
    page.wait_for_function("window.camera.frames >= 3", timeout=300_000)
    page.screenshot(path=str(path))
    page.close()


def native_fps(onnx_bytes, shape, seconds=5.0) -> float:
    """The same ONNX network in ONNX Runtime for Python, every core: frames per second."""
    import onnxruntime

    session = onnxruntime.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    x = np.zeros((1, shape[1], shape[0], 3), np.uint8)
    session.run(None, {"images": x})
    frames, t = 0, time.perf_counter()
    while time.perf_counter() - t < seconds:
        session.run(None, {"images": x})
        frames += 1
    return frames / (time.perf_counter() - t)


def clip(folder) -> Path:
    """A 512x384 camera panning over Tübingen, 3 px a frame (the page scales it down)."""
    from neural_style import browser, data

    photo = data.load("tubingen", size=768)
    frames = np.stack([photo[60:444, 3 * k : 3 * k + 512] for k in range(60)])
    path = Path(folder) / "pan.y4m"
    browser.write_y4m(frames, path)
    return path


def main():
    from neural_style import browser, inference
    from neural_style.localserver import LocalServer

    chromium_path = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium_path is None or browser.runtime_file("ort.wasm.min.js") is None:
        print(
            "benchmarks/camera.py: needs Chromium (`make browser`) and ONNX Runtime Web (`make "
            "page-runtime`); skipped"
        )
        return
    network = inference.load("starry_night")
    onnx_bytes = browser.onnx_bytes("starry_night", network)
    peak = tf_matmul_peak()
    cores = os.cpu_count() or 1
    with LocalServer(["starry_night", "paintings"], stop_after=1200) as server:
        rows = measure(server.url, chromium_path, onnx_bytes, cores)
    write_report(report(rows, network, peak), HERE / "RESULTS.md")


def measure(url, chromium_path, onnx_bytes, cores) -> list:
    """Frames per second in Chromium (WebAssembly, 1 and ``cores`` threads; through the
    server) and natively, at each size: rows (size, painted shape, how, fps)."""
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as p:
        fake = [
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={clip(folder)}",
        ]
        chromium = p.chromium.launch(executable_path=chromium_path, args=["--no-sandbox", *fake])
        for size in SIZES:
            for via, threads in (("browser", 1), ("browser", cores), ("server", cores)):
                fps, shape = camera_fps(chromium, url, size, via, threads)
                how = "WebAssembly" if via == "browser" else "the server"
                rows.append((size, shape, f"{how}, {threads} thread{'s' * (threads > 1)}", fps))
                print(rows[-1], flush=True)
            native = f"ONNX Runtime (Python, native), {cores} threads"
            rows.append((size, shape, native, native_fps(onnx_bytes, shape)))
        screenshot(chromium, url, HERE.parent / "figures" / "serve_camera.png")
        chromium.close()
    return rows


def report(rows, network, peak):
    lines = [
        f"## The page's camera mode in Chromium, {time.strftime('%Y-%m-%d')}",
        "",
        f"Machine: {cpu_name()}, {os.cpu_count()} cores; Python {sys.version.split()[0]}; "
        f"{versions()}; ONNX Runtime Web {browser_version()}.  Network: starry_night (ONNX, "
        "float32).  Command: `python benchmarks/camera.py`.",
        "",
        "| long side | frame (px) | painted by | frames/s | conv GFLOP / frame | GFLOP/s | of TF "
        "matmul peak |",
        "|---|---|---|---|---|---|---|",
    ]
    for size, (w, h), how, fps in rows:
        gflops = conv_gflops(network.model, h, w)
        lines.append(
            f"| {size} | {w}x{h} | {how} | {fps:.2f} | {gflops:.1f} | {fps * gflops:.1f} | "
            f"{fps * gflops / peak:.0%} |"
        )
    lines += ["", f"TensorFlow float32 matmul peak, measured alongside: {peak:.0f} GFLOP/s.", ""]
    return "\n".join(lines)


def browser_version() -> str:
    import json

    from neural_style import browser

    return json.loads((browser.RUNTIME.parent / "package.json").read_text())["version"]


if __name__ == "__main__":
    main()
