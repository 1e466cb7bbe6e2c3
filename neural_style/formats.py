"""The export formats, one ``Format`` each, registered like the kinds: what a version
folder holds in that format, how it is written (``export``) and how it is run
(``runtimes``).  Adding a format is one entry here, its writer (``@writes``) and its
runner (``@runs``); ``neural-style export``'s help, ``runtimes.load`` and the server's
version scan all loop over this table.  No TensorFlow or runtime is imported here."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Format:
    """One export format: its files in a version folder, its writer and its runner."""

    name: str
    says: str  # one line for the help
    files: tuple  # what it writes in a version folder (glob patterns)
    loads: str  # the file in a version folder that the runner opens (marks a complete version)
    suffix: str | None = (
        # a file given alone with this suffix is in this format; None: the runner opens the folder
        None
    )
    needs: tuple = ()  # (module, extra) the writer imports beyond TensorFlow
    writer: object = field(default=None, repr=False)  # (network, version folder) -> None
    runner: object = field(default=None, repr=False)  # runtimes.Runner class


FORMATS = {
    f.name: f
    for f in (
        Format(
            "saved_model",
            "a TensorFlow SavedModel, for TF Serving",
            ("saved_model.pb", "variables", "assets", "fingerprint.pb"),
            "saved_model.pb",
        ),
        Format(
            "onnx",
            "model.onnx, for ONNX Runtime (CPU, CUDA, the browser)",
            ("model.onnx",),
            "model.onnx",
            ".onnx",
            ("tf2onnx", "export"),
        ),
        Format(
            "tflite",
            "LiteRT (TFLite) files with float32, float16 and int8 weights, for phones",
            ("model.tflite", "model_float16.tflite", "model_int8.tflite"),
            "model.tflite",
            ".tflite",
        ),
    )
}


def writes(name):
    """Register the decorated function as ``name``'s writer."""

    def register(fn):
        FORMATS[name].writer = fn
        return fn

    return register


def runs(name):
    """Register the decorated ``runtimes.Runner`` class as ``name``'s runner."""

    def register(cls):
        FORMATS[name].runner = cls
        return cls

    return register


def check_writers(names):
    """Raise NeuralStyleError naming the extra to install if a writer of ``names`` lacks
    its package: before anything is written."""
    import importlib

    from neural_style.errors import NeuralStyleError

    for name in names:
        module, extra = FORMATS[name].needs or (None, None)
        try:
            module and importlib.import_module(module)
        except ImportError:
            raise NeuralStyleError(
                f"{name} export needs {module}: pip install '.[{extra}]' in the neural_style folder"
            ) from None


def help_text() -> str:
    """Every format's name and what it is for, for ``neural-style export --help``."""
    return "; ".join(f"{f.name}: {f.says}" for f in FORMATS.values())


def of(path) -> Format | None:
    """The format of an exported file or version folder (the first in the table that it
    holds), or None."""
    path = Path(path)
    if path.is_dir():
        return next((f for f in FORMATS.values() if (path / f.loads).is_file()), None)
    return next((f for f in FORMATS.values() if f.suffix and path.suffix.lower() == f.suffix), None)


def entry(path) -> Path:
    """What a runner opens for ``path`` (an exported file, or a version folder)."""
    path, fmt = Path(path), of(path)
    return path / fmt.loads if path.is_dir() and fmt.suffix else path
