"""``neural-style serve``: the networks behind TF Serving's REST API, with a page to try
them, on Ray Serve (``neural_style.serving``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from neural_style.cli.options import add_common, say_fn
from neural_style.errors import NeuralStyleError
from neural_style.restapi import MAX_PIXELS

LOOPBACK = ("127.0.0.1", "localhost")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The job's description and options, on its subcommand's parser ``p``."""
    p.description = (
        "Serve networks over TF Serving's REST API (POST /v1/models/NAME[/versions/N]:predict "
        'with {"instances": [{"b64": ...}]}; GET /v1/models/NAME) and a page to try them at '
        "/, on Ray Serve: dynamic batching, one replica set per model version, new versions "
        "of exported models rolled out with no failed request."
    )
    a = p.add_argument
    a(
        "--model",
        "-m",
        nargs="+",
        help=(
            "shipped names, .keras files, or exported models' folders (DIR/NAME from "
            "`neural-style export`, watched for new versions); default: every shipped network"
        ),
    )
    a("--host", default="127.0.0.1", help="the address to listen on (0.0.0.0: every interface)")
    a("--port", type=int, default=8501, help="the port (TF Serving's REST port by default)")
    a(
        "--no-batching",
        action="store_true",
        help="run every image alone (batching groups same-size images that arrive together)",
    )
    a(
        "--max-pixels",
        type=int,
        default=MAX_PIXELS,
        help=f"the largest image a request may send, in pixels (default {MAX_PIXELS:,})",
    )
    a(
        "--max-memory",
        type=float,
        default=None,
        help=(
            "GB the requests in flight may need together (decoding and painting, by each "
            "network's measured bytes per pixel); more wait their turn; default: half the memory "
            "available at start"
        ),
    )
    a(
        "--replicas",
        type=int,
        default=1,
        help="replicas of each model version (a Ray cluster spreads them over its nodes)",
    )
    a(
        "--address",
        help=(
            "join a Ray cluster (`ray start --head` on one machine, `ray start "
            "--address=HEAD:6379` on the others); default: a local one"
        ),
    )
    # seconds: tests and benchmarks stop the server this way
    a("--stop-after", type=float, help=argparse.SUPPRESS)
    add_common(p, prints="the address")


def work(args) -> int:
    """Do the job the parsed options ``args`` ask for; the exit status."""
    if args.host in LOOPBACK and (not args.address or args.address.rpartition(":")[0] in LOOPBACK):
        from neural_style import loopback

        loopback.keep_ray_local()

    try:
        from neural_style import rollout, signals
    except ModuleNotFoundError as e:
        if e.name.partition(".")[0] not in ("ray", "fastapi", "starlette"):
            raise
        raise NeuralStyleError(
            "neural-style serve needs Ray Serve: pip install '.[serve]' in the neural_style "
            "folder (or make serve)"
        ) from None

    say = say_fn(args.quiet)
    if not 1 <= args.port <= 65535:
        raise NeuralStyleError(f"--port {args.port} is not valid; give 1..65535")
    if args.max_pixels < 64 * 64:
        raise NeuralStyleError(
            f"--max-pixels {args.max_pixels} is not valid; give at least 4096 (64x64)"
        )
    if args.max_memory is not None and not args.max_memory > 0:
        raise NeuralStyleError(f"--max-memory {args.max_memory} is not valid; give GB, such as 4")
    if args.replicas < 1:
        raise NeuralStyleError(f"--replicas {args.replicas} is not valid; give 1 or more")
    sources = check_sources(args.model) if args.model else default_sources()
    server = rollout.Server(
        sources,
        args.host,
        args.port,
        batching=not args.no_batching,
        max_pixels=args.max_pixels,
        address=args.address,
        max_memory=args.max_memory and int(args.max_memory * 1e9),
        replicas=args.replicas,
    )
    say(f"starting Ray Serve with {', '.join(sources)} ...")
    try:
        server.start()
        print(
            f"serving {', '.join(f'{n} (version {v})' for n, v in server.current.items())} at "
            f"http://{args.host}:{args.port}/",
            flush=True,
        )
        asked = []
        with signals.stop_requests(lambda: asked.append(True)):
            server.serve_forever(stop_after=args.stop_after, stop=lambda: bool(asked))
    finally:
        server.stop()
    return 0


def default_sources() -> dict:
    """The shipped networks, by name."""
    from neural_style import inference

    return {name: name for name in inference.shipped_models()}


def check_sources(models) -> dict:
    """``--model`` values -> {name: source}: a shipped name, a ``.keras`` file, or an
    exported model's folder of versions (``neural-style export``'s ``DIR/NAME``)."""
    from neural_style import formats, inference, rollout

    sources = {}
    for item in models:
        path = Path(item)
        if path.is_dir():
            if not rollout.versions_in(path):
                raise NeuralStyleError(
                    f"--model {item}: no version folder (N/ with "
                    f"{' or '.join(f.loads for f in formats.FORMATS.values())}); give DIR/NAME "
                    "from `neural-style export`"
                )
            sources[path.name] = str(path.resolve())
        elif item in inference.shipped_models() and not path.exists():
            sources[item] = item
        elif path.suffix == ".keras" and path.is_file():
            sources[path.stem] = str(path.resolve())
        else:
            raise NeuralStyleError(
                f"--model {item}: not a shipped network "
                f"({', '.join(inference.shipped_models())}), a .keras file or an exported model's "
                "folder"
            )
    return sources
