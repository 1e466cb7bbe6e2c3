"""The neural-style command at tiny size with the real weights: every option's effect."""

import json
import os

import numpy as np
import pytest
from PIL import Image

from neural_style import cli
from neural_style.backend import to_numpy

TINY = ["--iterations", "2", "--maxfun", "5", "--size", "64", "--init", "noise", "--quiet"]


def run(tmp_path, *args, name="out.png"):
    out = tmp_path / name
    code = cli.main(
        ["--content", "tubingen", "--style", "starry_night", "-o", str(out), *TINY, *args]
    )
    return code, out


def test_help_lists_every_option(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = capsys.readouterr().out
    for option in (
        "--content",
        "--style",
        "--style-blend",
        "--output",
        "--size",
        "--style-scale",
        "--iterations",
        "--maxfun",
        "--optimizer",
        "--content-weight",
        "--style-weight",
        "--tv-weight",
        "--content-layer",
        "--style-layers",
        "--layer-weights",
        "--pooling",
        "--init",
        "--seed",
        "--original-colors",
        "--scales",
        "--save-every",
        "--iterations-dir",
        "--gif",
        "--logdir",
        "--quiet",
    ):
        assert option in text
    assert "normalised" in text and "(default: 256)" in text


def test_seed_gives_identical_output(weights_path, tmp_path, capsys):
    code1, a = run(tmp_path, "--seed", "3", name="a.png")
    code2, b = run(tmp_path, "--seed", "3", name="b.png")
    assert code1 == code2 == 0
    assert a.read_bytes() == b.read_bytes()
    code3, c = run(tmp_path, "--seed", "4", name="c.png")
    assert c.read_bytes() != a.read_bytes()
    assert capsys.readouterr().out.split() == [str(a), str(b), str(c)]  # --quiet: paths only


def test_original_colors_keep_content_chroma(weights_path, tmp_path):
    from neural_style import data
    from neural_style.images import resize

    code, out = run(tmp_path, "--original-colors", "--seed", "0")
    assert code == 0
    result = Image.open(out).convert("YCbCr")
    content = Image.fromarray(resize(data.load("tubingen"), size=64, resample="bicubic")).convert(
        "YCbCr"
    )
    assert result.size == content.size
    diff = np.abs(np.asarray(result, int) - np.asarray(content, int))
    # chroma: the content's (a few out-of-gamut pixels are clipped on the way back to RGB)
    assert np.percentile(diff[..., 1:], 99) <= 2 and diff[..., 1:].mean() < 0.6
    assert diff[..., 0].mean() > 5  # luminance: the stylised result's


def test_scales_run_each_stage(weights_path, tmp_path):
    code, out = run(tmp_path, "--scales", "48,64", "--save-every", "1")
    assert code == 0
    names = sorted(p.name for p in (tmp_path / "out_iterations").iterdir())
    assert names == [f"stage{s}_iteration_{i:03d}.png" for s in (0, 1) for i in (0, 1)]
    assert max(Image.open(tmp_path / "out_iterations" / names[0]).size) == 48
    assert max(Image.open(out).size) == 64


def test_gif_has_one_frame_per_saved_iteration(weights_path, tmp_path):
    code, out = run(
        tmp_path,
        "--gif",
        "--iterations",
        "4",
        "--save-every",
        "2",
        "--iterations-dir",
        str(tmp_path / "it"),
    )
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "it").iterdir()) == [
        "iteration_001.png",
        "iteration_003.png",
    ]
    gif = Image.open(out.with_suffix(".gif"))
    assert gif.is_animated and gif.n_frames == 2


def test_logdir_scalars_and_image(weights_path, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    code, _ = run(tmp_path, "--logdir", str(tmp_path / "tb"), "--tv-weight", "1")
    assert code == 0
    acc = EventAccumulator(str(tmp_path / "tb"), size_guidance={"tensors": 0})
    acc.Reload()
    tags = set(acc.Tags()["tensors"])
    expected = {"loss/total", "loss/content", "loss/tv", "image", "settings"}
    expected |= {f"loss/style/block{i}_conv2" for i in range(1, 6)}
    assert expected <= tags
    assert [e.step for e in acc.Tensors("loss/total")] == [0, 1]


def logged_settings(logdir) -> dict:
    """The run's Config as the command logged it for TensorBoard (the "settings" text)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(logdir), size_guidance={"tensors": 0})
    acc.Reload()
    return json.loads(acc.Tensors("settings")[0].tensor_proto.string_val[0].decode().strip("`\n"))


def test_each_option_sets_what_it_names_and_changes_the_result(weights_path, tmp_path):
    code, base = run(tmp_path, "--seed", "0", name="base.png")
    baseline = np.asarray(Image.open(base), float)
    cases = {
        "optimizer": (["--optimizer", "lbfgs"], {"optimizer": "lbfgs"}),
        "init-content": (["--init", "content"], {"init": "content"}),
        "pooling": (["--pooling", "max"], {"pooling": "max"}),
        "init-path": (["--init", str(base)], {"init": str(base)}),
        "style-layers": (
            ["--style-layers", "block1_conv1,block2_conv1", "--layer-weights", "1,2"],
            {"style_layers": ["block1_conv1", "block2_conv1"], "layer_weights": [1.0, 2.0]},
        ),
        "content-layer": (["--content-layer", "block3_conv1"], {"content_layer": "block3_conv1"}),
        "style-scale": (["--style-scale", "2"], {}),  # not a Config field: the style image's size
        "content-weight": (["--content-weight", "5"], {"content_weight": 5.0}),
        "style-weight": (["--style-weight", "0.01"], {"style_weight": 0.01}),
        "tv-weight": (["--tv-weight", "50"], {"tv_weight": 50.0}),
    }
    for name, (args, expected) in cases.items():
        code, out = run(
            tmp_path, "--seed", "0", "--logdir", str(tmp_path / name), *args, name=f"{name}.png"
        )
        assert code == 0, name
        settings = logged_settings(tmp_path / name)
        assert {k: settings[k] for k in expected} == expected, name
        assert np.abs(np.asarray(Image.open(out), float) - baseline).mean() > 1, name


def test_default_job_writes_result(weights_path, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["--iterations", "1", "--maxfun", "3", "--size", "48"]) == 0
    out = tmp_path / "results" / "grace_hopper_starry_night.png"
    assert out.exists()
    captured = capsys.readouterr()
    assert captured.out.strip() == "results/grace_hopper_starry_night.png"
    assert "estimated peak memory" in captured.err and "per evaluation" in captured.err


def test_style_blend_targets_are_normalised_mixtures(weights_path):
    from neural_style import objective, transfer
    from neural_style.data import load
    from neural_style.losses import gram_matrix

    cfg = transfer.Config.lesson("transfer")
    model = transfer.build_model(cfg)
    a, b = load("starry_night", size=64), load("the_scream", size=64)
    blended = transfer.style_targets(model, [a, b], 5, blend=(1, 3))
    ga = [to_numpy(gram_matrix(o[0])) for o in objective.features(model, objective.as_batch(a))[:5]]
    gb = [to_numpy(gram_matrix(o[0])) for o in objective.features(model, objective.as_batch(b))[:5]]
    for t, x, y in zip(blended, ga, gb):
        np.testing.assert_allclose(to_numpy(t), 0.25 * x + 0.75 * y, rtol=1e-4, atol=1e-6)


def test_the_main_help_names_every_job_and_each_job_answers_to_its_word(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    for name, (_, line) in cli.JOBS.items():
        assert f"neural-style {name}` {line}" in text
        with pytest.raises(SystemExit) as exit:
            cli.main([name, "--help"])
        assert exit.value.code == 0 and f"usage: neural-style {name}" in capsys.readouterr().out
    assert "--model NET" in text and "(or -m)" in text


def test_help_says_each_default_once(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: None) (default" not in text and "(default: starry_night) (default" not in text
    assert "--init content" in text and "the lesson: noise" in text  # the defaults that differ


def test_progress_total_is_the_evaluations_run(weights_path, tmp_path, capsys, monkeypatch):
    import tqdm

    bars = []

    class Kept(tqdm.tqdm):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            bars.append(self)

    monkeypatch.setattr(tqdm, "tqdm", Kept)
    code = cli.main(
        [
            "--content",
            "tubingen",
            "-o",
            str(tmp_path / "p.png"),
            "--size",
            "64",
            "--iterations",
            "3",
            "--maxfun",
            "4",
            "--init",
            "noise",
            "--optimizer",
            "lbfgs-restart",
        ]
    )
    assert code == 0
    assert bars[0].n == bars[0].total > 0


def test_batch_folder_skips_bad_file_and_summarises(weights_path, tmp_path, capsys):
    from neural_style import data

    folder = tmp_path / "photos"
    folder.mkdir()
    Image.fromarray(data.load("tubingen", size=64)).save(folder / "a.jpg")
    Image.fromarray(data.load("grace_hopper", size=64)).save(folder / "b.png")
    (folder / "c.jpg").write_bytes(b"not an image")
    out = tmp_path / "out"
    code = cli.main(
        [
            "--content",
            str(folder),
            "--style",
            "starry_night",
            "-o",
            str(out),
            "--iterations",
            "1",
            "--maxfun",
            "3",
            "--size",
            "64",
        ]
    )
    captured = capsys.readouterr()
    assert code == 1  # one failed
    assert sorted(p.name for p in out.iterdir()) == ["a_starry_night.png", "b_starry_night.png"]
    errors = [line for line in captured.err.splitlines() if "error:" in line]
    assert len(errors) == 1 and "c.jpg" in errors[0] and "skipped" in errors[0]
    assert "done 2, failed 1" in captured.err
    assert captured.out.split() == [
        str(out / "a_starry_night.png"),
        str(out / "b_starry_night.png"),
    ]


def test_batch_builds_model_and_style_targets_once(weights_path, tmp_path, monkeypatch):
    from neural_style import objective

    calls = []
    targets = objective._style_targets
    monkeypatch.setattr(objective, "_style_targets", lambda *a: calls.append(1) or targets(*a))
    objective._feature_model.cache_clear()
    code = cli.main(
        [
            "--content",
            "tubingen",
            "grace_hopper",
            "--style",
            "the_scream",
            "-o",
            str(tmp_path),
            "--iterations",
            "1",
            "--maxfun",
            "2",
            "--size",
            "48",
            "--quiet",
        ]
    )
    info = objective._feature_model.cache_info()  # the implementation's own cache
    assert code == 0 and info.misses == 1 and info.hits >= 1 and len(calls) == 1
    assert len(list(tmp_path.glob("*_the_scream.png"))) == 2


def test_unknown_backend_is_one_line(tmp_path):
    import subprocess
    import sys

    for name, message in [("mxnet", "is not a backend"), ("nonexistent_pkg", "is not a backend")]:
        proc = subprocess.run(
            [sys.executable, "-m", "neural_style", "-o", str(tmp_path / "x.png")],
            env={**os.environ, "KERAS_BACKEND": name},
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 2 and message in proc.stderr and name in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1


def test_uninstalled_backend_names_the_setup_command(monkeypatch):
    import importlib.util

    from neural_style import startup
    from neural_style.errors import NeuralStyleError

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "jax" else real(name, *a)
    )
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    with pytest.raises(
        NeuralStyleError,
        match=r"KERAS_BACKEND=jax but JAX is not installed.*make setup BACKEND=jax",
    ):
        startup.check()


def test_sweep_grid_contact_sheet_and_hparams(weights_path, tmp_path, capsys):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    out, tb = tmp_path / "out.png", tmp_path / "tb"
    code = cli.main(
        [
            "--content",
            "tubingen",
            "--style",
            "starry_night",
            "-o",
            str(out),
            "--logdir",
            str(tb),
            "--sweep",
            "content-weight=0.1,1",
            "--sweep",
            "style-layers=block1_conv1;block1_conv1,block2_conv1",
            "--iterations",
            "1",
            "--maxfun",
            "3",
            "--size",
            "64",
            "--quiet",
        ]
    )
    assert code == 0
    runs = [
        f"content-weight={cw}_style-layers={sl}"
        for cw in ("0.1", "1")
        for sl in ("block1_conv1", "block1_conv1+block2_conv1")
    ]
    assert sorted(p.stem for p in (tmp_path / "out_sweep").iterdir()) == sorted(runs)
    sheet = Image.open(tmp_path / "out_sweep.png")
    assert sheet.width > 2 * 64 and sheet.height > 2 * 48  # two rows, two columns
    parent = EventAccumulator(str(tb))
    parent.Reload()
    assert "_hparams_/experiment" in parent.Tags()["tensors"]
    for run in runs:
        child = EventAccumulator(str(tb / run))
        child.Reload()
        tags = set(child.Tags()["tensors"])
        assert {"_hparams_/session_start_info", "loss/total", "image"} <= tags
        content = child.SummaryMetadata("_hparams_/session_start_info").plugin_data.content
        assert b"content-weight" in content and b"style-layers" in content


def test_sweep_of_an_unknown_option_is_one_line(tmp_path, capsys):
    code = cli.main(["--sweep", "colour=1,2", "-o", str(tmp_path / "x.png"), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert (
        code == 2
        and "--sweep colour" in err
        and "content-weight" in err
        and len(err.splitlines()) == 1
    )


def test_style_blend_and_a_glob_of_contents_from_the_command(weights_path, tmp_path):
    from neural_style import data

    for name in ("a", "b"):
        Image.fromarray(data.load("tubingen", size=64)).save(tmp_path / f"{name}.png")
    code = cli.main(
        [
            "--content",
            str(tmp_path / "*.png"),
            "--style",
            "starry_night",
            "--style",
            "the_scream",
            "--style-blend",
            "3,1",
            "-o",
            str(tmp_path / "out"),
            "--logdir",
            str(tmp_path / "tb"),
            *TINY,
            "--seed",
            "0",
        ]
    )
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "a_starry_night+the_scream.png",
        "b_starry_night+the_scream.png",
    ]
    assert logged_settings(tmp_path / "tb")["style_blend"] == [3.0, 1.0]
