"""What the page's camera mode needs from the server: ONNX Runtime Web's files, served from
the npm package that ``make page-runtime`` installs beside the page (no CDN), and each
served network as ONNX (``model.onnx`` from ``neural-style export``, or converted once
from a ``.keras`` network), so that the browser paints every frame itself.

Threads in WebAssembly need ``SharedArrayBuffer``, which a browser gives only to a
cross-origin isolated page: the page and the runtime's files are sent with ``ISOLATED``.
Nothing here imports Ray, FastAPI or a deep learning framework until a network is converted.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import numpy as np

from neural_style import formats

PAGE = Path(__file__).resolve().parent / "page"
RUNTIME = PAGE / "node_modules" / "onnxruntime-web" / "dist"
ISOLATED = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
}
MEDIA_TYPES = {".wasm": "application/wasm", ".mjs": "text/javascript", ".js": "text/javascript"}
_RUNTIME_FILE = re.compile(r"^ort[A-Za-z0-9_.-]*\.(wasm|mjs|js)$")  # a file name, never a path


def runtime_file(name: str) -> Path | None:
    """``RUNTIME/name`` when it is one of ONNX Runtime Web's script or WebAssembly files
    and installed; None otherwise (not installed, or a name that is not such a file)."""
    if not _RUNTIME_FILE.match(name):
        return None
    path = RUNTIME / name
    return path if path.is_file() else None


def media_type(path: Path) -> str:
    """The Content-Type a browser needs (``application/wasm`` for streaming compilation)."""
    return MEDIA_TYPES.get(path.suffix, "application/octet-stream")


def onnx_file(source) -> Path | None:
    """The exported ``model.onnx`` of ``source`` (a version folder holding one, or the file
    itself), or None."""
    path = Path(str(source))
    loads = formats.FORMATS["onnx"].loads
    if path.is_file() and path.suffix == formats.FORMATS["onnx"].suffix:
        return path
    return path / loads if (path / loads).is_file() else None


def convertible(network) -> bool:
    """Whether ``network`` (a Keras network, not an exported one) can be written as ONNX
    here: TensorFlow is the backend and tf2onnx is installed."""
    import importlib.util

    from neural_style import backend

    return (
        not hasattr(network.model, "runtime")
        and backend.name() == "tensorflow"
        and importlib.util.find_spec("tf2onnx") is not None
    )


def has_onnx(source, network) -> bool:
    """Whether ``onnx_bytes`` can give ``source``'s network as ONNX (without making it)."""
    return onnx_file(source) is not None or convertible(network)


def onnx_bytes(source, network) -> bytes | None:
    """``source``'s network as ONNX bytes (uint8 (B, H, W, 3) in, uint8 out, its style
    weights (B, styles) after the image for a many-style network): the exported file, else
    ``network`` converted as ``neural-style export --format onnx`` would write it; None
    when neither can be had."""
    if not has_onnx(source, network):
        return None
    exported = onnx_file(source)
    if exported is not None:
        return exported.read_bytes()
    from neural_style import export

    with tempfile.TemporaryDirectory(prefix="neural_style-onnx-") as folder:
        export.onnx(network, folder)
        return (Path(folder) / formats.FORMATS["onnx"].loads).read_bytes()


def write_y4m(frames, path, fps=30):
    """Write ``frames`` (uint8 (T, H, W, 3) RGB, even H and W) as a Y4M clip (4:2:0,
    BT.601 studio range), what Chromium's fake camera plays
    (``--use-file-for-fake-video-capture``): a camera of known motion for tests."""
    frames = np.asarray(frames, np.float32)
    _, height, width, _ = frames.shape
    if height % 2 or width % 2:
        raise ValueError(f"a 4:2:0 clip needs even sizes, not {width}x{height}")
    r, g, b = frames[..., 0], frames[..., 1], frames[..., 2]
    y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
    u = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255
    v = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255

    def half(plane):  # 2x2 means: the chroma of 4:2:0
        return plane.reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3))

    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for k in range(len(frames)):
            f.write(b"FRAME\n")
            for plane in (y[k], half(u[k]), half(v[k])):
                f.write(np.clip(np.round(plane), 0, 255).astype(np.uint8).tobytes())
