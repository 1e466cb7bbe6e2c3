"""Applying a trained network: loading it (by path or by the name of a network that
ships), and stylising photos and videos frame by frame.

Videos are read and written with ``imageio-ffmpeg``, which brings its own ffmpeg binary:
frames stream through (never the whole clip in memory), at the clip's frame rate and
size, its audio copied where it has some.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import warnings
from pathlib import Path

import numpy as np

from neural_style.errors import NeuralStyleError
from neural_style.images import atomic_write

MODELS_DIR = Path(__file__).resolve().parent / "models"


def shipped_models() -> dict:
    """``{name: {"file", "sha256", ...}}`` of the networks that ship with the package."""
    manifest = MODELS_DIR / "manifest.json"
    return json.loads(manifest.read_text()) if manifest.is_file() else {}


def model_path(name_or_path) -> Path:
    """The file of a shipped network's name (checked by sha256), or the path given."""
    shipped = shipped_models()
    if str(name_or_path) in shipped and not Path(name_or_path).exists():
        entry = shipped[str(name_or_path)]
        path = MODELS_DIR / entry["file"]
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != entry["sha256"]:
            raise NeuralStyleError(f"{path}: the shipped network {name_or_path!r} is missing or damaged; reinstall neural_style")
        return path
    path = Path(name_or_path).expanduser()
    if not path.exists():
        names = ", ".join(shipped) or "none"
        raise NeuralStyleError(f"--model {name_or_path}: no such file, and not a shipped network ({names})")
    return path


def load_net(name_or_path):
    """A trained network (``neural-style train``'s ``.keras`` file, or a shipped network's
    name): a style network (``net.name`` "style_..."), or a 4x super-resolution one
    ("superres_...")."""
    from neural_style import nets, perceptual  # noqa: F401 - registers the custom layers
    from neural_style.backend import keras

    path = model_path(name_or_path)
    try:
        net = keras.saving.load_model(path, compile=False)
    except Exception as e:  # Keras raises ValueError, OSError, zipfile errors, ... for non-models
        raise NeuralStyleError(f"--model {path}: not a Keras model file ({type(e).__name__}); give a .keras file made by `neural-style train`") from None
    shape = net.input_shape
    if not (net.name.startswith(("style", "superres")) and len(shape) == 4 and shape[-1] == 3 and net.output_shape[-1] == 3):
        raise NeuralStyleError(f"--model {path}: not a network made by `neural-style train` ({net.name})")
    if is_superres(net) and shape[1:3] != (None, None):
        # trained on crops of one size (the lesson's 72 px): the same weights take any size
        sized = nets.superres_net((None, None, 3), norm=net.name.split("_", 1)[1])
        sized.set_weights(net.get_weights())
        net = sized
    return net


def is_superres(net) -> bool:
    return net.name.startswith("superres")


def load_style_net(name_or_path):
    """A trained style network, checked to map an image to an image of its own size."""
    net = load_net(name_or_path)
    if is_superres(net):
        raise NeuralStyleError(f"--model {name_or_path}: a super-resolution network (4x upscaling), not a style network")
    return net


def load_superres_net(name_or_path):
    """A trained 4x super-resolution network (``neural-style train --task superres``)."""
    net = load_net(name_or_path)
    if not is_superres(net):
        raise NeuralStyleError(f"--model {name_or_path}: a style network, not a super-resolution network")
    return net


@contextlib.contextmanager
def _ffmpeg():
    """JAX warns on any fork of its process; ffmpeg is forked only to exec at once,
    which is safe, so that warning says nothing here."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="os.fork", category=RuntimeWarning)
        yield


def _open(path):
    """imageio-ffmpeg's frame reader, started: ``(reader, meta)``."""
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    try:
        with _ffmpeg():
            return reader, next(reader)
    except (RuntimeError, OSError, StopIteration) as e:
        raise NeuralStyleError(f"{path}: not a video ffmpeg can read ({str(e).splitlines()[0] if str(e) else 'no stream'})") from None


def video_size(path) -> tuple[int, int]:
    """A video's frame size ``(w, h)`` in px, from its header."""
    reader, meta = _open(path)
    reader.close()
    return tuple(meta["size"])


def read_video(path):
    """``(meta, frames)``: meta has ``fps``, ``size`` (w, h) and ``audio``; frames is a
    generator of RGB uint8 (h, w, 3).  An unreadable file is a NeuralStyleError."""
    reader, meta = _open(path)
    w, h = meta["size"]

    def frames():
        try:
            for raw in reader:
                yield np.frombuffer(raw, np.uint8).reshape(h, w, 3)
        finally:
            reader.close()

    return {"fps": meta.get("fps") or 25, "size": (w, h), "audio": bool(meta.get("audio_codec"))}, frames()


def stylise_video(net, src, dst, size=None, on_frame=None, **options) -> dict:
    """Stylise every frame of ``src`` into ``dst`` (same size and frame rate; audio
    copied when the source has some), each frame as ``nets.stylise(net, frame, size,
    **options)`` does.  Written to a temporary file and renamed: an
    error leaves no half-written video.

    Returns ``{"frames", "fps", "size", "flicker", "input_flicker"}``: flicker is the mean
    absolute difference between consecutive frames, 0..255, of the result and the input.
    """
    import imageio_ffmpeg

    from neural_style.nets import stylise

    meta, frames = read_video(src)
    w, h = meta["size"]
    stats = {"frames": 0, "fps": meta["fps"], "size": (w, h), "diff": 0.0, "input_diff": 0.0}

    def write(tmp):
        # yuv420p (what every player reads) needs even sides; odd sizes keep every pixel in yuv444p
        pix = "yuv420p" if w % 2 == 0 and h % 2 == 0 else "yuv444p"
        writer = imageio_ffmpeg.write_frames(tmp, (w, h), fps=meta["fps"], macro_block_size=1, pix_fmt_out=pix,
                                             audio_path=str(src) if meta["audio"] else None, ffmpeg_log_level="error")  # fmt: skip
        with _ffmpeg():
            writer.send(None)
        prev_in = prev_out = None
        try:
            for frame in frames:
                out = stylise(net, frame, size, **options)
                writer.send(np.ascontiguousarray(out))
                if prev_out is not None:
                    stats["diff"] += float(np.abs(out.astype(np.int16) - prev_out).mean())
                    stats["input_diff"] += float(np.abs(frame.astype(np.int16) - prev_in).mean())
                prev_in, prev_out = frame.astype(np.int16), out.astype(np.int16)
                stats["frames"] += 1
                if on_frame:
                    on_frame(stats["frames"])
        finally:
            writer.close()
        if stats["frames"] == 0:
            raise NeuralStyleError(f"{src}: the video has no frames")

    atomic_write(Path(dst), write)
    pairs = max(stats["frames"] - 1, 1)
    return {"frames": stats["frames"], "fps": stats["fps"], "size": stats["size"],
            "flicker": stats["diff"] / pairs, "input_flicker": stats["input_diff"] / pairs}  # fmt: skip


def video_frame_count(path) -> int | None:
    """Frames in a video, from its header (for a progress bar), or None if unknown."""
    import imageio_ffmpeg

    try:
        with _ffmpeg():
            n, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
        return n
    except (RuntimeError, OSError, ValueError):
        return None
