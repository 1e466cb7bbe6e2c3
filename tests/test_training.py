"""Streaming images, training, checkpoints, resume, devices and backends."""

import importlib.util
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from neural_style import checkpoints, data, training
from neural_style.errors import NeuralStyleError
from neural_style.imagestream import ImageStream, list_images

PROBE = Path(__file__).with_name("training_probe.py")


@pytest.fixture
def folder(tmp_path):
    """Four shipped photos and paintings, one broken file, in nested folders."""
    (tmp_path / "imgs" / "sub").mkdir(parents=True)
    for i, p in enumerate(sorted(data.shipped_dir().glob("*.jpg"))[:4]):
        (tmp_path / "imgs" / ("sub" if i % 2 else "") / p.name).write_bytes(p.read_bytes())
    (tmp_path / "imgs" / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    return tmp_path / "imgs"


def test_list_images_searches_folders_and_patterns(folder):
    files = list_images([folder])
    assert len(files) == 5 and any(f.parent.name == "sub" for f in files)
    assert list_images([str(folder / "sub" / "*.jpg")]) == sorted((folder / "sub").glob("*.jpg"))
    with pytest.raises(NeuralStyleError, match="no such file"):
        list_images([folder / "missing"])
    (folder / "empty").mkdir()
    with pytest.raises(NeuralStyleError, match="holds no image"):
        list_images([folder / "empty"])


def test_stream_gives_deterministic_crops_and_skips_a_broken_file(folder):
    files = list_images([folder])
    stream = ImageStream(files, size=48, batch_size=5, steps=3, workers=1)
    (x, target), y = stream[1]
    assert x.shape == (5, 48, 48, 3) and x.dtype == np.float32 and np.array_equal(x, target)
    assert 0 <= x.min() and x.max() <= 255 and not y["loss"].any()
    np.testing.assert_array_equal(stream[1][0][0], x)  # same (seed, epoch, index), same crops
    assert [Path(p).name for p in stream.skipped] == ["broken.jpg"]  # 5 picks hit every file
    assert len(stream) == 3


def test_superres_stream_gives_quarter_size_inputs(folder):
    (lo, hi), y = ImageStream(
        list_images([folder]), size=64, batch_size=2, kind="superres", workers=1
    )[0]
    assert lo.shape == (2, 16, 16, 3) and hi.shape == (2, 64, 64, 3) and y.shape == (2, 1)


def test_a_folder_of_unreadable_files_is_one_clear_error(tmp_path):
    for i in range(3):
        (tmp_path / f"{i}.jpg").write_bytes(b"nope")
    with pytest.raises(NeuralStyleError, match="none of the 3 image file"):
        ImageStream(list_images([tmp_path]), size=48, batch_size=2)


def test_config_errors_are_one_line():
    for kwargs, match in [
        ({"size": 50}, "multiple of 4"),
        ({"task": "x"}, "task"),
        ({"lr": -1}, "learning rate"),
        ({"norm": "group"}, "norm"),
        ({"batch_size": 0}, "batch_size"),
    ]:
        with pytest.raises(NeuralStyleError, match=match):
            training.TrainConfig(**kwargs).validate()
    assert [training.TrainConfig().lr_at(e) for e in range(3)] == [1e-3, 1e-3, 1e-4]  # the lesson's


def small(**kw):
    return training.TrainConfig(
        **{"size": 48, "batch_size": 2, "epochs": 2, "steps": 2, "workers": 1, **kw}
    )


@pytest.fixture(scope="module")
def style():
    return data.load("starry_night", size=64)


def test_training_lowers_the_loss_and_saves_the_network(folder, style, tmp_path, weights_path):
    files = list_images([folder])
    cfg = small(epochs=3, steps=5)
    r = training.train(
        cfg, files, tmp_path / "net.keras", style=style, logdir=tmp_path / "logs", progress=False
    )
    assert r.stopped is None and r.epochs_done == 3 and r.steps == 15
    assert r.skipped == [str(folder / "broken.jpg")]
    losses = r.history["loss"]  # mean per epoch, real weights, the lesson's lr
    assert losses[-1] < 0.9 * losses[0]
    from neural_style.backend import keras

    net = keras.saving.load_model(tmp_path / "net.keras")
    x = training.ImageStream(files, 48, 2, steps=1, seed=7, workers=1)[0][0][0]
    np.testing.assert_allclose(net.predict(x, verbose=0), r.net.predict(x, verbose=0), atol=1e-3)
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(tmp_path / "logs"), size_guidance={"tensors": 0})
    acc.Reload()
    logged = [(e.step, float(e.tensor_proto.float_val[0])) for e in acc.Tensors("train/loss")]
    assert [step for step, _ in logged] == list(range(1, 16))  # every step's loss ...
    # ... as training saw it
    np.testing.assert_allclose([v for _, v in logged], r.step_losses, rtol=1e-6)
    assert {"train/style_mae", "train/content_mae"} <= set(acc.Tags()["tensors"])
    # each epoch's output on the sample inputs, as a PNG the size of a crop
    for i in range(cfg.samples):
        samples = acc.Tensors(f"sample/{i}")
        assert [e.step for e in samples] == [1, 2, 3]
        png = Image.open(io.BytesIO(samples[-1].tensor_proto.string_val[2]))
        assert png.size == (48, 48) and np.asarray(png).std() > 0


def test_resume_continues_epochs_and_optimiser_state(folder, style, tmp_path):
    files = list_images([folder])
    whole = training.train(
        small(), files, tmp_path / "a.keras", style=style, weights=None, progress=False
    )
    # the resumed run decodes with two threads (the command's default): the same batches in the same
    # order
    training.train(
        small(epochs=1, workers=2),
        files,
        tmp_path / "b.keras",
        style=style,
        weights=None,
        progress=False,
    )
    resumed = training.train(
        small(workers=2),
        files,
        tmp_path / "b.keras",
        style=style,
        weights=None,
        progress=False,
        resume=True,
    )
    assert resumed.epochs_done == 2 and len(resumed.history["loss"]) == 1
    for a, b in zip(whole.net.get_weights(), resumed.net.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_non_finite_loss_keeps_the_last_good_checkpoint(folder, style, tmp_path, monkeypatch):
    files = list_images([folder])
    crops = ImageStream.__getitem__
    saved = []  # the weights at each checkpoint, copied as they are written
    save = checkpoints.save_checkpoint

    def recording_save(net, *args, **kwargs):
        saved.append([w.copy() for w in net.get_weights()])
        return save(net, *args, **kwargs)

    # once epoch 1 is saved, content targets whose squares overflow float32
    def overflow_at_epoch_2(self, index):
        (x, target), y = crops(self, index)
        return ((x, np.full_like(target, 1e30)), y) if saved else ((x, target), y)

    monkeypatch.setattr(ImageStream, "__getitem__", overflow_at_epoch_2)
    monkeypatch.setattr(checkpoints, "save_checkpoint", recording_save)
    r = training.train(
        small(), files, tmp_path / "n.keras", style=style, weights=None, progress=False
    )
    assert r.stopped in ("the loss became nan", "the loss became inf"), r.stopped
    assert r.epochs_done == 1 and r.steps == 3
    assert len(saved) == 1  # the end of epoch 1; the NaN epoch saved nothing
    for got, good in zip(r.net.get_weights(), saved[0]):
        assert np.isfinite(got).all()
        np.testing.assert_array_equal(got, good)


def test_output_must_be_a_keras_file(folder, style, tmp_path):
    with pytest.raises(NeuralStyleError, match=r"\.keras"):
        training.train(
            small(), list_images([folder]), tmp_path / "net.h5", style=style, weights=None
        )


def run_probe(args, env):
    proc = subprocess.run(
        [sys.executable, str(PROBE), *map(str, args)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.mark.skipif(
    importlib.util.find_spec("jax") is None, reason="JAX is not installed (make setup BACKEND=jax)"
)
def test_two_virtual_devices_give_the_loss_sequence_of_one(tmp_path):
    one, two = tmp_path / "one.npz", tmp_path / "two.npz"
    run_probe(["train", one], {"KERAS_BACKEND": "jax", "XLA_FLAGS": ""})
    run_probe(
        ["train", two],
        {"KERAS_BACKEND": "jax", "XLA_FLAGS": "--xla_force_host_platform_device_count=2"},
    )
    a, b = np.load(one), np.load(two)
    assert int(a["devices"]) == 1 and int(b["devices"]) == 2
    # the first step is the same computation split in two: float32 round-off only; Adam
    # divides each gradient by its own running size, which lifts round-off in the tiny
    # gradients of random weights to 2e-4..1.1e-3 of the loss after two updates (measured,
    # by crops), so 2e-3 after that
    np.testing.assert_allclose(b["loss"][0], a["loss"][0], rtol=1e-5)
    np.testing.assert_allclose(b["loss"], a["loss"], rtol=2e-3)


@pytest.mark.parametrize("name", ["jax", "torch"])
def test_network_forward_agrees_across_backends(name, tmp_path, rng):
    if importlib.util.find_spec(name) is None:
        pytest.skip(f"{name} is not installed (make setup BACKEND={name})")
    from neural_style import nets

    net = nets.style_net()
    net.save(tmp_path / "net.keras")
    np.savez(tmp_path / "in.npz", x=rng.uniform(0, 255, (2, 48, 56, 3)).astype("float32"))
    for backend in ("tensorflow", name):
        run_probe(
            ["forward", tmp_path / "net.keras", tmp_path / "in.npz", tmp_path / f"{backend}.npz"],
            {"KERAS_BACKEND": backend},
        )
    ref, other = np.load(tmp_path / "tensorflow.npz"), np.load(tmp_path / f"{name}.npz")
    assert str(other["backend"]) == name
    np.testing.assert_allclose(other["y"], ref["y"], rtol=1e-4, atol=1e-4 * 255)
