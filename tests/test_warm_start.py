"""release/warm_start.py: a many-style network restarted with weight demodulation."""

import importlib.util
from pathlib import Path

import numpy as np

from neural_style import nets
from neural_style.backend import keras

SCRIPT = Path(__file__).resolve().parents[1] / "release" / "warm_start.py"


def load_script():
    spec = importlib.util.spec_from_file_location("warm_start", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demodulated_twin_takes_the_kernels_and_after_calibration_each_styles_statistics(rng):
    warm_start = load_script()
    old, new = nets.style_net(styles=2), nets.style_net(styles=2, norm="demod")
    for layer in old.layers:
        if isinstance(layer, nets.ConditionalInstanceNormalization):  # styles that differ
            layer.scale.assign(rng.uniform(0.5, 2.0, layer.scale.shape).astype("float32"))
            layer.offset.assign(rng.normal(0, 0.5, layer.offset.shape).astype("float32"))
    warm_start.copy_weights(old, new)
    old_convs = [layer for layer in old.layers if isinstance(layer, keras.layers.Conv2D)]
    demods = [layer for layer in new.layers if isinstance(layer, nets.DemodulatedConv2D)]
    # after 3 downsampling convs
    np.testing.assert_array_equal(np.asarray(demods[0].kernel), np.asarray(old_convs[3].kernel))
    photos = rng.uniform(0, 255, (4, 48, 48, 3)).astype("float32")
    warm_start.calibrate(new, photos)
    twins = [
        layer for layer in old.layers if isinstance(layer, nets.ConditionalInstanceNormalization)
    ][3:]
    for layer, twin in [(demods[0], twins[0]), (demods[-1], twins[-1])]:
        for k in range(2):
            one_hot = np.eye(2, dtype="float32")[[k] * 4]
            probe = keras.Model(new.inputs, layer.output)
            out = probe.predict([photos, one_hot], verbose=0)
            np.testing.assert_allclose(
                out.mean(axis=(0, 1, 2)), np.asarray(twin.offset)[k], atol=1e-3
            )
            np.testing.assert_allclose(
                out.std(axis=(0, 1, 2)), np.abs(np.asarray(twin.scale)[k]), rtol=1e-3
            )


def test_a_warm_started_network_trains_on_with_demod_and_resume(tmp_path, capsys, weights_path):
    import dataclasses

    from neural_style import cli, data, inference, kinds
    from neural_style.config import TrainConfig

    cfg = TrainConfig(
        task="multistyle",
        size=48,
        batch_size=2,
        steps=1,
        epochs=1,
        workers=1,
        style_names=("starry_night", "the_scream"),
    )
    kinds.save_net(
        nets.style_net(styles=2),
        tmp_path / "old.keras",
        "multistyle",
        config=dataclasses.asdict(cfg),
        epochs=1,
    )
    load_script().main(
        [str(tmp_path / "old.keras"), str(tmp_path / "new.keras"), "--norm", "demod"]
    )
    start = inference.load(tmp_path / "new.keras")
    folder = tmp_path / "photos"
    folder.mkdir()
    for p in data.training_photos()[:2]:
        (folder / p.name).write_bytes(p.read_bytes())
    argv = [
        "train",
        "--task",
        "multistyle",
        "--style",
        "starry_night",
        "the_scream",
        "--images",
        str(folder),
        "-o",
        str(tmp_path / "new.keras"),
        "--size",
        "48",
        "--batch-size",
        "2",
        "--steps",
        "1",
        "--epochs",
        "1",
        "--workers",
        "1",
        "--norm",
        "demod",
        "--resume",
    ]
    assert cli.main(argv) == 0, capsys.readouterr().err
    trained = inference.load(tmp_path / "new.keras")
    assert trained.meta["config"]["norm"] == "demod" and trained.meta["epochs"] == 1
    demods = [
        [layer for layer in net.model.layers if isinstance(layer, nets.DemodulatedConv2D)]
        for net in (start, trained)
    ]
    assert len(demods[1]) == 12
    moved = [np.abs(np.asarray(a.kernel) - np.asarray(b.kernel)).max() for a, b in zip(*demods)]
    assert min(moved) > 0  # Adam, started afresh, moved every demodulated kernel in its one step
