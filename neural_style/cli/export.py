"""``neural-style export NET -o DIR``: a trained network as a TensorFlow SavedModel for TF
Serving and/or an ONNX file, in the versioned layout model servers read."""

from __future__ import annotations

import argparse

from neural_style.cli.options import HelpFormatter, run_job, say_fn, stem


def build_parser() -> argparse.ArgumentParser:
    # the shipped networks and formats, named in the help
    from neural_style import formats, inference

    p = argparse.ArgumentParser(
        prog="neural-style export",
        description=(
            "Export a trained network (a .keras file from `neural-style train`, or a shipped "
            "name) to DIR/NAME/VERSION/: a SavedModel with two signatures (uint8 images of any "
            "size; encoded JPEG/PNG bytes to PNG), model.onnx, and TFLite files (float32, "
            "float16, int8). Serve DIR with TF Serving: docker run -p 8501:8501 -v DIR:/models -e "
            "MODEL_NAME=NAME tensorflow/serving."
        ),
        formatter_class=HelpFormatter,
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
    a("--quiet", "-q", action="store_true", help="print only errors and the version folder")
    a("--debug", action="store_true", help="show full tracebacks and TensorFlow's own messages")
    return p


def _main(args) -> int:
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


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return run_job(_main, args)
