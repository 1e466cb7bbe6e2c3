"""The measures of a trained network (neural_style.evaluate), against answers known
without it: exact motion, the statistics of Gaussian noise, images made to have or lack
flat bright patches."""

import numpy as np
import pytest

from neural_style import evaluate


class Identity:
    """A network that returns its input: as steady as the input, by definition."""

    def apply(self, image, **looks):
        return np.asarray(image)


@pytest.fixture
def photo(rng):
    return rng.integers(0, 256, (100, 140, 3), np.uint8)


def test_a_pan_is_the_known_motion(photo):
    clip = evaluate.pan_clip(photo, frames=4, step=3, noise=0, size=(64, 48))
    assert clip.shape == (4, 48, 64, 3)
    assert np.array_equal(clip[1][:, :-3], clip[0][:, 3:])  # frame t+1 is frame t moved 3 px left
    assert evaluate.warping_error(clip, step=3) == 0
    assert evaluate.warping_error(clip, step=2) > 10  # the wrong motion does not explain it


def test_the_inputs_error_is_that_of_the_sensor_noise(photo):
    # |X - Y| for X, Y ~ N(0, s^2): mean 2 s / sqrt(pi) (2.26 levels for s = 2), before rounding
    for clip, step in (
        (evaluate.still_clip(photo, frames=6), 0),
        (evaluate.pan_clip(photo, frames=6), evaluate.PAN_STEP),
    ):
        assert evaluate.warping_error(clip, step) == pytest.approx(
            2 * evaluate.NOISE / np.sqrt(np.pi), rel=0.05
        )


def test_an_identity_network_is_exactly_as_steady_as_its_input(photo):
    report = evaluate.steadiness(Identity(), photo, frames=4)
    assert set(report) == {"pan", "still", "texture"}
    for ours, theirs, ratio in (report["pan"], report["still"]):
        assert ours == theirs and ratio == 1


def test_a_network_that_paints_each_frame_anew_is_not_steady(photo, rng):
    class Flicker:
        def apply(self, image, **looks):
            return rng.integers(0, 256, np.shape(image), np.uint8)

    report = evaluate.steadiness(Flicker(), photo, frames=3)
    assert report["pan"][2] > 20 and report["still"][2] > 20


def test_flat_bright_patches(rng):
    white, dark = np.full((40, 40, 3), 230, np.uint8), np.full((40, 40, 3), 40, np.uint8)
    noisy = np.clip(230 + rng.normal(0, 25, (40, 40, 3)), 0, 255).astype(np.uint8)
    assert evaluate.flat_bright_share(white) == 1
    assert evaluate.flat_bright_share(dark) == 0 and evaluate.flat_bright_share(noisy) == 0
    half = np.concatenate([white, noisy], axis=1)
    assert 0.4 < evaluate.flat_bright_share(half) < 0.6


def test_flat_dark_patches_count_only_where_the_photo_is_lit(rng):
    lit, night = np.full((40, 40, 3), 180, np.uint8), np.full((40, 40, 3), 30, np.uint8)
    # the black blob a glow penalty taught paintings2 to paint
    black = np.full((40, 40, 3), 10, np.uint8)
    # dark, but painted
    painted = np.clip(20 + rng.normal(0, 25, (40, 40, 3)), 0, 255).astype(np.uint8)
    assert evaluate.flat_dark_share(black, lit) == 1 and evaluate.flat_dark_share(black, night) == 0
    assert evaluate.flat_dark_share(painted, lit) == 0 and evaluate.flat_dark_share(lit, lit) == 0
    assert (
        evaluate.blob_share(black, lit) == 1
        and evaluate.blob_share(np.full_like(lit, 240), lit) == 1
    )


def test_style_distance_is_zero_for_the_painting_itself(weights_path, rng):
    painting = rng.integers(0, 256, (64, 64, 3), np.uint8)
    assert evaluate.style_distance(painting, painting) == pytest.approx(0, abs=1e-6)
    assert evaluate.style_distance(np.full_like(painting, 128), painting) > 1


def test_texture_where_flat_sees_strokes_not_colour(rng):
    from scipy.ndimage import gaussian_filter

    # a smooth gradient: flat
    sky = np.full((64, 96, 3), 150.0) + np.linspace(0, 20, 96)[None, :, None]
    # top flat, bottom busy
    photo = np.concatenate([sky, rng.uniform(0, 255, (64, 96, 3))]).astype(np.uint8)
    flat = evaluate.flat_mask(photo)
    assert flat[4:60].all() and not flat[68:].any()
    painting = rng.uniform(0, 255, (80, 80, 3)).astype(np.uint8)
    # strokes everywhere
    painted = np.clip(photo + rng.normal(0, 60, photo.shape), 0, 255).astype(np.uint8)
    tinted = np.clip(photo * [1.1, 0.9, 0.6], 0, 255).astype(np.uint8)  # a colour filter
    # the strokes smoothed away
    blurred = gaussian_filter(painted.astype(float), (3, 3, 0)).astype(np.uint8)
    assert evaluate.texture_where_flat(
        painting[:64, :64], painting[:64, :64] * 0 + 100, painting
    ) == pytest.approx(1, abs=0.05)
    assert evaluate.texture_where_flat(painted, photo, painting) > 0.5
    assert evaluate.texture_where_flat(tinted, photo, painting) < 0.05
    assert evaluate.texture_where_flat(
        blurred, photo, painting
    ) < 0.5 * evaluate.texture_where_flat(painted, photo, painting)
    with pytest.raises(ValueError, match="give them at one size"):
        evaluate.texture_where_flat(painted[:10], photo, painting)


def test_a_flat_result_is_steady_but_does_not_paint(photo, rng):
    class Flat:  # a colour filter that smooths: steadier than its input, and paints nothing
        def apply(self, image, **looks):
            from scipy.ndimage import uniform_filter

            return uniform_filter(np.asarray(image, np.float32), (15, 15, 1)).astype(np.uint8)

    painting = rng.integers(0, 256, (64, 64, 3), np.uint8)
    sky = np.full((60, 80, 3), 140, np.uint8)
    steady = evaluate.steadiness(Flat(), photo, frames=3)
    assert steady["pan"][2] < 1 and steady["still"][2] < 1
    verdict = evaluate.paints_steadily(
        evaluate.texture_where_flat(Flat().apply(sky), sky, painting), steady
    )
    assert verdict == {"texture": False, "pan": True, "still": True}
    noisy = evaluate.steadiness(
        type(
            "Noise",
            (),
            {"apply": lambda self, im, **k: rng.integers(0, 256, np.shape(im), np.uint8)},
        )(),
        photo,
        frames=3,
    )
    assert evaluate.paints_steadily(0.9, noisy) == {"texture": True, "pan": False, "still": False}


def test_a_glowing_blob_fails_the_verdict_that_texture_and_steadiness_pass(photo, rng):
    textured = rng.normal(120, 30, (128, 128, 3)).clip(0, 255).astype(np.uint8)  # painted all over
    blob = textured.copy()
    yy, xx = np.mgrid[:128, :128]
    blob[(yy - 40) ** 2 / 20**2 + (xx - 64) ** 2 / 35**2 < 1] = 250  # a white oval in the sky
    steady = {"pan": (1, 1, 1.0), "still": (1, 1, 1.0)}
    photo_share = evaluate.flat_bright_share(photo)
    ok = evaluate.paints_steadily(
        0.5, steady, blobs=(evaluate.flat_bright_share(textured), photo_share)
    )
    assert ok == {"texture": True, "pan": True, "still": True, "blobs": True}
    assert evaluate.flat_bright_share(blob) > 0.05
    assert not evaluate.paints_steadily(
        0.5, steady, blobs=(evaluate.flat_bright_share(blob), photo_share)
    )["blobs"]
    lit = np.full_like(textured, 160)  # the same oval black where the photo is lit: a blob too
    blob[(yy - 40) ** 2 / 20**2 + (xx - 64) ** 2 / 35**2 < 1] = 5
    assert evaluate.flat_bright_share(blob) == 0 and evaluate.blob_share(blob, lit) > 0.05
    assert not evaluate.paints_steadily(
        0.5, steady, blobs=(evaluate.blob_share(blob, lit), photo_share)
    )["blobs"]


def test_the_optimisation_paints_where_the_photo_is_flat_and_its_blur_does_not(weights_path):
    from scipy.ndimage import gaussian_filter

    from neural_style import data, transfer

    photo, painting = data.load("tubingen", size=192), data.load("starry_night", size=192)
    result = transfer.style_transfer(
        photo, painting, crop_content=False, iterations=3, seed=0, verbose=False
    ).image
    blurred = gaussian_filter(result.astype(np.float32), (2, 2, 0)).astype(np.uint8)
    painted, smoothed, unpainted = (
        evaluate.texture_where_flat(r, photo, painting) for r in (result, blurred, photo)
    )
    assert painted > 0.6, painted  # Gatys' optimisation paints the sky (0.85 at 512 px)
    # its blur and the photo do not
    assert smoothed < 0.5 * painted and unpainted < 0.25, (smoothed, unpainted)
