"""Training images in TFRecord shards, the file format the TensorFlow notes prepare data in.

``pack`` writes each readable image file, its encoded bytes unchanged, as one
``tf.train.Example`` (``image``, ``height``, ``width``, ``source``) in ``N`` shards, file i
in shard i mod N; unreadable files are skipped and counted, as the training stream does.
``index`` finds every record's place in the shards from the TFRecord framing alone (a
length, its checksum, the data, its checksum), in packing order, so the training stream
(``imagestream.ImageStream``) reads any record directly: a shuffled epoch, each process
of a multi-host run reading only the records of its own share of each batch, and, for the
same seed, the very crops the folder of the same files gives.  Reading records parses
them with TensorFlow's ``tf.train.Example`` whatever the Keras backend.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from neural_style.errors import NeuralStyleError
from neural_style.files import atomic_write

SUFFIX = ".tfrecord"
HEADER = 12  # uint64 length, uint32 masked CRC-32C of the length
FOOTER = 4  # uint32 masked CRC-32C of the data


@dataclass(frozen=True)
class Record:
    """One packed image: its shard, where its data starts and how long it is, bytes."""

    shard: Path
    offset: int
    length: int

    @property
    def parent(self) -> Path:
        return self.shard.parent

    def __str__(self):
        return f"{self.shard}@{self.offset}"

    def example(self):
        """The record's ``tf.train.Example``."""
        import tensorflow as tf

        with open(self.shard, "rb") as f:
            f.seek(self.offset)
            return tf.train.Example.FromString(f.read(self.length))

    def open(self) -> io.BytesIO:
        """The encoded image, as a file Pillow opens."""
        return io.BytesIO(self.example().features.feature["image"].bytes_list.value[0])


def shard_names(count) -> list[str]:
    """``images-00000-of-00004.tfrecord``, ...: TensorFlow's naming of ``count`` shards."""
    return [f"images-{i:05d}-of-{count:05d}{SUFFIX}" for i in range(count)]


def check_shards(shards, n_files):
    """A one-line error for a number of shards that cannot hold ``n_files`` images."""
    if shards < 1:
        raise NeuralStyleError(f"--shards {shards} is not valid; give 1 or more")
    if shards > n_files:
        raise NeuralStyleError(
            f"{shards} shards for {n_files} image(s); give at most one shard per image (--shards)"
        )


def _example(path):
    """A ``tf.train.Example`` of the image file, or None where Pillow cannot read it."""
    import tensorflow as tf

    try:
        raw = Path(path).read_bytes()
        with Image.open(io.BytesIO(raw)) as im:
            im.load()  # decodes: a truncated file fails here, as it would in training
            width, height = im.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    feature = {
        "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[raw])),
        "height": tf.train.Feature(int64_list=tf.train.Int64List(value=[height])),
        "width": tf.train.Feature(int64_list=tf.train.Int64List(value=[width])),
        "source": tf.train.Feature(bytes_list=tf.train.BytesList(value=[Path(path).name.encode()])),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature))


def pack(files, out_dir, shards=1, on_file=None) -> dict:
    """Write the image ``files`` (``imagestream.list_images``) to ``shards`` TFRecord files
    in ``out_dir``, file i in shard i mod ``shards``, each shard written atomically.
    ``on_file(path)`` after each file.  Returns {"written": n, "skipped": [paths],
    "shards": [paths]}."""
    import tensorflow as tf

    check_shards(shards, len(files))
    files, out_dir = [Path(f) for f in files], Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    examples, skipped = [[] for _ in range(shards)], []
    for path in files:
        example = _example(path)
        if example is None:
            skipped.append(path)
        else:  # the n-th image read goes to shard n mod shards
            examples[sum(map(len, examples)) % shards].append(example.SerializeToString())
        if on_file:
            on_file(path)
    written = sum(map(len, examples))
    if not written:
        raise NeuralStyleError(
            f"{files[0].parent}: none of the {len(files)} file(s) is an image Pillow can read"
        )
    paths = [out_dir / name for name in shard_names(shards)]
    for path, records in zip(paths, examples):

        def write(tmp, records=records):
            with tf.io.TFRecordWriter(str(tmp)) as writer:
                for record in records:
                    writer.write(record)

        atomic_write(path, write)
    return {"written": written, "skipped": skipped, "shards": paths}


def _scan(shard) -> list[Record]:
    """The records of one shard, from its framing; a one-line error where it breaks off."""
    shard, records, offset = Path(shard), [], 0
    size = shard.stat().st_size
    with open(shard, "rb") as f:
        while offset < size:
            header = f.read(HEADER)
            if len(header) < HEADER:
                raise NeuralStyleError(
                    f"{shard}: cut short at byte {offset}; pack the images again (neural-style "
                    "pack)"
                )
            (length,) = struct.unpack("<Q", header[:8])
            if offset + HEADER + length + FOOTER > size:
                raise NeuralStyleError(
                    f"{shard}: cut short at byte {offset}; pack the images again (neural-style "
                    "pack)"
                )
            records.append(Record(shard, offset + HEADER, length))
            offset += HEADER + length + FOOTER
            f.seek(offset)
    return records


def index(shards) -> list[Record]:
    """Every record of the shards that ``pack`` wrote (all of them, as ``shard_names``
    lists them), in the order the files were packed."""
    shards = sorted(Path(s) for s in shards)
    names = {s.name for s in shards}
    if names != set(shard_names(len(shards))):
        found = ", ".join(sorted(names))
        raise NeuralStyleError(
            f"{shards[0].parent}: the shards are not one whole pack ({found}); give every "
            "images-*-of-N.tfrecord of it"
        )
    per_shard = [_scan(s) for s in shards]
    return [per_shard[i % len(shards)][i // len(shards)] for i in range(sum(map(len, per_shard)))]
