"""Perceptual losses against numpy, on a frozen VGG16; the saturation and spikes training terms."""

import numpy as np
import pytest

from neural_style import nets, perceptual, terms
from neural_style.backend import keras, ops
from neural_style.images import preproc


def np_gram_b(x):
    b, h, w, c = x.shape
    f = x.reshape(b, h * w, c).astype("float64")
    return np.einsum("bnc,bnd->bcd", f, f) / (h * w * c)


def np_mean_sqr_b(d):
    return np.sqrt((d.astype("float64") ** 2).reshape(len(d), -1).mean(1))


def test_gram_matrix_b_and_mean_sqr_b_against_numpy(rng):
    x = rng.normal(size=(3, 5, 4, 6)).astype("float32")
    got = ops.convert_to_numpy(perceptual.gram_matrix_b(ops.convert_to_tensor(x)))
    np.testing.assert_allclose(got, np_gram_b(x), rtol=1e-5)
    assert got.shape == (3, 6, 6)
    got = ops.convert_to_numpy(perceptual.mean_sqr_b(ops.convert_to_tensor(x)))
    np.testing.assert_allclose(got, np_mean_sqr_b(x), rtol=1e-5)
    assert got.shape == (3,)


def test_preprocess_layer_is_preproc(rng):
    x = rng.uniform(0, 255, (2, 4, 4, 3)).astype("float32")
    np.testing.assert_allclose(
        ops.convert_to_numpy(perceptual.Preprocess()(x)), preproc(x), atol=1e-4
    )


def test_vgg_features_are_frozen_max_pooled_imagenet_vgg16(weights_path):
    vgg = perceptual.vgg_features(perceptual.STYLE_LAYERS)
    assert not vgg.trainable_weights
    inner = vgg.get_layer("features")
    assert inner.get_layer("block1_pool").__class__.__name__ == "MaxPooling2D"
    k = ops.convert_to_numpy(inner.get_layer("block1_conv1").kernel)
    assert k[0, 0, 0, 0] == pytest.approx(0.42947057)  # the published weight


def test_style_trainer_loss_against_numpy(rng, weights_path):
    """The loss model's output, recomputed in numpy from its own activations."""
    net = nets.style_net()
    style = rng.uniform(0, 255, (48, 56, 3)).astype("float32")
    trainer = perceptual.style_trainer(net, style)
    x = rng.uniform(0, 255, (2, 48, 48, 3)).astype("float32")
    out = {k: ops.convert_to_numpy(v) for k, v in trainer([x, x]).items()}
    vgg = trainer.get_layer("vgg_features")
    acts_in = [ops.convert_to_numpy(a) for a in vgg(x)]
    acts_out = [ops.convert_to_numpy(a) for a in vgg(net(x))]
    grams = [np_gram_b(ops.convert_to_numpy(a))[0] for a in vgg(style[None])]
    style_l = sum(np_mean_sqr_b(np_gram_b(o) - g[None]) / 2 for o, g in zip(acts_out, grams))
    content_l = sum(
        np_mean_sqr_b(o - i) * w for o, i, w in zip(acts_out, acts_in, perceptual.CONTENT_WEIGHTS)
    )
    np.testing.assert_allclose(out["style"][:, 0], style_l, rtol=1e-3)
    np.testing.assert_allclose(out["content"][:, 0], content_l, rtol=1e-3)
    np.testing.assert_allclose(out["loss"][:, 0], style_l + content_l, rtol=1e-3)


def test_superres_trainer_loss_against_numpy(rng, weights_path):
    net = nets.superres_net((16, 16, 3))
    trainer = perceptual.superres_trainer(net)
    lo = rng.uniform(0, 255, (2, 16, 16, 3)).astype("float32")
    hi = rng.uniform(0, 255, (2, 64, 64, 3)).astype("float32")
    got = ops.convert_to_numpy(trainer([lo, hi]))
    vgg = trainer.get_layer("vgg_features")
    a_hi = [ops.convert_to_numpy(a) for a in vgg(hi)]
    a_out = [ops.convert_to_numpy(a) for a in vgg(net(lo))]
    expected = sum(
        np_mean_sqr_b(o - t) * w for o, t, w in zip(a_out, a_hi, perceptual.SUPERRES_WEIGHTS)
    )
    np.testing.assert_allclose(got[:, 0], expected, rtol=1e-3)


def test_style_grams_are_saved_with_the_loss_layer(rng, tmp_path):
    grams = [
        rng.uniform(-1, 1, (4, 4)).astype("float32"),
        rng.uniform(0, 2, (8, 8)).astype("float32"),
    ]
    acts = [keras.Input((None, None, c)) for c in (4, 8, 4, 8)]  # the photo's, then the output's
    layer = perceptual.StyleLossB(content_weights=(0.3, 0.7), channels=(4, 8), name="perceptual")
    model = keras.Model(acts, layer(acts)["loss"])
    layer.set_style(grams)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras").get_layer("perceptual")
    assert loaded.channels == (4, 8) and loaded.content_weights == (0.3, 0.7)
    for got, want in zip(loaded.grams, grams):
        np.testing.assert_array_equal(ops.convert_to_numpy(got), want)


def test_the_saturation_term_measures_the_tanh_input_and_pulls_it_back(rng):
    net = nets.style_net(styles=2)
    conv = nets.output_conv(net)
    conv.kernel.assign(conv.kernel * 300)  # deep in tanh's flat tails, as the blobs are
    styles = [rng.uniform(0, 255, (48, 48, 3)).astype("float32") for _ in range(2)]
    trainer = perceptual.style_trainer(net, styles, weights=None, saturation=10.0)
    photo = rng.uniform(0, 255, (2, 48, 48, 3)).astype("float32")
    one_hot = np.eye(2, dtype="float32")
    z = ops.convert_to_numpy(
        ops.conv(keras.Model(net.inputs, conv.input)([photo, one_hot]), conv.kernel, padding="same")
        + conv.bias
    )
    expected = np.maximum(np.abs(z) - terms.SATURATION_LIMIT, 0).mean(axis=(1, 2, 3))
    first = ops.convert_to_numpy(trainer([photo, photo, one_hot])["saturation"])[:, 0]
    np.testing.assert_allclose(first, expected, rtol=1e-4)
    assert first.min() > 1  # the kernel x 300 saturates
    trainer.compile(keras.optimizers.Adam(1e-2), loss={"loss": "mae"})
    zeros = np.zeros((2, 1), "float32")
    for _ in range(5):
        trainer.train_on_batch([photo, photo, one_hot], {"loss": zeros})
    after = ops.convert_to_numpy(trainer([photo, photo, one_hot])["saturation"])[:, 0]
    assert after.mean() < 0.8 * first.mean()  # pulled back where tanh alone gives no gradient
    calm = nets.style_net(styles=2)  # a network whose tanh input stays inside +-2: the term is zero
    nets.output_conv(calm).kernel.assign(np.zeros(nets.output_conv(calm).kernel.shape, "float32"))
    nets.output_conv(calm).bias.assign(np.float32([1.9, -1.9, 0.5]))
    calm_out = perceptual.style_trainer(calm, styles, weights=None, saturation=10.0)(
        [photo, photo, one_hot]
    )
    np.testing.assert_array_equal(ops.convert_to_numpy(calm_out["saturation"]), 0)


def test_the_spikes_term_counts_a_few_pixels_far_above_the_mean_and_nothing_else(rng, monkeypatch):
    flat = np.ones((1, 10, 10, 4), "float32")  # the same magnitude everywhere: nothing to count
    spiked = flat.copy()
    spiked[0, 3, 4] = (
        100.0  # one pixel of a hundred: the mean magnitude is 1.99, the spike 50 times it
    )
    # uneven but never 6 times the mean
    textured = rng.uniform(0, 3, (1, 10, 10, 4)).astype("float32")
    got = [
        float(ops.convert_to_numpy(terms.spikes_b(ops.convert_to_tensor(f)))[0])
        for f in (flat, spiked, textured)
    ]
    assert got[0] == 0 and got[2] == 0
    mean = (99 + 100) / 100
    assert got[1] == pytest.approx((100 / mean - terms.SPIKE_LIMIT) / 100, rel=1e-4)
    net = nets.style_net(styles=2)  # through the trainer: the output layer's input, per image
    # a random network's largest pixel is about twice the mean
    monkeypatch.setattr(terms, "SPIKE_LIMIT", 1.2)
    styles = [rng.uniform(0, 255, (48, 48, 3)).astype("float32") for _ in range(2)]
    photo = rng.uniform(0, 255, (2, 48, 48, 3)).astype("float32")
    photo[1, 20:24, 20:24] = 0  # a dark square: a different image gives a different value
    one_hot = np.eye(2, dtype="float32")
    feats = ops.convert_to_numpy(
        keras.Model(net.inputs, nets.output_conv(net).input)([photo, one_hot])
    )
    magnitude = np.sqrt((feats.astype("float64") ** 2).mean(-1) + 1e-6)
    expected = np.maximum(
        magnitude / magnitude.mean(axis=(1, 2), keepdims=True) - terms.SPIKE_LIMIT, 0
    ).mean(axis=(1, 2))
    out = perceptual.style_trainer(net, styles, weights=None, spikes=2.0)([photo, photo, one_hot])
    assert expected.min() > 0 and abs(expected[0] - expected[1]) > 1e-4
    np.testing.assert_allclose(ops.convert_to_numpy(out["spikes"])[:, 0], expected, rtol=1e-4)


def test_the_glow_term_counts_regions_far_brighter_than_the_photo_and_nothing_else(rng):
    photo = rng.uniform(60, 140, (3, 48, 48, 3)).astype("float32")
    # strokes: bright and dark pixels, within the margin at 8 px
    out = photo + rng.normal(0, 20, photo.shape).astype("float32")
    out[1, 16:32, 8:24] += 120.0  # a glowing blob: four whole 8 px cells 120 levels brighter
    out[2] -= 100.0  # darker everywhere: a dark painting is no blob
    got = ops.convert_to_numpy(
        terms.glow_b(ops.convert_to_tensor(photo), ops.convert_to_tensor(out))
    )
    # numpy's 8x8 means
    cells = (
        ((out - photo) @ np.float32([0.299, 0.587, 0.114])).reshape(3, 6, 8, 6, 8).mean(axis=(2, 4))
    )
    np.testing.assert_allclose(
        got, np.maximum(cells - terms.GLOW_MARGIN, 0).mean(axis=(1, 2)), rtol=1e-4, atol=1e-5
    )
    assert got[0] == 0 and got[2] == 0 and got[1] == pytest.approx(4 * 80 / 36, rel=0.05)
