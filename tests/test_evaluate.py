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
    for clip, step in ((evaluate.still_clip(photo, frames=6), 0), (evaluate.pan_clip(photo, frames=6), evaluate.PAN_STEP)):
        assert evaluate.warping_error(clip, step) == pytest.approx(2 * evaluate.NOISE / np.sqrt(np.pi), rel=0.05)


def test_an_identity_network_is_exactly_as_steady_as_its_input(photo):
    report = evaluate.steadiness(Identity(), photo, frames=4)
    assert set(report) == {"pan", "still"}
    for ours, theirs, ratio in report.values():
        assert ours == theirs and ratio == 1


def test_a_network_that_paints_each_frame_anew_is_not_steady(photo, rng):
    class Flicker:
        def apply(self, image, **looks):
            return rng.integers(0, 256, np.shape(image), np.uint8)

    assert all(ratio > 20 for _, _, ratio in evaluate.steadiness(Flicker(), photo, frames=3).values())


def test_flat_bright_patches(rng):
    white, dark = np.full((40, 40, 3), 230, np.uint8), np.full((40, 40, 3), 40, np.uint8)
    noisy = np.clip(230 + rng.normal(0, 25, (40, 40, 3)), 0, 255).astype(np.uint8)
    assert evaluate.flat_bright_share(white) == 1
    assert evaluate.flat_bright_share(dark) == 0 and evaluate.flat_bright_share(noisy) == 0
    half = np.concatenate([white, noisy], axis=1)
    assert 0.4 < evaluate.flat_bright_share(half) < 0.6


def test_style_distance_is_zero_for_the_painting_itself(weights_path, rng):
    painting = rng.integers(0, 256, (64, 64, 3), np.uint8)
    assert evaluate.style_distance(painting, painting) == pytest.approx(0, abs=1e-6)
    assert evaluate.style_distance(np.full_like(painting, 128), painting) > 1
