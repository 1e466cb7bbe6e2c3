"""The command's jobs, by the word that starts each: one table for the subcommands and help."""

from __future__ import annotations

# Each job's module here and one line for the main --help. ``run``, the optimisation, is the
# default job (``neural-style --content X --style Y``, as the lesson's users know it), and
# ``apply`` is implied by a network (``neural-style --model NET --content X``).
JOBS = {
    "run": ("run", "styles a photo by optimisation, the lesson's way (the default job)"),
    "apply": ("apply", "applies a trained network to photos, folders and videos"),
    "train": ("train", "trains a real-time style (or super-resolution) network"),
    "export": ("export", "exports a network for TF Serving, ONNX Runtime and LiteRT"),
    "serve": ("serve", "serves networks over TF Serving's REST API, with a page"),
    "embed": ("embed", "writes images' styles for TensorBoard's Embedding Projector"),
    "pack": ("pack", "packs training images into TFRecord shards for train --images"),
}
IMPLIED = "`neural-style --model NET` (or -m) means `neural-style apply --model NET`"


def jobs_help() -> str:
    """Every job, one line each, for the main --help."""
    jobs = [f"`neural-style {name}` {line}" for name, (_, line) in JOBS.items()]
    return f"The jobs, each with its own --help: {', '.join(jobs)}; {IMPLIED}."
