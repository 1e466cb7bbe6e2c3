"""``neural-style pack IMAGES... -o DIR [--shards N]``: training images into TFRecord shards
(``neural_style.records``), which ``neural-style train --images DIR`` then streams."""

from __future__ import annotations

import argparse

from neural_style.cli.options import add_common, say_fn


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The job's description and options, on its subcommand's parser ``p``."""
    p.description = (
        "Pack training images into TFRecord shards (the format the TensorFlow notes prepare "
        "data in): each readable file's bytes, unchanged, with its size and name; unreadable "
        "files are skipped and counted. Train on them with: neural-style train --images DIR "
        "(or DIR/*.tfrecord); the same seed gives the same crops as the folder."
    )
    a = p.add_argument
    a("images", nargs="+", help="image files, folders (searched recursively) or glob patterns")
    a(
        "-o",
        "--output",
        required=True,
        help="the folder to write images-0000i-of-0000N.tfrecord into",
    )
    a(
        "--shards",
        type=int,
        default=1,
        help=(
            "how many files to spread the images over (one or more per process of a multi-host run)"
        ),
    )
    add_common(p, prints="the folder")


def work(args) -> int:
    """Do the job the parsed options ``args`` ask for; the exit status."""
    from pathlib import Path

    from tqdm import tqdm

    from neural_style import records
    from neural_style.errors import NeuralStyleError
    from neural_style.imagestream import list_images

    say = say_fn(args.quiet)
    files = list_images(args.images)  # the training stream's own listing and its errors
    if any(isinstance(f, records.Record) for f in files):
        raise NeuralStyleError(
            f"{args.images[0]}: these are TFRecord shards already; give image files or folders"
        )
    records.check_shards(args.shards, len(files))
    with tqdm(total=len(files), unit="image", disable=args.quiet) as bar:
        done = records.pack(files, args.output, args.shards, on_file=lambda _: bar.update())
    skipped = (
        f"; {len(done['skipped'])} unreadable file(s) skipped: "
        f"{', '.join(map(str, done['skipped'][:3]))}"
        if done["skipped"]
        else ""
    )
    say(f"{done['written']} images in {len(done['shards'])} shard(s){skipped}")
    print(Path(args.output))
    return 0
