"""Training images streamed from disk: random crops of the files of folders, in batches.

The lesson loaded 19,439 ImageNet images into memory at 72 and 288 px.  Users train on
folders of tens of thousands of files (ImageNet, COCO), so here every batch is read from
disk when ``fit`` asks for it, by a ``keras.utils.PyDataset`` whose worker threads decode
while the network trains (Pillow releases the GIL while decoding).  This works the same
under every Keras backend and imports TensorFlow only for TFRecord shards
(``neural-style pack``, ``records``), whose records it reads as it reads files.  An
unreadable file is skipped and counted, and another image takes its place.
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from neural_style import records
from neural_style.backend import keras
from neural_style.errors import NeuralStyleError
from neural_style.images import IMAGE_SUFFIXES, expand, to_rgb

MIN_CROP = 0.5  # a crop's side is 50..100% of the image's short side


def list_images(items) -> list:
    """Image files of ``items`` (files, folders searched recursively, glob patterns),
    sorted, each once; or, where they are TFRecord shards (``neural-style pack``), their
    records (``records.Record``) in packing order.  Raises NeuralStyleError when an item
    gives no image file, or mixes shards with image files."""
    out = []
    for item in items:
        found = expand(item, suffixes=IMAGE_SUFFIXES + (records.SUFFIX,), recursive=True)
        if found is None and not Path(item).expanduser().is_file():
            raise NeuralStyleError(f"{item}: no such file, folder or matching pattern")
        if found == [] and Path(item).expanduser().is_dir():
            raise NeuralStyleError(
                f"{item}: the folder holds no image file ({', '.join(IMAGE_SUFFIXES)})"
            )
        if found == []:
            raise NeuralStyleError(f"{item}: the pattern matches no file")
        out += found if found is not None else [Path(item).expanduser()]
    out = list(dict.fromkeys(out))
    shards = [p for p in out if p.suffix == records.SUFFIX]
    if shards and len(shards) < len(out):
        raise NeuralStyleError(
            f"{shards[0]}: TFRecord shards and image files given together; give one or the other"
        )
    return records.index(shards) if shards else out


def _opened(item):
    """What Pillow opens for a training image: its path, or a record's bytes."""
    return item.open() if isinstance(item, records.Record) else item


def random_crop(path, size, rng) -> np.ndarray:
    """A random square crop of the image file (50..100% of its short side, flipped
    left-right half the time), resized to ``size`` px: RGB float32 (size, size, 3).
    ``path`` may be a ``records.Record``."""
    with Image.open(_opened(path)) as im:
        im.draft("RGB", (size, size))  # JPEG: decode at a reduced scale, much faster
        im = to_rgb(ImageOps.exif_transpose(im))
        w, h = im.size
        side = int(min(w, h) * rng.uniform(MIN_CROP, 1.0))
        if side < 8:
            raise OSError(f"{path}: too small ({w}x{h} px)")
        x0, y0 = rng.integers(0, w - side + 1), rng.integers(0, h - side + 1)
        im = im.resize((size, size), Image.Resampling.BICUBIC, box=(x0, y0, x0 + side, y0 + side))
        if rng.random() < 0.5:
            im = ImageOps.mirror(im)
        return np.asarray(im, dtype=np.float32)


def check_files(files, size, batch_size, seed=0, sample=64) -> set[Path]:
    """One-line errors, before any training, for training images that cannot make a
    batch: none given, fewer than ``batch_size``, none readable (tried until one is), or
    all smaller than the ``size`` px crops (headers of a sample; a notice when only some
    are, as their crops are enlarged).  Returns the unreadable files met on the way."""
    files = [f if isinstance(f, records.Record) else Path(f) for f in files]
    if not files:
        raise NeuralStyleError("no training images given")
    if batch_size > len(files):
        raise NeuralStyleError(
            f"batch size {batch_size} is larger than the {len(files)} training image(s); use a "
            f"batch size of {len(files)} or less (--batch-size), or more images"
        )
    unreadable, rng = set(), np.random.default_rng(seed)
    for path in files:
        try:
            random_crop(path, 8, rng)
            break
        except (OSError, ValueError, Image.DecompressionBombError):
            unreadable.add(path)
    else:
        where = files[0].parent if len(files) > 1 else files[0]
        raise NeuralStyleError(f"{where}: none of the {len(files)} image file(s) can be read")
    sides = []
    for path in files[:: max(1, len(files) // sample)]:
        try:
            with Image.open(_opened(path)) as im:
                sides.append(min(im.size))
        except (OSError, ValueError, Image.DecompressionBombError):
            pass  # counted when it is cropped
    small = sum(side < size for side in sides)
    if sides and small == len(sides):
        raise NeuralStyleError(
            f"{files[0].parent}: the images are smaller than the {size} px crops (the largest is "
            f"{max(sides)} px on its short side); use a size of {max(sides) // 4 * 4} px or less "
            "(--size), or larger images"
        )
    if small:
        warnings.warn(
            f"{small} of {len(sides)} training images looked at are smaller than the {size} px "
            "crops and are enlarged",
            stacklevel=2,
        )
    return unreadable


class ImageStream(keras.utils.PyDataset):
    """Batches of random crops for ``fit``, made into the trainer's inputs and targets by
    the network's kind (``kinds.Kind.batch``).

    Args:
        files: image paths (``list_images``).
        size: crop side in px (the lesson: 288).
        batch_size: images per batch.
        kind: a network kind or its name ("style", "superres", ...).
        steps: batches per epoch; default one pass over the files.
        seed: each crop depends only on (seed, epoch, batch index, place in the batch), not
            on the worker threads or the process that makes it.
        workers: decoding threads.
        shard: ``(index, count)``: this process makes its ``batch_size / count`` images of
            every global batch (training across hosts); the default, all of them.
        cfg: the TrainConfig, for what the kind's batches depend on (styles, stability).
    """

    def __init__(
        self,
        files,
        size=288,
        batch_size=8,
        kind="style",
        steps=None,
        seed=0,
        workers=2,
        shard=(0, 1),
        cfg=None,
    ):
        from neural_style import kinds

        super().__init__(workers=workers, use_multiprocessing=False, max_queue_size=2 * workers)
        self.files, self.size, self.batch_size = list(files), size, batch_size
        self.kind, self.cfg = kinds.get(kind), cfg
        index, count = shard
        if batch_size % count:
            raise NeuralStyleError(
                f"batch size {batch_size} does not divide over {count} processes; give a multiple "
                f"of {count}"
            )
        local = batch_size // count
        # this process's images of each batch
        self.places = range(index * local, (index + 1) * local)
        self.skipped: set[Path] = check_files(self.files, size, batch_size, seed)
        self.steps = steps or max(1, len(self.files) // batch_size)
        self.seed, self.epoch = seed, 0
        self._lock = threading.Lock()

    def __len__(self):
        return self.steps

    def on_epoch_end(self):
        self.epoch += 1

    def _crop(self, path, rng):
        """A crop of ``path``, or of another file where it cannot be read."""
        for _ in range(50):
            try:
                return random_crop(path, self.size, rng)
            except (OSError, ValueError, Image.DecompressionBombError):  # skipped and counted
                with self._lock:
                    self.skipped.add(path)
                path = self.files[rng.integers(len(self.files))]
        raise NeuralStyleError(
            f"{path.parent}: {len(self.skipped)} image files cannot be read; too many to go on"
        )

    def __getitem__(self, index):
        order = np.random.default_rng([self.seed, self.epoch]).permutation(len(self.files))
        crops = []
        for j in self.places:
            rng = np.random.default_rng([self.seed, self.epoch, index, j])
            crops.append(
                self._crop(self.files[order[(index * self.batch_size + j) % len(order)]], rng)
            )
        # beyond the crops' own
        rngs = [np.random.default_rng([self.seed, self.epoch, index, j, 1]) for j in self.places]
        return self.kind.batch(
            np.stack(crops), self.cfg, index * self.batch_size + self.places.start, rngs
        )
