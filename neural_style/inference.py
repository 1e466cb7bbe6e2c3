"""Applying a trained network of any kind: loading it (by path, or by the name of a
network that ships, checked by sha256), and applying it to photos and, frame by frame,
to videos.  What differs between kinds is asked of the network's kind (``kinds``).

Videos are read and written with ``imageio-ffmpeg``, which brings its own ffmpeg binary:
frames stream through (never the whole clip in memory), at the clip's frame rate and
size, its audio copied where it has some.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import warnings
from pathlib import Path

import numpy as np

from neural_style import kinds
from neural_style.errors import NeuralStyleError
from neural_style.files import atomic_write, sha256_file

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
        if not path.is_file() or sha256_file(path) != entry["sha256"]:
            raise NeuralStyleError(
                f"{path}: the shipped network {name_or_path!r} is missing or damaged; reinstall "
                "neural_style"
            )
        return path
    path = Path(name_or_path).expanduser()
    if not path.exists():
        names = ", ".join(shipped) or "none"
        raise NeuralStyleError(
            f"--model {name_or_path}: no such file, and not a shipped network ({names})"
        )
    return path


@dataclasses.dataclass
class Network:
    """A trained network with its kind and what was saved with it (training settings)."""

    model: object  # the keras.Model: RGB 0..255 (B, H, W, 3) in and out
    kind: kinds.Kind
    meta: dict = dataclasses.field(default_factory=dict)

    def apply(self, image, size=None, **looks):
        """The network on one RGB image (H, W, 3): uint8 (scale H, scale W, 3); ``size``
        is the longest side the network sees, ``looks`` the kind's own options."""
        return self.kind.apply(self.model, image, size, **self.kind.looks_for(self.meta, looks))

    def memory(self, height, width) -> int:
        """Estimated peak bytes of ``apply`` at height x width px."""
        return self.kind.memory(height, width)


def load(name_or_path) -> Network:
    """A trained network: ``neural-style train``'s ``.keras`` file, or a shipped
    network's name.  Its kind is the one saved with it (``kinds.read_meta``)."""
    from neural_style import nets, perceptual  # noqa: F401 - registers the custom layers
    from neural_style.backend import keras

    path = model_path(name_or_path)
    try:
        model = keras.saving.load_model(path, compile=False)
    except Exception as e:  # Keras raises ValueError, OSError, zipfile errors, ... for non-models
        raise NeuralStyleError(
            f"--model {path}: not a Keras model file ({type(e).__name__}); give a .keras file "
            "made by `neural-style train`"
        ) from None
    meta = kinds.read_meta(path)
    kind = kinds.kind_of(model, meta)
    shape = tuple(model.inputs[0].shape)  # the image; a many-style network's weights come second
    if kind is None or not (len(shape) == 4 and shape[-1] == 3 and model.outputs[0].shape[-1] == 3):
        raise NeuralStyleError(
            f"--model {path}: not a network made by `neural-style train` ({model.name})"
        )
    return Network(kind.prepare(model), kind, meta)


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
        raise NeuralStyleError(
            f"{path}: not a video ffmpeg can read "
            f"({str(e).splitlines()[0] if str(e) else 'no stream'})"
        ) from None


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

    return {
        "fps": meta.get("fps") or 25,
        "size": (w, h),
        "audio": bool(meta.get("audio_codec")),
    }, frames()


def apply_video(network, src, dst, size=None, on_frame=None, **looks) -> dict:
    """Apply ``network`` (a style network) to every frame of ``src`` into ``dst`` (same
    size and frame rate; audio copied when the source has some), each frame as
    ``network.apply(frame, size, **looks)`` does.  Written to a temporary file and
    renamed: an error leaves no half-written video.

    Returns ``{"frames", "fps", "size", "flicker", "input_flicker"}``: flicker is the mean
    absolute difference between consecutive frames, 0..255, of the result and the input.
    """
    import imageio_ffmpeg

    if not network.kind.video:
        raise NeuralStyleError(f"{src}: a {network.kind.title} is for photos only")
    meta, frames = read_video(src)
    w, h = meta["size"]
    stats = {"frames": 0, "fps": meta["fps"], "size": (w, h), "diff": 0.0, "input_diff": 0.0}

    def write(tmp):
        # yuv420p (what every player reads) needs even sides; odd sizes keep every pixel in yuv444p
        pix = "yuv420p" if w % 2 == 0 and h % 2 == 0 else "yuv444p"
        writer = imageio_ffmpeg.write_frames(
            tmp,
            (w, h),
            fps=meta["fps"],
            macro_block_size=1,
            pix_fmt_out=pix,
            audio_path=str(src) if meta["audio"] else None,
            ffmpeg_log_level="error",
        )
        with _ffmpeg():
            writer.send(None)
        prev_in = prev_out = None
        try:
            for frame in frames:
                out = network.apply(frame, size, **looks)
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
    return {
        "frames": stats["frames"],
        "fps": stats["fps"],
        "size": stats["size"],
        "flicker": stats["diff"] / pairs,
        "input_flicker": stats["input_diff"] / pairs,
    }


def video_frame_count(path) -> int | None:
    """Frames in a video, from its header (for a progress bar), or None if unknown."""
    import imageio_ffmpeg

    try:
        with _ffmpeg():
            n, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
        return n
    except (RuntimeError, OSError, ValueError):
        return None
