"""The lesson's second-half blocks and networks against independent numpy computations."""

import numpy as np
import pytest

from neural_style import nets
from neural_style.backend import keras, ops
from neural_style.errors import NeuralStyleError
from neural_style.kinds import style, superres


def run(layer_or_model, x):
    x = [ops.convert_to_tensor(v) for v in x] if isinstance(x, list) else ops.convert_to_tensor(x)
    return ops.convert_to_numpy(layer_or_model(x))


def test_reflection_padding_pads_width_by_the_first_number_like_numpy(rng):
    x = rng.normal(size=(2, 5, 7, 3)).astype("float32")
    layer = nets.ReflectionPadding2D((3, 1))  # the lesson's (w_pad, h_pad)
    expected = np.pad(x, ((0, 0), (1, 1), (3, 3), (0, 0)), mode="reflect")
    np.testing.assert_array_equal(run(layer, x), expected)
    assert layer.compute_output_shape((2, 5, 7, 3)) == (2, 7, 13, 3)
    assert layer.compute_output_shape((None, None, 7, 3)) == (None, None, 13, 3)


def conv_same(x, kernel, bias):
    """Independent 'same' stride-1 convolution: (B, H, W, Ci) * (k, k, Ci, Co)."""
    k = kernel.shape[0]
    p = k // 2
    xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    out = np.zeros(x.shape[:3] + (kernel.shape[3],))
    for i in range(k):
        for j in range(k):
            out += xp[:, i : i + x.shape[1], j : j + x.shape[2]] @ kernel[i, j]
    return out + bias


@pytest.mark.parametrize("norm", ["batch", "instance"])
def test_conv_block_against_numpy_forward_with_batch_statistics_at_inference(norm, rng):
    inp = keras.Input((6, 5, 2))
    model = keras.Model(inp, nets.conv_block(inp, 4, 3, (1, 1), norm=norm))
    for w in model.weights:  # non-trivial gamma and beta
        if w.path.endswith(("gamma", "beta")):
            w.assign(rng.normal(size=w.shape).astype("float32"))
    x = rng.normal(size=(3, 6, 5, 2)).astype("float32")
    conv = model.layers[1]
    norm_layer = model.layers[2]
    kernel, bias = (ops.convert_to_numpy(v) for v in conv.weights)
    y = conv_same(x.astype("float64"), kernel, bias)
    axes = (0, 1, 2) if norm == "batch" else (1, 2)  # Keras 1 mode=2: the batch's statistics
    y = (y - y.mean(axes, keepdims=True)) / np.sqrt(y.var(axes, keepdims=True) + norm_layer.epsilon)
    gamma, beta = ops.convert_to_numpy(norm_layer.gamma), ops.convert_to_numpy(norm_layer.beta)
    expected = np.maximum(y * gamma + beta, 0)
    np.testing.assert_allclose(ops.convert_to_numpy(model(x, training=False)), expected, atol=1e-4)


def test_res_block_and_res_crop_block_shapes_and_skip_connections():
    inp = keras.Input((20, 24, 64))
    assert tuple(nets.res_block(inp).shape) == (None, 20, 24, 64)
    assert tuple(nets.res_crop_block(inp).shape) == (None, 16, 20, 64)  # 2 valid 3x3: -4 px


def test_res_crop_block_adds_the_centre_crop_of_its_input(rng):
    inp = keras.Input((12, 12, 8))
    model = keras.Model(inp, nets.res_crop_block(inp, nf=8))
    for w in model.weights:  # zero convolutions and gamma/beta: the block is the crop alone
        w.assign(np.zeros(w.shape, "float32"))
    x = rng.normal(size=(2, 12, 12, 8)).astype("float32")
    np.testing.assert_allclose(run(model, x), x[:, 2:-2, 2:-2], atol=1e-6)


def test_up_and_deconv_blocks_double_the_size():
    inp = keras.Input((9, 7, 16))
    assert tuple(nets.up_block(inp, 32, 3).shape) == (None, 18, 14, 32)
    assert tuple(nets.deconv_block(inp, 32, 3, (18, 14, 32)).shape) == (None, 18, 14, 32)
    with pytest.raises(NeuralStyleError, match="not the shape"):
        nets.deconv_block(inp, 32, 3, (20, 14, 32))


@pytest.mark.parametrize("shape", [(64, 64), (72, 100)])
def test_style_net_keeps_the_size_and_answers_its_input(shape, rng):
    net = nets.style_net()
    x = rng.uniform(0, 255, (2, *shape, 3)).astype("float32")
    y = run(net, x)
    assert y.shape == x.shape and y.min() >= 0 and y.max() <= 255
    # each image its own result, neither flat nor pinned at the ends of tanh
    assert np.abs(y[0] - y[1]).mean() > 0.1 and y.std() > 1 and ((y > 1) & (y < 254)).mean() > 0.5


def test_superres_net_upsamples_four_times(rng):
    net = nets.superres_net((18, 18, 3))
    assert run(net, rng.uniform(0, 255, (1, 18, 18, 3)).astype("float32")).shape == (1, 72, 72, 3)


def test_upscale_pads_by_reflection_and_crops_four_times_back(rng):
    net = nets.superres_net((None, None, 3))
    img = rng.integers(0, 256, (13, 17, 3), dtype=np.uint8)
    p = superres.PAD
    padded = np.pad(img.astype("float32"), ((p, p), (p, p), (0, 0)), mode="reflect")
    direct = run(net, padded[None])[0, 4 * p : 4 * (p + 13), 4 * p : 4 * (p + 17)]
    out = superres.upscale(net, img, back_project=False)
    assert out.shape == (52, 68, 3) and out.dtype == np.uint8
    np.testing.assert_allclose(out, np.clip(direct, 0, 255), atol=0.51 + 1e-3)
    from neural_style.images import back_project

    np.testing.assert_allclose(superres.upscale(net, img), back_project(direct, img), atol=1.01)
    assert superres.upscale(net, img, size=34).shape == (104, 136, 3)  # the network sees 34 px
    assert superres.upscale(net, img[:3, :5]).shape == (12, 20, 3)  # smaller than the padding


def test_unknown_norm_is_one_line():
    with pytest.raises(NeuralStyleError, match="norm='layer'"):
        nets.style_net(norm="layer")


@pytest.mark.parametrize("norm,styles", [("batch", 0), ("instance", 0), ("demod", 0), ("demod", 3)])
def test_saved_and_loaded_network_gives_the_same_output(norm, styles, tmp_path, rng):
    net = nets.style_net(norm=norm, styles=styles)
    x = rng.uniform(0, 255, (1, 48, 44, 3)).astype("float32")
    net.save(tmp_path / "net.keras")
    loaded = keras.saving.load_model(tmp_path / "net.keras")
    if styles:
        x = [x, np.eye(styles, dtype="float32")[[1]]]
    np.testing.assert_allclose(run(loaded, x), run(net, x), atol=1e-4)


@pytest.mark.parametrize(
    "hw", [(37, 53), (64, 64), (3 * 17, 2 * 29), (1, 1), (2, 2), (3, 300), (300, 3), (1, 50)]
)
def test_stylise_keeps_any_size_by_reflection_padding(hw, rng):
    net = nets.style_net()
    img = rng.integers(0, 256, (*hw, 3), dtype=np.uint8)
    out = style.stylise(net, img)
    assert out.shape == img.shape and out.dtype == np.uint8
    # the padded part is cropped away: the top-left corner equals the network on a padded input
    h4, w4 = (max(44, -(-n // 4) * 4) for n in hw)
    padded = np.pad(
        img.astype("float32"), ((0, h4 - hw[0]), (0, w4 - hw[1]), (0, 0)), mode="reflect"
    )
    direct = np.clip(run(net, padded[None])[0, : hw[0], : hw[1]], 0, 255).round()
    np.testing.assert_allclose(out, direct, atol=1)
    # network sees 32 px, result full size
    assert style.stylise(net, img, size=32).shape == img.shape


def test_stylise_strength_fades_into_the_photo_and_original_colors_keep_its_chroma(rng):
    from PIL import Image

    net = nets.style_net()
    img = rng.integers(0, 256, (48, 52, 3), dtype=np.uint8)
    full = style.stylise(net, img).astype(np.float64)
    np.testing.assert_array_equal(style.stylise(net, img, strength=0), img)
    np.testing.assert_allclose(
        style.stylise(net, img, strength=0.25), 0.25 * full + 0.75 * img, atol=0.51
    )

    def ycbcr(a):
        return np.asarray(Image.fromarray(np.asarray(a, np.uint8)).convert("YCbCr"), np.float64)

    from neural_style import data

    img = data.load("tubingen", size=64)
    full = style.stylise(net, img)
    kept = ycbcr(style.stylise(net, img, original_colors=True))
    # luminance from the network, chroma from the photo, to PIL's rounding (about 0.5 level;
    # PIL's own integer round trip would be a whole level darker).  Where the photo's colour
    # with the new luminance leaves 0..255 it is clipped and both must change: 1-16% of the
    # pixels over twelve random networks, so those are found here, not assumed away
    luma_shift = (ycbcr(full)[..., 0] - ycbcr(img)[..., 0])[..., None]
    in_gamut = np.all((img + luma_shift > 1) & (img + luma_shift < 254), axis=-1)
    assert in_gamut.mean() > 0.5
    assert np.abs(kept[..., 0] - ycbcr(full)[..., 0])[in_gamut].mean() < 1.0
    assert np.abs(kept[..., 1:] - ycbcr(img)[..., 1:])[in_gamut].mean() < 1.0
    # the network did change them
    assert np.abs(ycbcr(full)[..., 1:] - ycbcr(img)[..., 1:]).mean() > 5
    with pytest.raises(NeuralStyleError, match="strength=1.5"):
        style.stylise(net, img, strength=1.5)


def test_lesson_names_import_from_the_package():
    import neural_style

    for name in (
        "conv_block",
        "res_block",
        "deconv_block",
        "up_block",
        "res_crop_block",
        "ReflectionPadding2D",
        "gram_matrix_b",
        "mean_sqr_b",
    ):
        assert callable(getattr(neural_style, name)) and name in dir(neural_style)


# Conditional instance normalisation (the many-style network) runs on every backend: here.
def numpy_cin(x, weights, scale, offset, eps=1e-3):
    mean, var = x.mean(axis=(1, 2), keepdims=True), x.var(axis=(1, 2), keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * (weights @ scale)[:, None, None] + (weights @ offset)[
        :, None, None
    ]


def test_conditional_instance_normalisation_against_numpy(rng):
    layer = nets.ConditionalInstanceNormalization(3)
    x = rng.normal(3, 2, (2, 5, 7, 4)).astype("float32")
    layer.build([x.shape, (None, 3)])
    scale, offset = (
        rng.normal(1, 0.3, (3, 4)).astype("float32"),
        rng.normal(0, 0.5, (3, 4)).astype("float32"),
    )
    layer.set_weights([scale, offset])
    one_hot = np.eye(3, dtype="float32")[[2, 0]]
    got = ops.convert_to_numpy(layer([x, one_hot]))
    np.testing.assert_allclose(got, numpy_cin(x, one_hot, scale, offset), atol=1e-4)
    # one style: instance normalisation with its parameters
    plain = keras.layers.GroupNormalization(groups=-1)
    plain.build(x.shape)
    plain.set_weights([scale[2], offset[2]])
    np.testing.assert_allclose(got[0], ops.convert_to_numpy(plain(x))[0], atol=1e-4)
    # a blend is the blended parameters
    blend = np.array([[0.25, 0.75, 0.0], [0.5, 0.0, 0.5]], "float32")
    np.testing.assert_allclose(
        ops.convert_to_numpy(layer([x, blend])), numpy_cin(x, blend, scale, offset), atol=1e-4
    )


def numpy_demod(x, weights, kernel, modulation, scale, offset):
    """StyleGAN2's modulated, demodulated convolution, one image at a time with its own kernel."""
    out = []
    for xb, wb in zip(x, weights):
        k = kernel * (wb @ modulation)[None, None, :, None]
        k = k / np.sqrt((k**2).sum(axis=(0, 1, 2)) + 1e-8)
        out.append(conv_same(xb[None], k, 0)[0] * (wb @ scale) + wb @ offset)
    return np.stack(out)


def test_demodulated_convolution_against_numpy_per_image_kernels(rng):
    layer = nets.DemodulatedConv2D(5, 3, styles=3)
    x = rng.normal(1, 2, (2, 6, 7, 4)).astype("float32")
    layer.build([x.shape, (None, 3)])
    values = [
        rng.normal(m, 0.5, v.shape).astype("float32") for m, v in zip((0, 1, 1, 0), layer.weights)
    ]
    layer.set_weights(values)
    blend = np.array([[0.0, 1.0, 0.0], [0.2, 0.5, 0.3]], "float32")
    got = ops.convert_to_numpy(layer([x, blend]))
    np.testing.assert_allclose(got, numpy_demod(x, blend, *values), rtol=1e-4, atol=1e-4)
    # unit-variance noise in: each output channel comes out with about the style's scale as spread
    noise = rng.normal(0, 1, (1, 64, 64, 4)).astype("float32")
    spread = ops.convert_to_numpy(layer([noise, blend[:1]]))[0].std(axis=(0, 1))
    np.testing.assert_allclose(spread, np.abs(blend[0] @ values[2]), rtol=0.15)


@pytest.mark.parametrize("norm", ["instance", "demod"])
def test_a_spike_moves_instance_normalisation_everywhere_and_demodulation_only_near_it(norm, rng):
    """The glowing blobs: one bright feature far away changes every pixel of an instance-
    normalised block (its statistics are the image's) and none outside a demodulated
    convolution's 3x3 reach."""
    inp, styles = keras.Input((32, 32, 4)), keras.Input((2,))
    model = keras.Model(
        [inp, styles], nets.conv_block(inp, 4, 3, (1, 1), act=False, norm=norm, styles=styles)
    )
    x = rng.normal(0, 1, (1, 32, 32, 4)).astype("float32")
    spiked = x.copy()
    spiked[0, 28, 28] += 100.0
    one_hot = np.eye(2, dtype="float32")[[0]]
    far = np.abs(run(model, [spiked, one_hot]) - run(model, [x, one_hot]))[0, :20, :20]
    if norm == "demod":
        assert far.max() < 1e-4
    else:
        assert far.mean() > 0.05


def test_demod_style_net_keeps_instance_normalisation_where_it_downsamples():
    net = nets.style_net(norm="demod", styles=2)
    kinds_of = [type(layer).__name__ for layer in net.layers]
    assert kinds_of.count("ConditionalInstanceNormalization") == 3  # the three downsampling blocks
    # five residual blocks of two, two upsampling blocks
    assert kinds_of.count("DemodulatedConv2D") == 5 * 2 + 2
    with pytest.raises(NeuralStyleError, match="stride 1"):
        nets.conv_block(keras.Input((8, 8, 3)), 4, 3, (2, 2), norm="demod")
