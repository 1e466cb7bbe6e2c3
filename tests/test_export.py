"""`neural-style export`: SavedModels in TF Serving's layout and ONNX files, of each kind,
loaded the way their servers load them and compared with the Keras network."""

import importlib.util
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from neural_style import backend, cli, export, inference, kinds, nets

pytestmark = pytest.mark.skipif(
    backend.name() != "tensorflow",
    reason="export traces with TensorFlow (KERAS_BACKEND=tensorflow)",
)

LOADER = """
import json, sys
import numpy as np, tensorflow as tf
folder, inputs, out = sys.argv[1:4]
model = tf.saved_model.load(folder)
x = np.load(inputs)
serve, encoded = model.signatures["serving_default"], model.signatures["encoded"]
results = {name: serve(images=tf.constant(x[name]))["images"].numpy() for name in x.files}
pngs = encoded(image_bytes=tf.constant([open(sys.argv[4], "rb").read()]))["images"].numpy()
results["png"] = tf.io.decode_png(pngs[0]).numpy()
results["signatures"] = np.array(sorted(model.signatures))
results["imported_neural_style"] = np.array(any(m.startswith("neural_style") for m in sys.modules))
np.savez(out, **results)
"""


def keras_result(network, x):
    """What `neural-style --model` gives, image by image (super-resolution: the bare network)."""
    from neural_style.kinds import superres

    one = (
        (lambda im: superres.upscale(network.model, im, back_project=False))
        if network.kind.name == "superres"
        else network.apply
    )
    return np.stack([one(im) for im in x])


@pytest.fixture(scope="module", params=["style", "superres"])
def network(request, tmp_path_factory):
    net = (
        nets.style_net(norm="instance")
        if request.param == "style"
        else nets.superres_net((16, 16, 3))
    )
    path = tmp_path_factory.mktemp("net") / f"{request.param}.keras"
    kinds.save_net(net, path, request.param)
    return inference.load(path)


def test_every_format_round_trips_at_odd_sizes_and_in_batches(network, tmp_path, rng):
    dest = export.export(network, tmp_path / "models", "net", formats=export.FORMATS)
    assert (
        dest == tmp_path / "models" / "net" / "1"
        and (dest / "saved_model.pb").exists()
        and (dest / "model.onnx").exists()
    )
    sizes = {name: (dest / name).stat().st_size for name in export.TFLITE_FILES}
    # float16 weights: half
    assert sizes["model.tflite"] / 2.3 < sizes["model_float16.tflite"] < sizes["model.tflite"] / 1.7
    # int8: a quarter (and the graph)
    assert sizes["model.tflite"] / 4.5 < sizes["model_int8.tflite"] < sizes["model.tflite"] / 2.5
    inputs = {
        "odd": rng.integers(0, 256, (1, 37, 23, 3), np.uint8),
        "batch": rng.integers(0, 256, (3, 33, 65, 3), np.uint8),
    }
    np.savez(tmp_path / "in.npz", **inputs)
    Image.fromarray(inputs["odd"][0]).save(tmp_path / "photo.png")
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            LOADER,
            str(dest),
            str(tmp_path / "in.npz"),
            str(tmp_path / "out.npz"),
            str(tmp_path / "photo.png"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    served = np.load(tmp_path / "out.npz")
    assert not served["imported_neural_style"] and list(served["signatures"]) == [
        "encoded",
        "serving_default",
    ]
    scale = network.kind.scale
    # the image-bytes signature decodes the PNG as the array signature takes it: the same pixels,
    # channels in order
    assert served["png"].shape == (37 * scale, 23 * scale, 3) and np.array_equal(
        served["png"], served["odd"][0]
    )
    import onnxruntime

    session = onnxruntime.InferenceSession(
        str(dest / "model.onnx"), providers=["CPUExecutionProvider"]
    )
    for name, x in inputs.items():
        expected = keras_result(network, x).astype(int)
        assert (
            served[name].shape
            == expected.shape
            == (x.shape[0], scale * x.shape[1], scale * x.shape[2], 3)
        )
        assert np.abs(served[name].astype(int) - expected).max() <= 1, name
        onnx_out = session.run(None, {session.get_inputs()[0].name: x})[0]
        assert onnx_out.dtype == np.uint8 and np.abs(onnx_out.astype(int) - expected).max() <= 1, (
            name
        )
    from ai_edge_litert.interpreter import Interpreter

    x = inputs["odd"]  # TFLite takes one image at a time, of any size
    expected = keras_result(network, x).astype(int)
    for name, most in {
        "model.tflite": 1,
        "model_float16.tflite": 3,
        "model_int8.tflite": 48,
    }.items():
        lite = Interpreter(model_path=str(dest / name))
        lite.resize_tensor_input(lite.get_input_details()[0]["index"], x.shape)
        lite.allocate_tensors()
        lite.set_tensor(lite.get_input_details()[0]["index"], x)
        lite.invoke()
        out = lite.get_tensor(lite.get_output_details()[0]["index"])
        assert (
            out.shape == expected.shape and np.abs(out.astype(int) - expected).mean() <= most / 4
        ), name
        assert np.abs(out.astype(int) - expected).max() <= most, name


def test_each_registered_format_alone_is_written_found_run_and_served(tmp_path, rng, capsys):
    """The format table (``formats.FORMATS``) is the one list: each entry's writer writes
    its files, ``runtimes.load`` runs the version folder in its runner, the server's scan
    counts it, and the export help names it."""
    from neural_style import formats, rollout, runtimes

    path = tmp_path / "style.keras"
    kinds.save_net(nets.style_net(norm="instance"), path, "style")
    network = inference.load(path)
    photo = rng.integers(0, 256, (29, 41, 3), np.uint8)
    expected = network.apply(photo).astype(int)
    for version, (name, fmt) in enumerate(formats.FORMATS.items(), start=1):
        dest = export.export(network, tmp_path / "models", "net", formats=(name,), version=version)
        written = {p.name for p in dest.iterdir()} - {runtimes.META_FILE}
        assert written == set(fmt.files), name
        assert formats.of(dest) is fmt and runtimes.is_exported(dest), name
        loaded = runtimes.load(dest)
        assert isinstance(loaded.model, fmt.runner), name
        assert np.abs(loaded.apply(photo).astype(int) - expected).max() <= (
            1 if name != "tflite" else 2
        ), name
        assert rollout.versions_in(tmp_path / "models" / "net") == list(range(1, version + 1))
    with pytest.raises(SystemExit):
        cli.main(["export", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert all(f"{name}:" in shown for name in formats.FORMATS), shown


def test_versions_count_up_and_are_never_overwritten(network, tmp_path, capsys):
    net = tmp_path / "n.keras"
    kinds.save_net(network.model, net, network.kind)
    for version in (1, 2):
        assert (
            cli.main(["export", str(net), "-o", str(tmp_path / "models"), "--name", "n", "--quiet"])
            == 0
        )
        assert capsys.readouterr().out.strip() == str(tmp_path / "models" / "n" / str(version))
    config = (tmp_path / "models" / "models.config").read_text()
    assert 'name: "n"' in config and 'base_path: "/models/n"' in config
    assert "max_batch_size" in (tmp_path / "models" / "batching_parameters.txt").read_text()
    assert (
        cli.main(
            ["export", str(net), "-o", str(tmp_path / "models"), "--name", "n", "--version", "2"]
        )
        == 2
    )
    assert "never overwritten" in capsys.readouterr().err
    # nothing half-written
    assert sorted(p.name for p in (tmp_path / "models" / "n").iterdir()) == ["1", "2"]


def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    (tmp_path / "text.keras").write_text("not a model")
    cases = [
        (["export", "starry_night", "-o", str(tmp_path / "file")], "is a file"),
        (
            ["export", "starry_night", "-o", str(tmp_path / "m"), "--format", "pdf"],
            "--format pdf is not known",
        ),
        (["export", str(tmp_path / "text.keras"), "-o", str(tmp_path / "m")], "not a Keras model"),
        (["export", str(tmp_path / "missing.keras"), "-o", str(tmp_path / "m")], "no such file"),
    ]
    for args, message in cases:
        assert cli.main(args) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "m").exists() or not any((tmp_path / "m").rglob("*.pb"))


@pytest.mark.skipif(
    importlib.util.find_spec("onnxruntime") is None,
    reason="onnxruntime is not installed (pip install '.[export]' in the neural_style folder)",
)
def test_the_shipped_network_exports_within_one_level(tmp_path):
    network = inference.load("starry_night")
    dest = export.export(network, tmp_path, "starry_night", formats=("onnx",))
    import onnxruntime

    from neural_style import data

    x = data.load("tubingen", size=96)[None]
    session = onnxruntime.InferenceSession(
        str(dest / "model.onnx"), providers=["CPUExecutionProvider"]
    )
    out = session.run(None, {session.get_inputs()[0].name: x})[0]
    assert np.abs(out.astype(int) - network.apply(x[0]).astype(int)).max() <= 1


APPLY = """
import sys
from neural_style.cli import main
rc = main(sys.argv[1:])
print("heavy:" + ",".join(m for m in ("tensorflow", "keras", "jax", "torch") if m in sys.modules))
sys.exit(rc)
"""


@pytest.mark.parametrize("file", ["model.onnx", "model.tflite"])
def test_the_command_runs_an_exported_network_without_tensorflow(network, file, tmp_path):
    """`neural-style --model model.onnx|model.tflite` gives the .keras network's picture
    (super-resolution with its back-projection, after the graph), importing no TensorFlow,
    Keras, JAX or PyTorch."""
    dest = export.export(network, tmp_path / "models", "net", formats=("onnx", "tflite"))
    photo = np.random.default_rng(1).integers(0, 256, (30, 41, 3), np.uint8)
    Image.fromarray(photo).save(tmp_path / "photo.png")
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            APPLY,
            "--model",
            str(dest / file),
            "--content",
            str(tmp_path / "photo.png"),
            "-o",
            str(tmp_path / "out.png"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "heavy:\n" in run.stdout, run.stdout
    out = np.asarray(Image.open(tmp_path / "out.png")).astype(int)
    assert np.abs(out - network.apply(photo).astype(int)).max() <= 1


def test_bad_exported_networks_are_one_line(network, tmp_path, capsys):
    dest = export.export(network, tmp_path / "models", "net", formats=("onnx",))
    (tmp_path / "alone").mkdir()
    (tmp_path / "alone" / "model.onnx").write_bytes((dest / "model.onnx").read_bytes())
    (dest / "broken.onnx").write_bytes(b"not onnx")
    cases = [
        (tmp_path / "missing.onnx", "no such file"),
        (tmp_path / "alone" / "model.onnx", "no neural_style.json beside it"),
        (dest / "broken.onnx", "onnxruntime cannot load it"),
    ]
    for model, message in cases:
        assert (
            cli.main(
                ["--model", str(model), "--content", "tubingen", "-o", str(tmp_path / "o.png")]
            )
            == 2
        )
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "o.png").exists()


def test_a_runtime_that_is_not_installed_names_its_install(network, tmp_path, capsys, monkeypatch):
    dest = export.export(network, tmp_path / "models", "net", formats=("onnx", "tflite"))
    for module, file, extra in (
        ("onnxruntime", "model.onnx", "onnx"),
        ("ai_edge_litert.interpreter", "model.tflite", "litert"),
    ):
        monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
        assert (
            cli.main(
                [
                    "--model",
                    str(dest / file),
                    "--content",
                    "tubingen",
                    "-o",
                    str(tmp_path / "o.png"),
                ]
            )
            == 2
        )
        err = capsys.readouterr().err.strip()
        assert (
            f"pip install '.[{extra}]' in the neural_style folder" in err
            and len(err.splitlines()) == 1
        ), err
        monkeypatch.undo()
    assert not (tmp_path / "o.png").exists()


@pytest.mark.parametrize("extra, file", [("onnx", "model.onnx"), ("litert", "model.tflite")])
def test_an_install_of_one_runtime_alone_applies_an_exported_network(extra, file, tmp_path):
    """What a user of `pip install ".[onnx]"` (or `.[litert]`) has: a fresh virtual
    environment with that extra only (no TensorFlow, Keras, JAX or PyTorch), in which the
    command paints the exported network's picture."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    kinds.save_net(nets.style_net(norm="instance"), tmp_path / "style.keras", "style")
    network = inference.load(tmp_path / "style.keras")
    dest = export.export(
        network, tmp_path / "models", "net", formats=(extra if extra == "onnx" else "tflite",)
    )
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    pip = [
        str(venv / "bin" / "python"),
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "-c",
        str(root / "constraints.txt"),
        f"{root}[{extra}]",
    ]
    run = subprocess.run(pip, capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stderr[-2000:]
    photo = np.random.default_rng(2).integers(0, 256, (30, 41, 3), np.uint8)
    Image.fromarray(photo).save(tmp_path / "photo.png")
    run = subprocess.run(
        [
            str(venv / "bin" / "neural-style"),
            "--model",
            str(dest / file),
            "--content",
            str(tmp_path / "photo.png"),
            "-o",
            str(tmp_path / "out.png"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    out = np.asarray(Image.open(tmp_path / "out.png")).astype(int)
    assert np.abs(out - network.apply(photo).astype(int)).max() <= 1
    missing = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import importlib.util as u; print([m for m in ('tensorflow', 'keras', 'jax', "
            "'torch') if u.find_spec(m)])",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.stdout.strip() == "[]", missing.stdout
