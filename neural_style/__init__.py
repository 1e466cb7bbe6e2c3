"""neural_style: the fast.ai 2017 lesson 8 neural style transfer, in Keras 3.

The lesson's names, for ``from neural_style import ...`` in a notebook::

    VGG16_Avg, rn_mean, preproc, deproc, mse, gram_matrix, content_loss, style_loss,
    total_variation_loss, Evaluator, solve_image, rand_img
"""

import os

# TensorFlow's C++ start-up chatter hides the lesson's output; users can still override.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from neural_style.errors import NeuralStyleError  # noqa: E402
from neural_style.images import deproc, load_image, preproc, rn_mean, save_image  # noqa: E402
from neural_style.losses import (  # noqa: E402
    content_loss,
    gram_matrix,
    mse,
    style_loss,
    total_variation_loss,
)
from neural_style.optimize import Evaluator, rand_img, solve_image  # noqa: E402
from neural_style.transfer import (  # noqa: E402
    Config,
    Result,
    recreate_content,
    recreate_style,
    style_transfer,
)
from neural_style.vgg16_avg import VGG16_Avg, feature_model  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "VGG16_Avg", "feature_model", "rn_mean", "preproc", "deproc", "load_image", "save_image",
    "mse", "gram_matrix", "content_loss", "style_loss", "total_variation_loss",
    "Evaluator", "solve_image", "rand_img", "Config", "Result",
    "recreate_content", "recreate_style", "style_transfer", "NeuralStyleError",
]  # fmt: skip
