"""``neural-style export NET -o DIR``: a trained network as a TensorFlow SavedModel for TF
Serving and/or an ONNX file, in the versioned layout model servers read."""

from __future__ import annotations

import argparse

from neural_style.cli.options import add_common, say_fn, stem


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The job's description and options, on its subcommand's parser ``p``."""
    # the shipped networks and formats, named in the help
    from neural_style import formats, inference

    p.description = (
        "Export a trained network (a .keras file from `neural-style train`, or a shipped "
        "name) to DIR/NAME/VERSION/: a SavedModel with two signatures (uint8 images of any "
        "size; encoded JPEG/PNG bytes to PNG), model.onnx, and TFLite files (float32, "
        "float16, int8). Serve DIR with TF Serving: docker run -p 8501:8501 -v DIR:/models -e "
        "MODEL_NAME=NAME tensorflow/serving."
    )
    a = p.add_argument
    a(
        "network",
        help=(
            "a .keras file, or the name of a shipped network "
            f"({', '.join(inference.shipped_models())})"
        ),
    )
    a(
        "--output",
        "-o",
        default="exported",
        help="the folder of exported models (TF Serving's model base path)",
    )
    a(
        "--format",
        "-f",
        default="saved_model",
        help=f"{formats.help_text()}; or all (comma-separated for several)",
    )
    a("--name", help="the model's name in DIR (default: the network's file or shipped name)")
    a(
        "--version",
        type=int,
        help="version number (default: the next free one; an existing one is never overwritten)",
    )
    add_common(p, prints="the version folder")


def work(args) -> int:
    """Do the job the parsed options ``args`` ask for; the exit status."""
    from neural_style import export, inference

    say = say_fn(args.quiet)
    chosen = (
        export.FORMATS
        if args.format == "all"
        else tuple(f.strip() for f in args.format.split(",") if f.strip())
    )
    network = inference.load(args.network)
    dest = export.export(
        network, args.output, args.name or stem(args.network), chosen, args.version
    )
    say(f"{network.kind.title} exported as {', '.join(chosen)}")
    print(dest)
    return 0
