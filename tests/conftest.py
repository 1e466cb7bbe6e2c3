import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def weights_path():
    """The real, verified ImageNet weights (provisioned by `make setup`)."""
    from neural_style.weights import get_weights_path

    return get_weights_path()[0]


@pytest.fixture(scope="session")
def painting():
    """Starry Night at 96 px longest side, RGB uint8."""
    from neural_style import data

    return data.load("starry_night", size=96)


@pytest.fixture(scope="session")
def photo():
    from neural_style import data

    return data.load("tubingen", size=128)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
