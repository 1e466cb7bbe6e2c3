"""neural_style: the fast.ai 2017 lesson 8 neural style transfer, in Keras 3.

The lesson's names, for ``from neural_style import ...`` in a notebook::

    VGG16_Avg, rn_mean, preproc, deproc, mse, gram_matrix, content_loss, style_loss,
    total_variation_loss, Evaluator, solve_image, rand_img

and of the lesson's second half (perceptual losses, Johnson et al. 2016)::

    conv_block, res_block, deconv_block, up_block, res_crop_block, ReflectionPadding2D,
    gram_matrix_b, mean_sqr_b

They are imported on first use, so that ``neural-style --help`` or the data and weights
tools do not pay for importing a deep learning framework.  The Keras backend is chosen
by ``KERAS_BACKEND`` (``tensorflow``, the default, ``jax`` or ``torch``), as everywhere
in Keras 3; an unknown or uninstalled one is a one-line error.
"""

import importlib
import os

# Quieter TensorFlow; users can still override.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"

_EXPORTS = {
    "NeuralStyleError": "errors",
    "rn_mean": "images",
    "preproc": "images",
    "deproc": "images",
    "load_image": "images",
    "save_image": "images",
    "mse": "losses",
    "gram_matrix": "losses",
    "content_loss": "losses",
    "style_loss": "losses",
    "total_variation_loss": "losses",
    "Evaluator": "optimize",
    "solve_image": "optimize",
    "rand_img": "optimize",
    "Config": "config",
    "Result": "config",
    "recreate_content": "transfer",
    "recreate_style": "transfer",
    "style_transfer": "transfer",
    "VGG16_Avg": "vgg16_avg",
    "feature_model": "vgg16_avg",
    "lbfgs_device": "lbfgs",
    "conv_block": "nets",
    "res_block": "nets",
    "deconv_block": "nets",
    "up_block": "nets",
    "res_crop_block": "nets",
    "ReflectionPadding2D": "nets",
    "style_net": "nets",
    "superres_net": "nets",
    "stylise": "kinds.style",
    "upscale": "kinds.superres",
    "gram_matrix_b": "perceptual",
    "mean_sqr_b": "perceptual",
}
__all__ = list(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        module = importlib.import_module(f"neural_style.{_EXPORTS[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'neural_style' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
