"""Exporting a trained network for serving and other runtimes.

``export`` writes a TensorFlow SavedModel in TF Serving's layout, ``BASE/NAME/VERSION/``,
with two signatures traced from the network's kind (so loading needs no neural_style and
no Keras): ``serving_default`` takes uint8 images (B, H, W, 3) of any size and returns
uint8 (B, scale H, scale W, 3), the reflection padding and the crop back inside the graph;
``encoded`` takes encoded JPEG/PNG bytes (what TF Serving's REST API sends as
``{"b64": ...}``) and returns PNG bytes.  Beside the versions: ``models.config`` and
``batching_parameters.txt`` for ``tensorflow_model_server``.  In a version folder too:
``model.onnx``, the same uint8-in, uint8-out graph as ONNX (dynamic height and width)
through tf2onnx; TFLite (LiteRT) files with float32, float16 and int8 weights, for
phones (TF Stylize), one image of any size at a time, builtin operations only; and
``neural_style.json``, the network's kind and training settings (``runtimes`` reads it).
The super-resolution network is exported without ``upscale``'s back-projection (its
antialiased resizing is no TFLite operation): ``runtimes`` does it after the graph.

A version is written to a temporary folder and renamed at the end: an existing version is
never overwritten and a failed export leaves nothing behind.
"""

from __future__ import annotations

import json
from pathlib import Path

from neural_style import formats as registry
from neural_style.errors import NeuralStyleError
from neural_style.files import atomic_folder
from neural_style.runtimes import META_FILE

FORMATS = tuple(registry.FORMATS)
# TFLite's three precisions: file name -> weights (int8: dynamic-range quantisation, int8
# weights and float activations, no calibration data needed).
TFLITE_FILES = dict(zip(registry.FORMATS["tflite"].files, (None, "float16", "int8")))
ONNX_OPSET = 17

SERVER_COMMAND = (
    "tensorflow_model_server --enable_batching --batching_parameters_file=batching_parameters.txt"
)
BATCHING = (
    f"# {SERVER_COMMAND}\n"
    + """\
# Requests are batched with others of the same image size (a batch is one tensor).
max_batch_size { value: 8 }
batch_timeout_micros { value: 5000 }
num_batch_threads { value: 2 }
max_enqueued_batches { value: 64 }
"""
)


def _tensorflow():
    from neural_style import backend

    if backend.name() != "tensorflow":
        raise NeuralStyleError(
            "export traces the network with TensorFlow; run it with KERAS_BACKEND=tensorflow, "
            f"not {backend.name()}"
        )
    import tensorflow as tf

    return tf


def serving_functions(network, batch=None):
    """``(images, encoded, extra_specs)``: the two signatures' functions (not yet traced)
    and the specs of the network's inputs after the image (a many-style network's style
    weights, (B, styles), one row per image), which both take after their own.  ``batch``
    fixes B (TFLite: 1, one camera frame at a time)."""
    tf = _tensorflow()
    from neural_style.nets import BatchStatsNormalization

    kind, model = network.kind, network.model
    extra_specs = [
        tf.TensorSpec([batch, *t.shape[1:]], tf.float32, name=t.name.split(":")[0])
        for t in model.inputs[1:]
    ]
    # The lesson's batch normalisation uses the batch's statistics at inference too: such a
    # network sees each image of a request alone, so that batching never changes a result.
    alone = batch != 1 and any(isinstance(layer, BatchStatsNormalization) for layer in model.layers)

    def framed(x, *extra):
        if not alone:
            return kind.framed(model, x, *extra)
        return tf.map_fn(
            lambda one: kind.framed(model, one[0][None], *(e[None] for e in one[1:]))[0],
            (x, *extra),
            fn_output_signature=tf.float32,
        )

    def images(x, *extra):  # uint8 (B, H, W, 3) -> uint8 (B, scale H, scale W, 3)
        y = framed(tf.cast(x, tf.float32), *extra)
        return tf.cast(tf.clip_by_value(tf.round(y), 0, 255), tf.uint8)

    def one(item):  # encoded image (and its extra inputs) -> PNG of the result
        x = tf.io.decode_image(item[0], channels=3, expand_animations=False)
        return tf.io.encode_png(images(x[None], *(e[None] for e in item[1:]))[0])

    def encoded(data, *extra):
        return tf.map_fn(one, (data, *extra), fn_output_signature=tf.string)

    return images, encoded, extra_specs


def next_version(folder: Path) -> int:
    """One more than the largest numeric version in ``folder`` (1 for none)."""
    versions = (
        [int(p.name) for p in folder.iterdir() if p.name.isdigit()] if folder.is_dir() else []
    )
    return max(versions, default=0) + 1


def _version_folder(base: Path, name: str, version) -> Path:
    folder = base / name
    if folder.exists() and not folder.is_dir():
        raise NeuralStyleError(
            f"-o {base}: {folder} is a file; give a folder for the exported versions"
        )
    if version is not None and not str(version).isdigit():
        raise NeuralStyleError(f"--version {version} is not valid; give a whole number, 1 or more")
    version = next_version(folder) if version is None else version
    if version < 1:
        raise NeuralStyleError(f"--version {version} is not valid; give 1 or more")
    if (folder / str(version)).exists():
        raise NeuralStyleError(
            f"{folder / str(version)} exists: a version is never overwritten; give another "
            "--version or none (the next free one)"
        )
    return folder / str(version)


def export(network, base, name, formats=FORMATS, version=None) -> Path:
    """Export ``network`` to ``base/name/version/`` (TF Serving's and Triton's layout) in
    each of ``formats`` (names in ``formats.FORMATS``: a SavedModel, ``model.onnx``,
    TFLite files).  Returns the version folder; ``version`` defaults to the next free one."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise NeuralStyleError(
            f"--format {','.join(unknown) or '(none)'} is not known; use {', '.join(FORMATS)} or "
            "all"
        )
    registry.check_writers(formats)
    base = Path(base)
    if base.exists() and not base.is_dir():
        raise NeuralStyleError(f"-o {base} is a file; give a folder for the exported versions")
    dest = _version_folder(base, name, version)

    def write(tmp):
        (tmp / META_FILE).write_text(
            json.dumps({**network.meta, "kind": network.kind.name}, indent=1, default=str)
        )
        for name in formats:
            registry.FORMATS[name].writer(network, tmp)

    import logging

    # "Assets written to ...": one per SavedModel and TFLite file
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        atomic_folder(dest, write)
    finally:
        logger.setLevel(level)
    if "saved_model" in formats:
        _serving_files(base)
    return dest


@registry.writes("saved_model")
def saved_model(network, folder):
    """Write ``network`` as a SavedModel with the two signatures into ``folder``."""
    tf = _tensorflow()
    from neural_style.backend import keras

    images, encoded, extra = serving_functions(network)
    archive = keras.export.ExportArchive()
    archive.track(network.model)
    archive.add_endpoint(
        "serving_default",
        lambda x, *e: {"images": images(x, *e)},
        input_signature=[tf.TensorSpec([None, None, None, 3], tf.uint8, name="images"), *extra],
    )
    archive.add_endpoint(
        "encoded",
        lambda data, *e: {"images": encoded(data, *e)},
        input_signature=[tf.TensorSpec([None], tf.string, name="image_bytes"), *extra],
    )
    archive.write_out(str(folder), verbose=False)


def _serving_files(base: Path):
    """``models.config`` (every exported name under ``base``) and the batching parameters."""
    from neural_style.files import atomic_write

    names = sorted(
        p.parent.parent.name for p in base.glob("*/*/saved_model.pb") if p.parent.name.isdigit()
    )
    configs = "".join(
        f'  config {{\n    name: "{n}"\n    base_path: "/models/{n}"\n    model_platform: '
        '"tensorflow"\n  }\n'
        for n in names
    )
    atomic_write(
        base / "models.config",
        lambda tmp: Path(tmp).write_text("model_config_list {\n" + configs + "}\n"),
    )
    atomic_write(base / "batching_parameters.txt", lambda tmp: Path(tmp).write_text(BATCHING))


@registry.writes("tflite")
def tflite(network, folder):
    """Write ``network`` as TFLite flatbuffers into ``folder`` (``TFLITE_FILES``): uint8
    (1, H, W, 3) of any size in (``resize_tensor_input``), uint8 out, builtin ops only."""
    tf = _tensorflow()
    images, _, extra = serving_functions(network, batch=1)
    fn = tf.function(
        images, input_signature=[tf.TensorSpec([1, None, None, 3], tf.uint8, name="images"), *extra]
    )
    for name, weights in TFLITE_FILES.items():
        converter = tf.lite.TFLiteConverter.from_concrete_functions(
            [fn.get_concrete_function()], fn
        )
        if weights:
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        if weights == "float16":
            converter.target_spec.supported_types = [tf.float16]
        (Path(folder) / name).write_bytes(converter.convert())


@registry.writes("onnx")
def onnx(network, folder):
    """Write ``network`` as ``folder/model.onnx``: uint8 images (B, H, W, 3) of any size
    in, uint8 (B, scale H, scale W, 3) out, the padding inside the graph."""
    tf = _tensorflow()
    import tf2onnx  # installed: ``formats.check_writers`` checked

    images, _, extra = serving_functions(network)
    fn = tf.function(
        images,
        input_signature=[tf.TensorSpec([None, None, None, 3], tf.uint8, name="images"), *extra],
    )
    tf2onnx.convert.from_function(
        fn,
        input_signature=fn.input_signature,
        opset=ONNX_OPSET,
        output_path=str(Path(folder) / registry.FORMATS["onnx"].loads),
    )
