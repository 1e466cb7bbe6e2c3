"""Benchmark of the training images' stream (`make bench`): can it keep a training step fed?

`neural-style train` reads every batch from disk: decode, random crop, resize, flip
(``imagestream.ImageStream``, a ``keras.utils.PyDataset`` whose worker threads decode while
the network trains).  Measured here on a folder of COCO-sized JPEGs (640x480, quality 90,
made from the photos that ship), at the lesson's 288 px and batch 8:

- images per second of one thread calling ``random_crop`` in a plain loop (no Keras);
- images per second of the stream as ``fit`` consumes it (through ``predict`` of a model
  that does nothing, so that only the data path is timed), with 1, 2 and 4 worker threads;
- the same from TFRecord shards of the same files (``neural-style pack``, 4 shards), read
  record by record, and TensorFlow's own ``tf.data`` reading the shards in sequence
  (interleaved, parallel decode and crop in ``tf.image``, prefetch) for comparison;
- beside the images per second a training step consumes, from one timed step of the
  lesson's network on this machine (``--step-seconds`` to give it instead).

Appends a section to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench import cpu_name, versions, write_report  # noqa: E402


def coco_like_folder(folder: Path, n: int, seed=0) -> list[Path]:
    """``n`` JPEGs of 640x480 px (COCO's typical size): random crops of the shipped photos."""
    from PIL import Image

    from neural_style import data

    rng = np.random.default_rng(seed)
    sources = [Image.open(p).convert("RGB") for p in data.training_photos()]
    sources += [
        Image.fromarray(data.load(name)) for name in ("tubingen", "starry_night", "shipwreck")
    ]
    files = []
    for k in range(n):
        im = sources[k % len(sources)]
        w, h = im.size
        cw, ch = int(w * rng.uniform(0.6, 1)), int(h * rng.uniform(0.6, 1))
        x0, y0 = rng.integers(0, w - cw + 1), rng.integers(0, h - ch + 1)
        path = folder / f"{k:04d}.jpg"
        im.resize((640, 480), Image.Resampling.BICUBIC, box=(x0, y0, x0 + cw, y0 + ch)).save(
            path, quality=90
        )
        files.append(path)
    return files


def serial_rate(files, size, n):
    from neural_style.imagestream import random_crop

    rng = np.random.default_rng(0)
    random_crop(files[0], size, rng)
    t = time.perf_counter()
    for k in range(n):
        random_crop(files[k % len(files)], size, rng)
    return n / (time.perf_counter() - t)


def stream_rate(files, size, batch, workers, steps):
    """Images per second of ``ImageStream`` consumed as ``fit`` consumes it."""
    from neural_style.backend import keras, ops
    from neural_style.imagestream import ImageStream

    photo = keras.Input((size, size, 3))
    target = keras.Input((size, size, 3))
    nothing = keras.Model(
        [photo, target],
        keras.layers.Lambda(lambda x: ops.mean(x[0], axis=(1, 2, 3)))([photo, target]),
    )
    stream = ImageStream(files, size, batch, steps=steps, workers=workers)
    # trace once
    nothing.predict(ImageStream(files, size, batch, steps=2, workers=workers), verbose=0)
    t = time.perf_counter()
    nothing.predict(stream, verbose=0)
    return steps * batch / (time.perf_counter() - t)


def tf_data_rate(shards, size, batch, steps):
    """Images per second of ``tf.data`` over the shards: interleaved reads, parallel decode
    and random crop in ``tf.image``, prefetch (its crops are not the stream's)."""
    import tensorflow as tf

    def crop(record):
        encoded = tf.io.parse_single_example(
            record, {"image": tf.io.FixedLenFeature([], tf.string)}
        )["image"]
        image = tf.io.decode_image(encoded, channels=3, expand_animations=False)
        side = tf.cast(
            tf.cast(tf.reduce_min(tf.shape(image)[:2]), tf.float32)
            * tf.random.uniform([], 0.5, 1.0),
            tf.int32,
        )
        image = tf.image.random_crop(image, tf.stack([side, side, 3]))
        return tf.image.random_flip_left_right(
            tf.image.resize(image, (size, size), method="bicubic")
        )

    files = tf.data.Dataset.from_tensor_slices([str(s) for s in shards])
    ds = files.interleave(
        tf.data.TFRecordDataset, cycle_length=len(shards), num_parallel_calls=tf.data.AUTOTUNE
    )
    ds = (
        ds.repeat()
        .map(crop, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(batch)
        .prefetch(tf.data.AUTOTUNE)
    )
    it = iter(ds)
    next(it)
    t = time.perf_counter()
    for _ in range(steps):
        next(it)
    return steps * batch / (time.perf_counter() - t)


def step_seconds(size, batch):
    """Seconds of one training step of the lesson's network (instance norm), best of 2
    after a warm-up, as benchmarks/train_step.py times it."""
    from realtime import best_of

    from neural_style import data, training

    style = data.load("starry_night", factor=3.5)
    _, trainer = training.build(
        training.TrainConfig(size=size, batch_size=batch, norm="instance"), style=style
    )
    photos = np.random.default_rng(0).uniform(0, 255, (batch, size, size, 3)).astype("float32")
    zeros = np.zeros((batch, 1), "float32")
    return best_of(
        lambda: trainer.train_on_batch(
            [photos, photos], {"loss": zeros, "style": zeros, "content": zeros}
        ),
        2,
    )


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--files", type=int, default=64)
    p.add_argument("--steps", type=int, default=16, help="batches timed per setting")
    p.add_argument("--size", type=int, default=288)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument(
        "--step-seconds", type=float, help="seconds per training step (default: timed here)"
    )
    p.add_argument("--output", default=str(HERE / "RESULTS.md"))
    args = p.parse_args()

    from neural_style import backend

    size, batch = args.size, args.batch_size
    step = args.step_seconds or step_seconds(size, batch)
    with tempfile.TemporaryDirectory() as tmp:
        files = coco_like_folder(Path(tmp), args.files)
        rows = [("one thread, plain loop (no Keras)", serial_rate(files, size, args.steps * batch))]
        from neural_style import records
        from neural_style.imagestream import list_images

        shards = records.pack(files, Path(tmp) / "packed", shards=4)["shards"]
        for workers in (1, 2, 4):
            threads = f"{workers} worker thread{'s' * (workers > 1)}"
            rows.append(
                (
                    f"ImageStream, folder, {threads}",
                    stream_rate(files, size, batch, workers, args.steps),
                )
            )
            rows.append(
                (
                    f"ImageStream, TFRecord shards, {threads}",
                    stream_rate(list_images(shards), size, batch, workers, args.steps),
                )
            )
        rows.append(
            (
                "tf.data over the shards (tf.image crops, AUTOTUNE)",
                tf_data_rate(shards, size, batch, args.steps),
            )
        )
    need = batch / step
    lines = [
        f"## Training images' stream, {backend.device()}, {time.strftime('%Y-%m-%d')}",
        "",
        f"Machine: {cpu_name()}, {os.cpu_count()} cores; Python {platform.python_version()}; "
        f"{versions()}.",
        f"Command: `KERAS_BACKEND={backend.name()} python benchmarks/stream.py`. {args.files} "
        f"JPEGs of 640x480 px, {size} px crops, batch {batch}, {args.steps} batches per setting.",
        "",
        "| reader | images / s | batches / s | against the training step's need |",
        "|---|---|---|---|",
        *[f"| {name} | {r:.0f} | {r / batch:.1f} | {r / need:.0f}x |" for name, r in rows],
        "",
        f"A training step at {size} px, batch {batch} on this machine: {step:.2f} s, so it "
        f"consumes {need:.2f} images per second.",
        "",
    ]
    write_report("\n".join(lines), args.output)


if __name__ == "__main__":
    main()
