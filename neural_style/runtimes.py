"""Exported networks run by their own runtimes, without Keras: ``model.onnx`` with ONNX
Runtime, ``model*.tflite`` with LiteRT (``ai-edge-litert``, XNNPACK), a SavedModel
folder with TensorFlow alone.  ``pip install ".[onnx]"`` (or ``".[litert]"``) in the project's
folder
installs only that runtime and what the command needs: applying an exported network
imports no TensorFlow (a SavedModel aside), JAX or PyTorch.

An exported graph takes uint8 (B, H, W, 3) of any size (its padding and crop inside) and
the network's further inputs (a many-style network's style weights); ``Runner`` calls
it on the float batches the kinds' ``apply`` functions hand it (``kinds.framing.run``), so a
photo goes through the same resizing, strength, colours and back-projection as with the
``.keras`` file.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from neural_style import formats, kinds
from neural_style.errors import NeuralStyleError

META_FILE = kinds.META_MEMBER  # beside the exported files: the network's kind and settings


def is_exported(path) -> bool:
    """Whether ``path`` names an exported network: a file or a version folder in one of
    ``formats.FORMATS`` (an ONNX or TFLite file, a SavedModel folder, ...)."""
    return formats.of(path) is not None


def _threads() -> int:
    return (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    )


def _needs(module, extra):
    raise NeuralStyleError(
        f"running this exported network needs {module}: pip install '.[{extra}]' in the "
        "neural_style folder"
    ) from None


class Runner:
    """An exported network as ``kinds.framing.run`` calls it: float32 (B, H, W, 3) RGB 0..255
    and numpy extras in, float32 (B, scale H, scale W, 3) out."""

    frames_itself = True  # the padding and crop are inside the exported graph
    runtime = "?"

    def __call__(self, x, *extra):
        x = np.clip(np.round(x), 0, 255).astype(np.uint8)
        return np.concatenate(
            [self.one(x[i : i + 1], *(e[i : i + 1] for e in extra)) for i in range(len(x))]
        ).astype(np.float32)


@formats.runs("onnx")
class OnnxRunner(Runner):
    """``model.onnx`` in ONNX Runtime (its CPU provider, or CUDA where installed)."""

    runtime = "onnxruntime"

    def __init__(self, path):
        try:
            import onnxruntime as ort
        except ImportError:
            _needs("onnxruntime", "onnx")
        options = ort.SessionOptions()
        options.log_severity_level = 3
        self.session = ort.InferenceSession(
            str(path), options, providers=ort.get_available_providers()
        )
        self.names = [i.name for i in self.session.get_inputs()]

    def one(self, x, *extra):
        return self.session.run(None, dict(zip(self.names, (x, *extra))))[0]


@formats.runs("tflite")
class LiteRunner(Runner):
    """A ``.tflite`` file in LiteRT with XNNPACK, one image at a time, on every core."""

    runtime = "LiteRT"

    def __init__(self, path):
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            _needs("ai-edge-litert", "litert")
        self.interpreter = Interpreter(model_path=str(path), num_threads=_threads())
        self.shapes = None

    def one(self, x, *extra):
        it = self.interpreter
        inputs = it.get_input_details()
        if self.shapes != x.shape:  # resizing re-plans the graph: only when the size changes
            it.resize_tensor_input(inputs[0]["index"], x.shape)
            it.allocate_tensors()
            self.shapes = x.shape
        for detail, value in zip(it.get_input_details(), (x, *extra)):
            it.set_tensor(detail["index"], value.astype(detail["dtype"]))
        it.invoke()
        return it.get_tensor(it.get_output_details()[0]["index"])


@formats.runs("saved_model")
class SavedModelRunner(Runner):
    """A SavedModel folder's ``serving_default`` in TensorFlow, without Keras."""

    runtime = "TensorFlow SavedModel"

    def __init__(self, path):
        try:
            import tensorflow as tf
        except ImportError:
            _needs("tensorflow", "cpu")
        self.fn = tf.saved_model.load(str(path)).signatures["serving_default"]

    def __call__(self, x, *extra):  # a SavedModel takes a whole batch
        return self.one(np.clip(np.round(x), 0, 255).astype(np.uint8), *extra).astype(np.float32)

    def one(self, x, *extra):
        names = list(self.fn.structured_input_signature[1])
        images = next(n for n in names if n == "images")
        feeds = {images: x, **dict(zip([n for n in names if n != images], extra))}
        return self.fn(**feeds)["images"].numpy()


def load(path):
    """An exported network as an ``inference.Network`` whose model is a ``Runner``."""
    from neural_style.inference import Network

    path = Path(path)
    if not path.exists():
        raise NeuralStyleError(f"--model {path}: no such file or folder")
    meta = kinds.read_meta(path)
    if meta.get("kind") not in kinds.KINDS:
        raise NeuralStyleError(
            f"--model {path}: no {META_FILE} beside it naming its kind; export it again with "
            "`neural-style export`"
        )
    fmt = formats.of(path)
    if fmt is None:
        raise NeuralStyleError(
            f"--model {path}: not an exported network ({', '.join(formats.FORMATS)}); export it "
            "with `neural-style export`"
        )
    runner = fmt.runner
    try:
        model = runner(formats.entry(path))
    except NeuralStyleError:
        raise
    except Exception as e:  # each runtime raises its own error types for a file it cannot read
        raise NeuralStyleError(
            f"--model {path}: {runner.runtime} cannot load it ({type(e).__name__}); export it again"
        ) from None
    return Network(model, kinds.get(meta["kind"]), meta)
