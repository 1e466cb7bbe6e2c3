"""`neural-style embed`: styles as points for TensorBoard's Embedding Projector, checked
against numpy, read back, and served by TensorBoard to a real browser."""

import importlib.util
import os
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from neural_style import backend, cli, data, embed, perceptual
from neural_style.backend import keras

pytestmark = pytest.mark.skipif(
    backend.name() != "tensorflow",
    reason="the projector reads TensorFlow checkpoints (KERAS_BACKEND=tensorflow)",
)
ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "embedding_projector", ROOT / "figures" / "embedding_projector.py"
)
# TensorBoard and the browser, as the docs' figure is made
FIGURE = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(FIGURE)


def test_a_style_vector_is_the_unit_gram_triangles_of_three_layers(rng):
    images = [
        rng.uniform(0, 255, (40, 56, 3)).astype("float32"),
        rng.uniform(0, 255, (48, 48, 3)).astype("float32") ** 0.9,
    ]
    keras.utils.set_random_seed(3)  # the same random VGG16 twice
    # resized: 48 px on the longest side
    vectors = embed.style_vectors(images, size=48, weights=None)
    keras.utils.set_random_seed(3)
    vgg = perceptual.vgg_features(embed.EMBED_LAYERS, None)
    from neural_style import images as im

    for image, vector in zip(images, vectors):
        acts = [
            np.asarray(a, np.float64)[0]
            for a in vgg(im.resize(image, size=48, resample="bicubic")[None])
        ]
        parts = []
        for a in acts:  # numpy's Gram matrix, as the lesson's: features x features / their number
            f = a.reshape(-1, a.shape[-1])
            g = f.T @ f / f.size
            part = g[np.triu_indices(len(g))]
            parts.append(part / np.linalg.norm(part))
        expected = np.concatenate(parts)
        np.testing.assert_allclose(
            vector, expected / np.linalg.norm(expected), rtol=1e-3, atol=1e-6
        )
    assert vectors.shape == (2, 64 * 65 // 2 + 128 * 129 // 2 + 256 * 257 // 2)
    d = embed.distances(vectors)
    assert (
        d[0, 0] == pytest.approx(0, abs=1e-6) and d[0, 1] == pytest.approx(d[1, 0]) and d[0, 1] > 0
    )


def test_tiles_of_a_painting_sit_nearer_it_than_other_paintings_and_a_photo():
    """The measure does what the notebook says: a painting's own tiles are its nearest
    neighbours; shown failing when the tiles are swapped with another painting's."""
    paintings = {
        name: data.load(name, size=256, resample="bicubic")
        for name in ("starry_night", "the_scream")
    }
    # the painting's scale
    tiles = {
        name: embed.crops(data.load(name, size=512, resample="bicubic"))[0] for name in paintings
    }
    photo = data.load("tubingen", size=256, resample="bicubic")
    v = embed.style_vectors(
        [
            paintings["starry_night"],
            paintings["the_scream"],
            tiles["starry_night"],
            tiles["the_scream"],
            photo,
        ]
    )
    d = embed.distances(v)
    assert d[2, 0] < d[2, 1] and d[3, 1] < d[3, 0]  # each tile nearer its own painting
    assert d[2, 0] < d[4, 0] and d[3, 1] < d[4, 1]  # and nearer than the photo is
    assert not (d[3, 0] < d[3, 1])  # the swapped pairing fails


def test_the_command_writes_what_the_projector_reads_and_tensorboard_serves_it(tmp_path, capsys):
    names = (
        "starry_night",
        "the_scream",
        "shipwreck",
        "woman_with_hat",
        "tubingen",
        "grace_hopper",
    )
    for k, name in enumerate(names):
        Image.fromarray(data.load(name, size=80)).save(tmp_path / f"{k}_{name}.png")
    logdir = tmp_path / "styles"
    assert (
        cli.main(["embed", str(tmp_path / "*.png"), "--logdir", str(logdir), "--size", "64", "-q"])
        == 0
    )
    assert capsys.readouterr().out.strip() == str(logdir)
    vectors, rows = embed.read_projector(logdir)
    assert rows == [(f"{k}_{name}", "image") for k, name in enumerate(names)]
    assert vectors.shape == (6, 43232) and np.allclose(
        np.linalg.norm(vectors, axis=1), 1, atol=1e-5
    )
    config = (logdir / "projector_config.pbtxt").read_text()
    assert 'metadata_path: "metadata.tsv"' in config and 'image_path: "sprite.png"' in config
    # 6 thumbnails: a 3x3 grid
    assert Image.open(logdir / "sprite.png").size == (3 * embed.THUMB, 3 * embed.THUMB)
    for argv, message in [
        (["embed", str(tmp_path / "missing.png"), "--logdir", str(tmp_path / "x")], "missing.png"),
        (
            ["embed", "tubingen", "--size", "8", "--logdir", str(tmp_path / "x")],
            "--size 8 is not valid",
        ),
    ]:
        assert cli.main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "x").exists()
    # TensorBoard's own projector plugin, on the loopback address only, finds the run and its tensor
    from neural_style import localserver

    port = localserver.free_port()
    board = FIGURE.serve(logdir, port)
    url = f"http://127.0.0.1:{port}"
    try:
        runs = wait_for_json(f"{url}/data/plugin/projector/runs", 120)
        assert runs == ["."], runs
        info = wait_for_json(f"{url}/data/plugin/projector/info?run=.", 30)
        tensor = info["embeddings"][0]
        assert tensor["tensorName"] == embed.TENSOR_NAME and tensor["tensorShape"] == [6, 43232]
        raw = urllib.request.urlopen(
            f"{url}/data/plugin/projector/tensor?run=.&name={tensor['tensorName']}", timeout=30
        ).read()
        np.testing.assert_array_equal(np.frombuffer(raw, np.float32).reshape(6, -1), vectors)
        # in CI (where `make test` installs Chromium) a missing browser fails
        if FIGURE.CHROMIUM or os.environ.get("CI"):
            assert FIGURE.CHROMIUM and importlib.util.find_spec("playwright"), (
                "no Chromium or Playwright: make test installs both"
            )
            fetched = FIGURE.screenshot(f"{url}/#projector", tmp_path / "projector.png")
            # the page's own data
            np.testing.assert_array_equal(
                np.frombuffer(fetched, np.float32).reshape(6, -1), vectors
            )
            from scipy.ndimage import binary_erosion

            # the 3-D view, on white
            view = np.asarray(Image.open(tmp_path / "projector.png").convert("RGB"))[130:, 320:980]
            # thumbnails are solid patches; the axes and icons are lines of 1-2 px, which a 5x5
            # erosion removes
            # (checked on a screenshot with its one thumbnail painted white: 0 pixels left, 42 with
            # it)
            assert binary_erosion(view.min(axis=-1) < 235, np.ones((5, 5))).sum() > 20, (
                "no thumbnail drawn in the 3-D view"
            )
    finally:
        board.terminate()
        board.wait(timeout=30)


def wait_for_json(url, seconds):
    import json

    end = time.monotonic() + seconds
    while True:
        try:
            return json.loads(urllib.request.urlopen(url, timeout=10).read())
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(1)
