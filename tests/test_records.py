"""TFRecord shards of training images: `neural-style pack`, and the stream reading them."""

import struct

import numpy as np
import pytest
from PIL import Image

from neural_style import cli, data, records
from neural_style.config import TrainConfig
from neural_style.errors import NeuralStyleError
from neural_style.imagestream import ImageStream, list_images

tf = pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Seven photos of different sizes and formats, and a file that is no image."""
    root = tmp_path_factory.mktemp("photos")
    for k, name in enumerate(
        (
            "tubingen",
            "grace_hopper",
            "starry_night",
            "the_scream",
            "shipwreck",
            "woman_with_hat",
            "tubingen",
        )
    ):
        image = Image.fromarray(data.load(name, size=96 + 16 * k))
        image.save(root / f"{k}_{name}.{'jpg' if k % 2 else 'png'}", quality=90)
    (root / "3b_broken.jpg").write_bytes(b"not an image")
    return root


def test_pack_keeps_each_files_bytes_in_order_and_skips_the_unreadable(folder, tmp_path, capsys):
    assert (
        cli.main(["pack", str(folder), "-o", str(tmp_path / "packed"), "--shards", "3", "-q"]) == 0
    )
    assert capsys.readouterr().out.strip() == str(tmp_path / "packed")
    shards = sorted((tmp_path / "packed").glob("*.tfrecord"))
    assert [s.name for s in shards] == records.shard_names(3)
    read = [r.example() for r in records.index(shards)]
    sources = [e.features.feature["source"].bytes_list.value[0].decode() for e in read]
    images = sorted(p for p in folder.iterdir() if p.name != "3b_broken.jpg")
    assert sources == [p.name for p in images]  # packing order, the broken file left out
    for example, path in zip(read, images):
        feature = example.features.feature
        assert feature["image"].bytes_list.value[0] == path.read_bytes()
        assert (
            feature["width"].int64_list.value[0],
            feature["height"].int64_list.value[0],
        ) == Image.open(path).size
    # TensorFlow's own reader agrees: every record, in each shard, is an Example it parses
    assert sum(1 for s in shards for _ in tf.data.TFRecordDataset(str(s))) == len(images)


def test_the_same_seed_gives_the_same_crops_from_shards_as_from_the_folder(folder, tmp_path):
    readable = tmp_path / "readable"
    readable.mkdir()
    for p in folder.iterdir():
        if p.name != "3b_broken.jpg":
            (readable / p.name).write_bytes(p.read_bytes())
    records.pack(list_images([readable]), tmp_path / "packed", shards=2)
    shards = list_images([str(tmp_path / "packed" / "*.tfrecord")])
    assert all(isinstance(r, records.Record) for r in shards)
    cfg = TrainConfig(size=64, batch_size=2, steps=3, workers=1, seed=5)
    streams = [
        ImageStream(files, 64, 2, "style", steps=3, seed=5, workers=1, cfg=cfg)
        for files in (list_images([readable]), shards)
    ]
    for _epoch in range(2):
        for step in range(3):
            folder_batch, shard_batch = (s[step][0] for s in streams)
            np.testing.assert_array_equal(shard_batch, folder_batch)
        for s in streams:
            s.on_epoch_end()
    other = ImageStream(shards, 64, 2, "style", steps=3, seed=6, workers=1, cfg=cfg)
    assert not np.array_equal(other[0][0], streams[1][0][0])  # another seed, other crops


def test_broken_packs_and_mixed_inputs_are_one_line(folder, tmp_path, capsys):
    records.pack(list_images([folder]), tmp_path / "packed", shards=2)
    first, second = sorted((tmp_path / "packed").glob("*.tfrecord"))
    with pytest.raises(NeuralStyleError, match="not one whole pack"):
        list_images([str(first)])
    with pytest.raises(NeuralStyleError, match="given together"):
        list_images([str(first), str(second), str(folder)])
    cut = tmp_path / "cut"
    cut.mkdir()
    (cut / first.name).write_bytes(first.read_bytes()[:-100])
    (cut / second.name).write_bytes(second.read_bytes())
    with pytest.raises(NeuralStyleError, match="cut short"):
        list_images([str(cut)])
    assert (
        struct.unpack("<Q", first.read_bytes()[:8])[0] == records.index([first, second])[0].length
    )
    bad = [
        (["pack", str(tmp_path / "none"), "-o", str(tmp_path / "x")], "none: no such file"),
        (
            ["pack", str(folder), "-o", str(tmp_path / "x"), "--shards", "0"],
            "--shards 0 is not valid",
        ),
    ]
    for argv, message in bad:
        assert cli.main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "x").exists()
