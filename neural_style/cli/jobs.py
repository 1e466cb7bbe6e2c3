"""The command's jobs, by the word that starts each: one table for dispatching and help."""

from __future__ import annotations

# The jobs after the default one (``run``) and the one that applies a network, by the word
# that starts them: their module here and one line for the main --help.
JOBS = {
    "train": ("train", "trains a real-time style (or super-resolution) network"),
    "export": ("export", "exports a network for TF Serving, ONNX Runtime and LiteRT"),
    "serve": ("serve", "serves networks over TF Serving's REST API, with a page"),
    "embed": ("embed", "writes images' styles for TensorBoard's Embedding Projector"),
    "pack": ("pack", "packs training images into TFRecord shards for train --images"),
}
APPLY = "`neural-style --model NET --content PHOTO|FOLDER|VIDEO` (or -m) applies a network"


def jobs_help() -> str:
    """The other jobs, one line each, for the main --help."""
    return (
        "Other jobs, each with its own --help: "
        + ", ".join([f"`neural-style {name}` {line}" for name, (_, line) in JOBS.items()] + [APPLY])
        + "."
    )
