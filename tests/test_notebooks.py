"""The notebooks run top to bottom in quick mode, with the project's own Python as kernel,
and show what they promise."""

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
sys.path.insert(0, str(NOTEBOOKS))
from execute import execute  # noqa: E402

SECTIONS = [
    "content_block5_conv1",
    "content_block4_conv1",
    "style",
    "transfer_starry_night",
    "transfer_shipwreck",
]


@pytest.fixture
def quick(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURAL_STYLE_QUICK", "1")
    monkeypatch.setenv("NEURAL_STYLE_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("NEURAL_STYLE_FIGURES", str(tmp_path / "figures"))
    return tmp_path


def run(name):
    nb, _ = execute(NOTEBOOKS / name)  # raises CellExecutionError on any error cell
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    return outputs, text


def test_the_committed_notebooks_name_no_path_of_the_machine_that_ran_them():
    machine = re.compile(r"(/tmp/|/home/|/root/|/Users/|/work/|/var/folders/)\S*")
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        texts = [o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs]
        found = [m.group(0) for text in texts for m in machine.finditer(text)]
        assert not found, f"{path.name}: {found[:3]}"


def test_kernel_is_the_projects_python_and_jupyterlab_is_installed(tmp_path):
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("import sys; print(sys.executable)")]
    )
    path = tmp_path / "probe.ipynb"
    nbformat.write(nb, path)
    nb, _ = execute(path)
    assert nb.cells[0].outputs[0]["text"].strip() == sys.executable
    lab = subprocess.run(
        [sys.executable, "-m", "jupyterlab", "--version"], capture_output=True, text=True
    )
    assert lab.returncode == 0 and re.match(r"\d+\.\d+", lab.stdout.strip())


def test_lesson_notebook(quick, weights_path):
    outputs, text = run("neural-style.ipynb")
    losses = [float(v) for v in re.findall(r"Current loss value: (\S+)", text)]
    assert len(losses) == 2 * len(SECTIONS)  # two quick iterations per section
    for first, second in zip(losses[::2], losses[1::2]):
        assert second < first
    for section in SECTIONS:
        folder = quick / "results" / section
        assert sorted(p.name for p in folder.iterdir()) == [
            "animation.gif",
            "res_at_iteration_0.png",
            "res_at_iteration_1.png",
        ]
    assert len(list((quick / "figures").glob("*.png"))) == 5
    html = [o for o in outputs if "text/html" in o.get("data", {})]
    assert len(html) == len(SECTIONS) and all("<script" in o["data"]["text/html"] for o in html)


def test_gatys_figures_notebook(quick, weights_path):
    from PIL import Image

    _, text = run("gatys-2015-figures.ipynb")
    runs = re.findall(r"loss (\S+) -> (\S+)", text)
    assert len(runs) == 5 + 5 + 4 + 2 * 2  # Fig. 1 both rows, Fig. 2, Fig. 3 in quick mode
    assert all(float(b) < float(a) for a, b in runs)
    for k in (1, 2, 3):
        fig = Image.open(quick / "figures" / f"gatys_fig{k}.png")
        assert fig.width > 300 and fig.height > 100


def pictures(outputs):
    return [
        o
        for o in outputs
        if o.output_type == "display_data" and {"image/png", "image/jpeg"} & set(o.get("data", {}))
    ]


@pytest.mark.skipif(
    os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow",
    reason=(
        "the TensorFlow notes run on TensorFlow whatever KERAS_BACKEND says (the notebook sets "
        "it): the TensorFlow stage runs them"
    ),
)
def test_tensorflow_notes_notebook(quick, weights_path):
    outputs, text = run("tensorflow-notes.ipynb")
    # a fresh log directory: each step read back once (two quick outer iterations)
    assert len(re.search(r"loss by step: \[([^\]]*)\]", text).group(1).split(",")) == 2
    # TensorBoard's scalars and histograms, its images, the sweep's curves, the styles' PCA,
    # the XLA bars; TFLite's sizes, its three pictures beside Keras', its latencies
    # the crops, the losses
    assert len(pictures(outputs)) == 8 + 1 + ("JAX is not installed" not in text)
    for name, rank in [("scalar", 0), ("vector", 1), ("matrix", 2), ("image batch", 4)]:
        assert re.search(rf"{name}\s+rank {rank}", text)
    assert "activation rank 3 -> Gram matrix rank 2" in text
    tape, numeric = map(float, re.search(r"tape (\S+), finite difference (\S+)", text).groups())
    assert tape == pytest.approx(numeric, rel=1e-2)
    assert "'block4_conv2', 'gradient', 'image', 'loss'" in text
    assert len(re.findall(r"content_weight=\S+_tv_weight=\S+: final loss", text)) == 4
    word, ratio = re.search(r"XLA was (faster|slower) here \(([\d.]+)x the time\)", text).groups()
    # the word agrees with the measured times
    assert word == ("faster" if float(ratio) < 1 else "slower")
    assert [int(v) for v in re.findall(r"TF_CPP_MIN_LOG_LEVEL=(\d): \d+ lines", text)] == [
        0,
        1,
        2,
        3,
    ]
    counts = [int(v) for v in re.findall(r"TF_CPP_MIN_LOG_LEVEL=\d: (\d+) lines", text)]
    assert counts[0] > counts[1] >= counts[3]  # level 1 hides INFO
    assert list(
        (quick / "results" / "tensorflow-notes" / "tensorboard" / "sweep").glob("content_weight=*")
    )
    # Serving: the versioned layout, both signatures, a REST body answered with a PNG of the photo's
    # size
    assert (
        quick
        / "results"
        / "tensorflow-notes"
        / "exported"
        / "starry_night"
        / "1"
        / "saved_model.pb"
    ).exists()
    assert (
        "encoded: {'image_bytes': ('string', [None])}" in text
        and "serving_default: {'images': ('uint8', [None, None, None, 3])}" in text
    )
    assert re.search(r"reply: a PNG of \(\d+, 256, 3\)", text) or re.search(
        r"reply: a PNG of \(256, \d+, 3\)", text
    )
    # Mobile: float32 as Keras to a level, float16 half the size, int8 a quarter
    kib = {name: float(v) for name, v in re.findall(r"(model\S*\.tflite): (\d+) KiB", text)}
    assert (
        kib["model_float16.tflite"] < 0.6 * kib["model.tflite"]
        and kib["model_int8.tflite"] < 0.35 * kib["model.tflite"]
    )
    levels = {
        name: (float(m), int(x))
        for name, m, x in re.findall(
            r"(model\S*\.tflite): mean (\S+), max (\d+) levels from Keras", text
        )
    }
    assert (
        levels["model.tflite"][1] <= 1
        and levels["model_float16.tflite"][0] < 0.5
        and levels["model_int8.tflite"][0] < 6
    )
    # the Embedding Projector: 27 styles read back; each result nearest its own painting, the blend
    # between its parents
    assert "27 points of 43232 numbers" in text and "projector_config.pbtxt" in text
    rows = re.findall(r"on tubingen\s+([\d.]+)\s+\w+ ([\d.]+)", text)
    # one-style, then four styles
    assert len(rows) == 5 and all(own == nearest for own, nearest in rows), rows
    parents = re.search(
        r"to its parents' results ([\d.]+) and ([\d.]+); between them ([\d.]+)", text
    ).groups()
    assert max(map(float, parents[:2])) < float(parents[2])
    # Debugger V2: the run stopped on a non-finite loss; the first infinity, and its inputs finite
    # before it
    first = re.search(
        r"first non-finite: execution \d+, (\w+) (\S+): (\d+) NaN, (\d+) infinite", text
    )
    assert first and int(first[3]) + int(first[4]) > 0 and "group_normalization" in first[2], text[
        -3000:
    ]
    assert re.search(r"input \S+: \{'-inf': 0, '\+inf': 0, 'nan': 0", text)
    # TFRecords: every photo packed, read by TensorFlow's reader, the same crops as the folder
    assert re.search(
        r"\d+ images in images-00000-of-00002.tfrecord, images-00001-of-00002.tfrecord", text
    )
    assert "the same crops from the folder and from the shards: True" in text
    assert re.search(r"tf.data: \d+ images per second", text)
    # distributed: two processes give one process's losses (where JAX is installed)
    assert "JAX is not installed" in text or "the same losses: True" in text
    assert "tf.estimator in TensorFlow 2.21.0: removed" in text or re.search(
        r"tf.estimator in TensorFlow \S+: removed", text
    )


def test_perceptual_losses_notebook(quick, weights_path):
    outputs, text = run("perceptual-losses.ipynb")

    def losses(pattern):
        return [float(v) for v in re.search(pattern + r"\[([^\]]*)\]", text).group(1).split(",")]

    superres = losses(r"\d+ steps in \d+ s; loss by epoch: ")
    assert len(superres) == 3 and superres[-1] < superres[0]
    for norm in ("batch", "instance"):
        by_epoch = losses(rf"{norm}: 6 steps, [\d.]+ s per step; loss by epoch ")
        assert len(by_epoch) == 3 and by_epoch[-1] < by_epoch[0], (norm, by_epoch)
    assert "gram_matrix_b matches numpy: True" in text
    assert re.search(r"\d+x\d+ px in \d+ ms", text)
    assert len(pictures(outputs)) >= 8
    names = sorted(p.name for p in (quick / "figures").glob("*.png"))
    assert names == [
        "perceptual_blend.png",
        "perceptual_many_styles.png",
        "perceptual_reflection.png",
        "perceptual_shipped.png",
        "perceptual_steady.png",
        "perceptual_style_norms.png",
        "perceptual_superres.png",
        "perceptual_superres_shipped.png",
    ]
    # many styles: the stability term's network flickers less than the one-style network, on both
    # clips
    flicker = {
        label: (float(pan), float(still))
        for label, pan, still in re.findall(
            r"(no stability term|stability term): flicker ([\d.]+)x the input's on the pan, "
            r"([\d.]+)x on the still",
            text,
        )
    }
    assert (
        flicker["stability term"][0] < flicker["no stability term"][0]
        and flicker["stability term"][1] < flicker["no stability term"][1]
    )
    assert re.search(r"shipped network\s+PSNR [\d.]+ dB", text) and re.search(
        r"back-projected\s+PSNR [\d.]+ dB", text
    )
