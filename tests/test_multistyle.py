"""Many styles in one network: conditional instance normalisation, the many-style kind, the
stability term."""

import numpy as np
import pytest

from neural_style import cli, data, images, inference, kinds, nets, perceptual, terms
from neural_style.backend import keras, ops
from neural_style.errors import NeuralStyleError
from neural_style.kinds.multistyle import style_weights
from neural_style.kinds.style import motion


def test_style_weights_by_name_and_bad_weights():
    names = ["starry_night", "the_scream"]
    np.testing.assert_array_equal(style_weights(names), [1, 0])
    np.testing.assert_array_equal(style_weights(names, style="the_scream"), [0, 1])
    np.testing.assert_allclose(
        style_weights(names, mix="starry_night=3,the_scream=1"), [0.75, 0.25]
    )
    for mix, message in [
        ("nope=1", "no style 'nope'; its styles: starry_night, the_scream"),
        ("starry_night=-1", "not valid"),
        ("starry_night=0", "not valid"),
        ("starry_night=nan", "not valid"),
        ("starry_night=x", "not NAME=WEIGHT"),
    ]:
        with pytest.raises(NeuralStyleError, match=message):
            style_weights(names, mix=mix)


def test_the_stability_term_is_zero_for_a_network_that_follows_the_motion(rng):
    identity = keras.Model(inp := keras.Input((None, None, 3)), keras.layers.Identity()(inp))
    photo = rng.uniform(0, 255, (2, 40, 40, 3)).astype("float32")
    transforms, _ = motion([np.random.default_rng(i) for i in range(2)], (40, 40))
    quiet = np.zeros_like(photo)
    still = ops.convert_to_numpy(
        terms.stability_b(identity, photo, identity(photo), transforms, quiet)
    )
    assert np.all(still < 1e-3)  # an identity network moves with the scene
    frozen = keras.Model(
        inp2 := keras.Input((None, None, 3)),
        keras.layers.Lambda(lambda t: ops.zeros_like(t) + photo[:1])(inp2),
    )
    moving = ops.convert_to_numpy(
        terms.stability_b(frozen, photo, frozen(photo), transforms, quiet)
    )
    moved = transforms[:, [2, 5]].any(axis=1)  # a draw of no move at all is a still camera
    # one that paints the same picture whatever moves does not
    assert moved.any() and np.all(moving[moved] > 5)


def test_the_stability_term_does_not_reward_smoothing(rng):
    # A network whose output is texture that moves with the scene (a sharpening filter,
    # shift-equivariant) costs the term nothing on whole-pixel moves: no pull to flat colour.
    sharpen = np.zeros((3, 3, 3, 3), "float32")
    for c in range(3):
        sharpen[:, :, c, c] = [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]
    inp = keras.Input((None, None, 3))
    textured = keras.Model(
        inp, keras.layers.Lambda(lambda t: ops.conv(t, sharpen, padding="same"))(inp)
    )
    photo = rng.uniform(0, 255, (4, 48, 48, 3)).astype("float32")
    transforms, _ = motion([np.random.default_rng(i) for i in range(4)], (48, 48))
    # whole-pixel moves
    assert set(np.unique(transforms[:, [2, 5]] % 1)) == {0.0} and np.any(transforms[:, [2, 5]] != 0)
    quiet = np.zeros_like(photo)
    cost = ops.convert_to_numpy(
        terms.stability_b(textured, photo, textured(photo), transforms, quiet)
    )
    # only the row of pixels at the uncovered border differs (texture ~100 levels)
    assert np.all(cost < 2), cost
    # no noise by default: it would ask for flat colour
    assert not motion([np.random.default_rng(9)], (48, 48))[1].any()
    noisy = motion([np.random.default_rng(9)], (48, 48), noise=2.0)[1]
    assert noisy.std() == pytest.approx(2.0, rel=0.05)  # a camera's noise, 2 levels, where asked


@pytest.fixture(scope="module")
def two_style_trainer():
    """A random two-style network and its trainer with every optional term on, on random
    VGG16 weights (the terms' arithmetic does not depend on them)."""
    rng = np.random.default_rng(1)
    paintings = [
        rng.uniform(0, 255, (40, 48, 3)).astype("float32"),
        rng.uniform(0, 255, (48, 40, 3)).astype("float32") ** 0.9,
    ]
    keras.utils.set_random_seed(0)
    net = nets.style_net(styles=2)
    trainer = perceptual.style_trainer(
        net,
        paintings,
        weights=None,
        stability=7.0,
        saturation=3.0,
        style_weight=2.5,
        spikes=0.5,
        glow=0.25,
    )
    return net, trainer, paintings


def test_the_training_loss_is_the_documented_sum_of_its_terms(two_style_trainer, rng):
    net, trainer, _ = two_style_trainer
    photos = rng.uniform(0, 255, (2, 48, 48, 3)).astype("float32")
    # rng 1: no move, noise only
    transforms, noise = motion([np.random.default_rng(i) for i in range(2)], (48, 48), noise=2.0)
    out = trainer([photos, photos, np.eye(2, dtype="float32"), transforms, noise])
    t = {k: ops.convert_to_numpy(v)[:, 0] for k, v in out.items()}
    assert np.all(t["stability"] > 0) and np.all(t["style"] > 0)
    np.testing.assert_allclose(
        t["loss"],
        2.5 * t["style"]
        + t["content"]
        + 7.0 * t["stability"]
        + 3.0 * t["saturation"]
        + 0.5 * t["spikes"]
        + 0.25 * t["glow"],
        rtol=1e-5,
    )


def test_each_style_is_compared_with_its_own_paintings_gram_matrices(two_style_trainer, rng):
    net, trainer, paintings = two_style_trainer
    vgg = trainer.get_layer("vgg_features")

    def gram(a):  # numpy: F F^T / (C H W) of one activation (H, W, C)
        f = a.reshape(-1, a.shape[-1]).astype("float64")
        return f.T @ f / a.size

    photo = rng.uniform(0, 255, (1, 48, 48, 3)).astype("float32")
    for k in range(2):
        one_hot = np.eye(2, dtype="float32")[k : k + 1]
        got = ops.convert_to_numpy(
            trainer.get_layer("perceptual")(
                list(vgg(photo)) + list(vgg(net([photo, one_hot]))), one_hot
            )["style"]
        )[0, 0]
        acts = [ops.convert_to_numpy(a)[0] for a in vgg(net([photo, one_hot]))]
        targets = [ops.convert_to_numpy(a)[0] for a in vgg(paintings[k][None])]
        want = sum(np.sqrt(np.mean((gram(a) - gram(b)) ** 2)) / 2 for a, b in zip(acts, targets))
        other = [ops.convert_to_numpy(a)[0] for a in vgg(paintings[1 - k][None])]
        wrong = sum(np.sqrt(np.mean((gram(a) - gram(b)) ** 2)) / 2 for a, b in zip(acts, other))
        assert got == pytest.approx(want, rel=1e-4) and abs(got - wrong) > 1e-3 * want


def test_a_two_style_network_trains_and_paints_each_style(tmp_path, capsys, weights_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for p in data.training_photos()[:3]:
        (folder / p.name).write_bytes(p.read_bytes())
    out = tmp_path / "two.keras"
    code = cli.main(
        [
            "train",
            "--task",
            "multistyle",
            "--style",
            "starry_night",
            "the_scream",
            "--images",
            str(folder),
            "-o",
            str(out),
            "--size",
            "48",
            "--batch-size",
            "2",
            "--steps",
            "4",
            "--epochs",
            "2",
            "--workers",
            "1",
            "--stability",
            "10",
            "--saturation",
            "1",
        ]
    )
    assert code == 0, capsys.readouterr().err
    network = inference.load(out)
    assert network.kind.name == "multistyle" and network.meta["config"]["style_names"] == [
        "starry_night",
        "the_scream",
    ]
    photo = data.load("tubingen", size=64)
    starry, scream = network.apply(photo), network.apply(photo, style="the_scream")
    cin = [
        layer
        for layer in network.model.layers
        if isinstance(layer, nets.ConditionalInstanceNormalization)
    ]
    assert len(cin) == 15  # every normalisation of the lesson's network: 3 + 5 x 2 + 2
    scale, shift = cin[0].get_weights()
    # each style's parameters learnt apart (8 steps: a little)
    assert np.abs(scale[0] - scale[1]).max() > 1e-4
    for row in (0, 1):  # and each moved from its start (scale 1, shift 0)
        assert np.abs(scale[row] - 1).max() > 1e-4 and np.abs(shift[row]).max() > 1e-4
    assert not np.array_equal(starry, scream)
    np.testing.assert_array_equal(
        network.apply(photo, style_mix={"starry_night": 1, "the_scream": 0}), starry
    )
    half = network.apply(photo, style_mix="starry_night=1,the_scream=1")
    assert (
        half.shape == photo.shape
        and not np.array_equal(half, starry)
        and not np.array_equal(half, scream)
    )
    images.save_image(tmp_path / "photo.png", photo)
    assert (
        cli.main(
            [
                "--model",
                str(out),
                "--content",
                str(tmp_path / "photo.png"),
                "--style-mix",
                "starry_night=1,the_scream=3",
                "-o",
                str(tmp_path / "s.png"),
            ]
        )
        == 0
    )
    # that blend, in the library
    blend = network.kind.apply(network.model, photo, weights=np.float32([0.25, 0.75]))
    np.testing.assert_array_equal(images.load_image(tmp_path / "s.png"), blend)
    assert (
        cli.main(
            [
                "--model",
                str(out),
                "--content",
                "tubingen",
                "--style",
                "woman_with_hat",
                "-o",
                str(tmp_path / "w.png"),
            ]
        )
        == 2
    )
    assert (
        "its styles: starry_night, the_scream" in capsys.readouterr().err
        and not (tmp_path / "w.png").exists()
    )


def test_bad_style_lists_are_one_line(tmp_path, capsys):
    base = [
        "train",
        "--task",
        "multistyle",
        "--images",
        str(tmp_path),
        "-o",
        str(tmp_path / "n.keras"),
    ]
    for args, message in [
        (["--style", "starry_night"], "needs two styles or more"),
        (["--style", "starry_night", "starry_night"], "name one twice"),
        (
            ["--style", "starry_night", "the_scream", "--stability", "-1"],
            "stability -1.0 is not valid",
        ),
        (
            ["--style", "starry_night", "the_scream", "--saturation", "nan"],
            "saturation nan is not valid",
        ),
    ]:
        assert cli.main([*base, *args]) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1, err
    assert (
        cli.main(
            [
                "train",
                "--style",
                "starry_night",
                "the_scream",
                "--images",
                str(tmp_path),
                "-o",
                str(tmp_path / "n.keras"),
            ]
        )
        == 2
    )
    assert "use --task multistyle for several" in capsys.readouterr().err
    assert kinds.get("multistyle").title == "many-style network"


@pytest.mark.skipif(
    __import__("neural_style").backend.name() != "tensorflow",
    reason="export traces with TensorFlow",
)
@pytest.mark.parametrize("norm", ["instance", "demod"])
def test_every_export_format_keeps_the_style_input(norm, tmp_path, rng):
    import onnxruntime

    from neural_style import export

    net = nets.style_net(styles=2, norm=norm)
    scale = rng.normal(1, 0.5, (2, 64)).astype("float32")  # two styles that differ
    for layer in net.layers:
        if isinstance(layer, (nets.ConditionalInstanceNormalization, nets.DemodulatedConv2D)):
            layer.scale.assign(scale)
    kinds.save_net(net, tmp_path / "ms.keras", "multistyle", config={"style_names": ["a", "b"]})
    network = inference.load(tmp_path / "ms.keras")
    dest = export.export(network, tmp_path / "out", "ms", formats=export.FORMATS)
    x = rng.integers(0, 256, (2, 37, 23, 3), np.uint8)
    w = np.array([[1, 0], [0.3, 0.7]], np.float32)
    expected = np.stack(
        [network.apply(x[0]), network.apply(x[1], style_mix={"a": 0.3, "b": 0.7})]
    ).astype(int)
    assert not np.array_equal(expected[0], network.apply(x[0], style="b"))
    session = onnxruntime.InferenceSession(
        str(dest / "model.onnx"), providers=["CPUExecutionProvider"]
    )
    assert [i.name for i in session.get_inputs()] == ["images", "style_weights"]
    assert (
        np.abs(session.run(None, {"images": x, "style_weights": w})[0].astype(int) - expected).max()
        <= 1
    )
    import tensorflow as tf

    served = tf.saved_model.load(str(dest)).signatures["serving_default"](
        images=tf.constant(x), style_weights=tf.constant(w)
    )["images"]
    assert np.abs(served.numpy().astype(int) - expected).max() <= 1
    from neural_style import runtimes

    # by the runtimes, style by name
    for exported in (dest / "model.onnx", dest / "model.tflite", dest):
        again = runtimes.load(exported)
        assert (
            np.abs(again.apply(x[1], style_mix="a=0.3,b=0.7").astype(int) - expected[1]).max() <= 1
        ), exported
        assert np.abs(again.apply(x[0], style="a").astype(int) - expected[0]).max() <= 1, exported
