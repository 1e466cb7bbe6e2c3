"""The ``neural-style`` command: argparse subcommands, one module per job, over shared
option parsing (``options``, ``sizes``, ``batch``):

- ``neural-style [run] [--content X] [--style Y] ...``: style transfer by optimisation, the
  default job, with batches and ``--sweep`` grids (``run``, ``plan``, ``stages``, ``sweep``);
- ``neural-style [apply] --model NET --content PHOTOS|FOLDERS|VIDEOS``: apply a network;
- ``neural-style train --style Y --images DIR -o NET.keras``: train a real-time style (or
  super-resolution) network;
- ``neural-style export NET -o DIR``: export one for model servers;
- ``neural-style serve``: serve networks over TF Serving's REST API, with a page;
- ``neural-style embed`` and ``neural-style pack``: styles for TensorBoard, TFRecord shards.

Each job module has ``add_arguments(parser)`` and ``work(args) -> int``; imports run one
way: ``options``, ``sizes`` and ``batch`` know no job, the jobs import them.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from neural_style.cli.jobs import JOBS, jobs_help
from neural_style.cli.options import HelpFormatter, run_job

__all__ = ["JOBS", "build_parser", "jobs_help", "main", "with_default_job"]


def build_parser() -> argparse.ArgumentParser:
    """The command's parser: one subcommand per job of ``JOBS``, each with its own --help."""
    parser = argparse.ArgumentParser(prog="neural-style", formatter_class=HelpFormatter)
    jobs = parser.add_subparsers(dest="job", metavar="JOB", required=True)
    for name, (module, line) in JOBS.items():
        job = importlib.import_module(f"neural_style.cli.{module}")
        sub = jobs.add_parser(name, help=line, formatter_class=HelpFormatter)
        job.add_arguments(sub)
        sub.set_defaults(work=job.work)
    return parser


def with_default_job(argv) -> list[str]:
    """``argv`` starting with its job's word: as given, ``apply`` where the options name a
    network (``--model``, ``-m``, as argparse reads them), else ``run``, the default job."""
    argv = list(argv)
    if argv[:1] and argv[0] in JOBS:
        return argv
    model = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    model.add_argument("--model", "-m")
    try:
        named = model.parse_known_args(argv)[0].model
    except argparse.ArgumentError:  # `-m` with no value: apply's parser says so
        named = True
    return ["apply" if named else "run", *argv]


def main(argv=None) -> int:
    """Run the job ``argv`` (default: the process's arguments) asks for; its exit status."""
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(with_default_job(argv))
    return run_job(args.work, args)
