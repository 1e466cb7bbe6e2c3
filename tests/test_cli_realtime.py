"""`neural-style train` and `neural-style --model`: real-time networks from the shell."""

import re

import numpy as np
import pytest
from PIL import Image

from neural_style import cli, data

TRAIN = ["--size", "48", "--batch-size", "2", "--steps", "5", "--workers", "1", "--seed", "0"]


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    for p in data.training_photos()[:3]:
        Image.open(p).convert("RGB").save(folder / f"{p.stem}.jpg")
    (folder / "broken.jpg").write_bytes(b"not an image")
    return folder


@pytest.fixture(scope="module")
def trained(photos, tmp_path_factory, weights_path):
    """A network trained for 3 epochs by the command, then resumed for a 4th."""
    out = tmp_path_factory.mktemp("net") / "net.keras"
    return out


def test_train_lowers_the_loss_checkpoints_and_resumes(photos, trained, capsys):
    code = cli.main(
        [
            "train",
            "--style",
            "starry_night",
            "--images",
            str(photos),
            "-o",
            str(trained),
            "--epochs",
            "3",
            *TRAIN,
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.strip() == str(trained) and trained.exists()
    assert trained.with_name("net.keras.ckpt.npz").exists()
    assert "skipped 1 unreadable file(s)" in err and "broken.jpg" in err
    m = re.search(
        r"15 steps, [\d.]+ s per step, 3 epoch\(s\) done, loss by epoch (\S+) -> (\S+) -> (\S+)",
        err,
    )
    assert m, err
    assert float(m.group(3)) < float(m.group(1))
    code = cli.main(
        [
            "train",
            "--style",
            "starry_night",
            "--images",
            str(photos),
            "-o",
            str(trained),
            "--epochs",
            "4",
            "--resume",
            *TRAIN,
        ]
    )
    _, err = capsys.readouterr()
    assert code == 0, err
    m = re.search(
        r"(?<!\d)(\d+) steps, [\d.]+ s per step, (\d+) epoch\(s\) done, loss by epoch (\S+)\n", err
    )
    assert m and (m.group(1), m.group(2)) == ("5", "4"), err  # one more epoch of 5 steps, one loss


def test_train_errors_are_one_line(photos, tmp_path, capsys):
    for name in ("empty", "unreadable", "tiny"):
        (tmp_path / name).mkdir()
    (tmp_path / "unreadable" / "a.jpg").write_bytes(b"not an image")
    (tmp_path / "unreadable" / "b.png").write_bytes(b"")
    for k in range(3):
        Image.fromarray(np.full((30 + k, 40, 3), 90, np.uint8)).save(tmp_path / "tiny" / f"{k}.png")
    Image.fromarray(np.zeros((20, 20, 3), np.uint8)).save(tmp_path / "small_style.png")
    (tmp_path / "text_style.jpg").write_text("not an image")
    out = ["-o", str(tmp_path / "n.keras")]
    cases = [
        (["--images", str(tmp_path / "none"), *out], "no such file"),
        (["--images", str(tmp_path / "empty"), *out], "holds no image"),
        (
            ["--images", str(tmp_path / "unreadable"), *out],
            "none of the 2 image file(s) can be read",
        ),
        (
            ["--images", str(tmp_path / "tiny"), *out],
            "largest is 32 px on its short side); use a size of 32 px or less",
        ),
        (
            ["--images", str(photos), *out, "--batch-size", "9"],
            "batch size 9 is larger than the 4 training image(s)",
        ),
        (["--images", str(photos), *out, "--style", str(tmp_path / "missing.jpg")], "missing.jpg"),
        (
            ["--images", str(photos), *out, "--style", str(tmp_path / "text_style.jpg")],
            "text_style.jpg",
        ),
        (
            [
                "--images",
                str(photos),
                *out,
                "--style",
                str(tmp_path / "small_style.png"),
                "--style-factor",
                "1",
            ],
            "too small",
        ),
        (["--images", str(photos), "-o", str(tmp_path / "n.h5")], ".keras"),
        (["--images", str(photos), *out, "--size", "50"], "multiple of 4"),
        (["--images", str(photos), *out, "--resume"], "no checkpoint"),
    ]
    for args, message in cases:
        assert cli.main(["train", *TRAIN[:4], *args]) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1, err
        assert not (tmp_path / "n.keras").exists()


@pytest.fixture(scope="module")
def net_path(tmp_path_factory):
    from neural_style import nets

    path = tmp_path_factory.mktemp("model") / "style.keras"
    nets.style_net(norm="instance").save(path)
    return path


def test_model_on_an_odd_sized_photo_keeps_its_size(net_path, tmp_path, capsys):
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (45, 61, 3), dtype=np.uint8)).save(
        tmp_path / "odd.png"
    )
    assert (
        cli.main(
            [
                "--model",
                str(net_path),
                "--content",
                str(tmp_path / "odd.png"),
                "-o",
                str(tmp_path / "o.png"),
            ]
        )
        == 0
    )
    assert Image.open(tmp_path / "o.png").size == (61, 45)
    assert (
        cli.main(
            [
                "--model",
                str(net_path),
                "--content",
                str(tmp_path / "odd.png"),
                "-o",
                str(tmp_path / "s.png"),
                "--size",
                "120",
            ]
        )
        == 0
    )
    assert Image.open(tmp_path / "s.png").size == (61, 45)


def test_model_on_a_folder_skips_a_bad_file(net_path, photos, tmp_path, capsys):
    code = cli.main(
        [
            "--model",
            str(net_path),
            "--content",
            str(photos),
            "--size",
            "64",
            "-o",
            str(tmp_path / "out"),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 1 and "broken.jpg" in err and "done 3, failed 1" in err
    assert len(list((tmp_path / "out").glob("*.png"))) == 3


def make_video(path, frames=5, size=(66, 46)):
    import imageio_ffmpeg

    w, h = size
    writer = imageio_ffmpeg.write_frames(str(path), size, fps=8, macro_block_size=1)
    writer.send(None)
    for i in range(frames):
        frame = np.zeros((h, w, 3), np.uint8)
        frame[:, 6 * i : 6 * i + 12] = (255, 200, 0)
        writer.send(frame)
    writer.close()


def video_frames(path):
    """Every frame of a video file, decoded: float (frames, H, W, 3)."""
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    w, h = next(reader)["size"]
    return np.stack([np.frombuffer(f, np.uint8).reshape(h, w, 3) for f in reader]).astype(float)


def test_model_on_a_video_keeps_frames_size_and_rate(net_path, tmp_path, capsys):
    import imageio_ffmpeg

    make_video(tmp_path / "clip.mp4")
    assert (
        cli.main(
            [
                "--model",
                str(net_path),
                "--content",
                str(tmp_path / "clip.mp4"),
                "-o",
                str(tmp_path / "out.mp4"),
            ]
        )
        == 0
    )
    err = capsys.readouterr().err
    m = re.search(
        r"5 frames, 66x46 px, 8 fps, .* flicker \(mean \|frame - previous\|\) ([\d.]+) "
        r"against the input's ([\d.]+)",
        err,
    )
    assert m, err
    reader = imageio_ffmpeg.read_frames(str(tmp_path / "out.mp4"))
    meta = next(reader)
    assert meta["size"] == (66, 46) and meta["fps"] == 8
    assert sum(1 for _ in reader) == 5

    from neural_style import inference

    def flicker(frames):  # computed here: mean |frame - previous frame|
        return np.abs(np.diff(np.asarray(frames, float), axis=0)).mean()

    source = video_frames(tmp_path / "clip.mp4")
    network = inference.load(net_path)
    # what was encoded, before the codec
    painted = [network.apply(frame.astype(np.uint8)) for frame in source]
    assert float(m.group(2)) == pytest.approx(flicker(source), abs=0.06)
    assert float(m.group(1)) == pytest.approx(flicker(painted), abs=0.06)
    # those frames, through the codec's 4:2:0 chroma (~15 levels here)
    written = video_frames(tmp_path / "out.mp4")
    assert (
        np.abs(written - np.asarray(painted, float)).mean() < 0.5 * np.abs(written - source).mean()
    )


def test_model_with_strength_and_original_colors_on_a_video(net_path, tmp_path, capsys):

    make_video(tmp_path / "clip.mp4", frames=3)
    args = ["--model", str(net_path), "--content", str(tmp_path / "clip.mp4")]
    assert cli.main([*args, "-o", str(tmp_path / "faded.mp4"), "--strength", "0"]) == 0
    assert cli.main([*args, "-o", str(tmp_path / "colours.mp4"), "--original-colors"]) == 0

    source = video_frames(tmp_path / "clip.mp4")
    # strength 0: the clip (codec noise)
    assert np.abs(video_frames(tmp_path / "faded.mp4") - source).mean() < 3
    # original colours: black stays near grey-free, the yellow bar keeps its hue (R, G > B)
    colours = video_frames(tmp_path / "colours.mp4")
    bar = colours[0][:, 2:10]
    assert (bar[..., 0] > bar[..., 2] + 20).mean() > 0.8 and colours.shape == source.shape


def test_shipped_network_by_name(tmp_path):
    assert (
        cli.main(
            [
                "--model",
                "starry_night",
                "--content",
                "tubingen",
                "--size",
                "96",
                "-o",
                str(tmp_path / "t.png"),
            ]
        )
        == 0
    )
    img = np.asarray(Image.open(tmp_path / "t.png")).astype(float)
    photo = data.load("tubingen").astype(float)
    # a painting's margin: measured 46 levels; the photo through the same 96 px and back differs by
    # 13
    assert img.shape == photo.shape and np.abs(img - photo).mean() > 30
    # the short option routes to the same job
    for short in (["-m", "starry_night"], ["-mstarry_night"]):
        assert (
            cli.main([*short, "-c", "tubingen", "--size", "96", "-o", str(tmp_path / "m.png")]) == 0
        )
        assert np.array_equal(np.asarray(Image.open(tmp_path / "m.png")), img.astype(np.uint8))


def test_superres_model_upscales_photos_four_times(tmp_path, capsys):
    from neural_style import nets

    nets.superres_net((16, 16, 3)).save(tmp_path / "sr.keras")
    photo = data.load("tubingen", size=40)
    Image.fromarray(photo).save(tmp_path / "small.png")
    assert (
        cli.main(
            [
                "--model",
                str(tmp_path / "sr.keras"),
                "--content",
                str(tmp_path / "small.png"),
                "-o",
                str(tmp_path / "big.png"),
            ]
        )
        == 0
    )
    assert np.asarray(Image.open(tmp_path / "big.png")).shape == (
        4 * photo.shape[0],
        4 * photo.shape[1],
        3,
    )
    assert (
        cli.main(
            [
                "--model",
                str(tmp_path / "sr.keras"),
                "--content",
                str(tmp_path / "small.png"),
                "--size",
                "20",
                "-o",
                str(tmp_path / "b.png"),
            ]
        )
        == 0
    )
    assert max(Image.open(tmp_path / "b.png").size) == 80  # the network saw 20 px


def test_shipped_superres_network_by_name_keeps_the_photo_and_adds_detail(tmp_path):
    photo = data.load("tubingen", size=256)
    low = np.asarray(Image.fromarray(photo).resize((64, 48), Image.Resampling.BICUBIC))
    Image.fromarray(low).save(tmp_path / "low.png")
    assert (
        cli.main(
            [
                "--model",
                "superres",
                "--content",
                str(tmp_path / "low.png"),
                "-o",
                str(tmp_path / "up.png"),
            ]
        )
        == 0
    )
    up = np.asarray(Image.open(tmp_path / "up.png")).astype(float)
    bicubic = np.asarray(Image.fromarray(low).resize((256, 192), Image.Resampling.BICUBIC)).astype(
        float
    )
    assert up.shape == photo.shape
    assert np.abs(up.mean(axis=(0, 1)) - photo.mean(axis=(0, 1))).max() < 3  # the photo's colours

    def sharpness(a):  # mean gradient magnitude: detail that bicubic smooths away
        return np.abs(np.diff(a, axis=0)).mean() + np.abs(np.diff(a, axis=1)).mean()

    assert sharpness(bicubic) < sharpness(up) <= 1.2 * sharpness(photo.astype(float))


def test_model_errors_are_one_line_and_write_nothing(net_path, tmp_path, capsys):
    from neural_style import nets

    nets.superres_net((16, 16, 3)).save(tmp_path / "sr.keras")
    (tmp_path / "text.keras").write_text("not a model")
    (tmp_path / "empty").mkdir()
    (tmp_path / "nothing.mp4").write_bytes(b"")
    make_video(tmp_path / "noframes.mp4", frames=0)
    cases = [
        (["--model", str(tmp_path / "missing.keras")], "no such file"),
        (["--model", str(tmp_path / "text.keras")], "not a Keras model"),
        (
            ["--model", str(tmp_path / "sr.keras"), "--content", str(tmp_path / "nothing.mp4")],
            "super-resolution network, for photos only",
        ),
        (
            ["--model", str(tmp_path / "sr.keras"), "--strength", "0.5"],
            "--strength and --original-colors are for style networks",
        ),
        (["--model", str(net_path), "--content", str(tmp_path / "empty")], "holds no image"),
        (["--model", str(net_path), "--content", str(tmp_path / "nothing.mp4")], "not a video"),
        (
            ["--model", str(net_path), "--content", str(tmp_path / "noframes.mp4")],
            "noframes.mp4: not a video ffmpeg can read",
        ),
        (["--model", str(net_path), "--strength", "1.5"], "--strength 1.5 is not valid"),
    ]
    for args, message in cases:
        out = tmp_path / "result.mp4" if "mp4" in args[-1] else tmp_path / "result.png"
        assert cli.main([*args, "-o", str(out)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert err and message in err[-1] and err[-1].startswith("neural-style: error:"), err
        assert not out.exists() and not list(tmp_path.glob(".result*"))


def test_ctrl_c_saves_a_checkpoint_that_resumes(photos, tmp_path, weights_path):
    import json
    import signal
    import subprocess
    import sys
    import threading
    import time

    out = tmp_path / "net.keras"
    cmd = [
        sys.executable,
        "-m",
        "neural_style",
        "train",
        "--images",
        str(photos),
        "-o",
        str(out),
        "--size",
        "48",
        "--batch-size",
        "2",
        "--steps",
        "200",
        "--epochs",
        "2",
        "--workers",
        "1",
    ]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    err = []  # stderr, read as it comes (tqdm ends its lines with \r, not \n)
    reader = threading.Thread(
        target=lambda: err.extend(iter(lambda: proc.stderr.read(1), "")), daemon=True
    )
    reader.start()
    deadline = time.time() + 300
    while "s/step" not in "".join(err) and proc.poll() is None and time.time() < deadline:
        time.sleep(0.5)  # until the first steps are done
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=120) == 130
    reader.join(timeout=10)
    err = "".join(err)
    assert "continue with --resume" in err
    with np.load(out.with_name("net.keras.ckpt.npz")) as z:
        meta = json.loads(str(z["meta"]))
    assert meta["interrupted"] and meta["epoch"] == 0
    with np.load(out.with_name("net.keras.ckpt.npz")) as z:
        saved = {k: z[k] for k in z.files if k != "meta"}
    from neural_style import checkpoints

    restored, load = {}, checkpoints.load_checkpoint

    def recording_load(net, trainer, output):  # what the resumed run holds right after restoring
        meta = load(net, trainer, output)
        restored.update({f"net_{i}": np.array(v) for i, v in enumerate(net.get_weights())})
        restored.update(
            {f"opt_{i}": np.array(v) for i, v in enumerate(trainer.optimizer.variables)}
        )
        return meta

    checkpoints.load_checkpoint = recording_load
    try:
        assert (
            cli.main(
                [
                    "train",
                    "--images",
                    str(photos),
                    "-o",
                    str(out),
                    "--resume",
                    "--size",
                    "48",
                    "--batch-size",
                    "2",
                    "--steps",
                    "2",
                    "--epochs",
                    "1",
                    "--workers",
                    "1",
                ]
            )
            == 0
        )
    finally:
        checkpoints.load_checkpoint = load
    assert restored.keys() == saved.keys()
    for k in saved:  # the interrupted run's weights and Adam's moments, not a fresh start
        np.testing.assert_array_equal(restored[k], saved[k], err_msg=k)
    moments = [v for k, v in saved.items() if k.startswith("opt_") and v.ndim > 0]
    # Adam had stepped before the Ctrl-C
    assert moments and any(np.abs(v).max() > 0 for v in moments)


def test_model_on_a_photo_too_big_for_memory_sees_a_smaller_size(
    net_path, tmp_path, capsys, monkeypatch
):
    from neural_style import kinds, memory

    inference_bytes = kinds.get("style").memory

    monkeypatch.setattr(memory, "free_memory", lambda: inference_bytes(100, 100))
    Image.fromarray(np.zeros((150, 200, 3), np.uint8)).save(tmp_path / "big.png")
    assert (
        cli.main(
            [
                "--model",
                str(net_path),
                "--content",
                str(tmp_path / "big.png"),
                "-o",
                str(tmp_path / "o.png"),
            ]
        )
        == 0
    )
    err = capsys.readouterr().err
    seen = int(re.search(r"the network sees (\d+) px", err).group(1))
    assert seen < 200 and inference_bytes(seen * 3 // 4, seen) <= inference_bytes(100, 100)
    assert Image.open(tmp_path / "o.png").size == (200, 150)


def test_model_on_a_video_too_big_for_memory_sees_a_smaller_size(
    net_path, tmp_path, capsys, monkeypatch
):
    import imageio_ffmpeg

    from neural_style import kinds, memory

    inference_bytes = kinds.get("style").memory

    monkeypatch.setattr(memory, "free_memory", lambda: inference_bytes(42, 60))
    make_video(tmp_path / "clip.mp4", frames=2)  # 66x46 px
    assert (
        cli.main(
            [
                "--model",
                str(net_path),
                "--content",
                str(tmp_path / "clip.mp4"),
                "-o",
                str(tmp_path / "o.mp4"),
            ]
        )
        == 0
    )
    seen = int(re.search(r"the network sees (\d+) px", capsys.readouterr().err).group(1))
    assert seen < 66 and inference_bytes(round(seen * 46 / 66), seen) <= inference_bytes(42, 60)
    assert next(imageio_ffmpeg.read_frames(str(tmp_path / "o.mp4")))["size"] == (66, 46)


def test_a_videos_audio_is_kept(net_path, tmp_path, capsys):
    import wave

    import imageio_ffmpeg

    with wave.open(str(tmp_path / "tone.wav"), "wb") as w:  # one second of a 440 Hz tone
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000)
        w.writeframes(
            (np.sin(np.arange(8000) * 2 * np.pi * 440 / 8000) * 8000).astype("<i2").tobytes()
        )
    writer = imageio_ffmpeg.write_frames(
        str(tmp_path / "talk.mp4"),
        (48, 48),
        fps=8,
        macro_block_size=1,
        audio_path=str(tmp_path / "tone.wav"),
        audio_codec="aac",
    )
    writer.send(None)
    for i in range(8):
        writer.send(np.full((48, 48, 3), 30 * i, np.uint8))
    writer.close()
    # the input has sound
    assert next(imageio_ffmpeg.read_frames(str(tmp_path / "talk.mp4"))).get("audio_codec")
    assert (
        cli.main(
            [
                "--model",
                str(net_path),
                "--content",
                str(tmp_path / "talk.mp4"),
                "-o",
                str(tmp_path / "out.mp4"),
            ]
        )
        == 0
    )
    assert next(imageio_ffmpeg.read_frames(str(tmp_path / "out.mp4"))).get("audio_codec")


def test_train_superres_with_instance_norm_and_a_log_from_the_command(photos, tmp_path, capsys):
    out = tmp_path / "sr.keras"
    code = cli.main(
        [
            "train",
            "--task",
            "superres",
            "--norm",
            "instance",
            "--logdir",
            str(tmp_path / "tb"),
            "--images",
            str(photos),
            "-o",
            str(out),
            "--epochs",
            "2",
            *TRAIN,
        ]
    )
    assert code == 0, capsys.readouterr().err
    from neural_style import inference, kinds

    meta = kinds.read_meta(out)
    assert (
        meta["kind"] == "superres" and meta["config"]["norm"] == "instance" and meta["epochs"] == 2
    )
    network = inference.load(out)
    # instance norm
    assert any("group_normalization" in layer.name for layer in network.model.layers)
    assert list((tmp_path / "tb").glob("events.out.tfevents.*"))
    photo = data.load("tubingen", size=40)
    assert network.apply(photo).shape == (4 * photo.shape[0], 4 * photo.shape[1], 3)


def test_a_shipped_network_whose_sha256_differs_is_refused(tmp_path, monkeypatch):
    import json
    import shutil

    from neural_style import inference
    from neural_style.errors import NeuralStyleError

    manifest = inference.shipped_models()
    shutil.copyfile(inference.MODELS_DIR / "starry_night.keras", tmp_path / "starry_night.keras")
    (tmp_path / "manifest.json").write_text(json.dumps({"starry_night": manifest["starry_night"]}))
    monkeypatch.setattr(inference, "MODELS_DIR", tmp_path)
    assert inference.load("starry_night").kind.name == "style"  # the copy is whole
    with open(tmp_path / "starry_night.keras", "r+b") as f:  # one byte changed in the middle
        f.seek(1_000_000)
        byte = f.read(1)
        f.seek(1_000_000)
        f.write(bytes([byte[0] ^ 1]))
    with pytest.raises(NeuralStyleError, match="missing or damaged"):
        inference.load("starry_night")


def test_a_loss_that_becomes_non_finite_stops_the_command_with_its_checkpoint(
    photos, tmp_path, capsys, monkeypatch, weights_path
):
    from neural_style import checkpoints
    from neural_style.imagestream import ImageStream

    crops, save = ImageStream.__getitem__, checkpoints.save_checkpoint
    saved = []
    monkeypatch.setattr(
        checkpoints, "save_checkpoint", lambda *a, **k: (saved.append(a[3]), save(*a, **k))
    )

    def overflow_after_a_checkpoint(self, index):  # content targets whose squares overflow float32
        (x, target), y = crops(self, index)
        return ((x, np.full_like(target, 1e30)), y) if saved else ((x, target), y)

    monkeypatch.setattr(ImageStream, "__getitem__", overflow_after_a_checkpoint)
    out = tmp_path / "nan.keras"
    code = cli.main(["train", "--images", str(photos), "-o", str(out), "--epochs", "3", *TRAIN])
    err = capsys.readouterr().err
    assert code == 1, err
    assert re.search(
        r"error: the loss became (nan|inf); kept the checkpoint of epoch 1; lower --lr", err
    ), err
    assert saved == [1] and out.exists()  # the network of epoch 1, nothing after it
