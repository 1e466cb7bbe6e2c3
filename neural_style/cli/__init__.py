"""The ``neural-style`` command, one module per job over shared option parsing:

- ``neural-style [--content X] [--style Y] ...``: style transfer by optimisation (``run``),
  with batches and ``--sweep`` grids (``sweep``);
- ``neural-style train --style Y --images DIR -o NET.keras``: train a real-time style (or
  super-resolution) network (``train``);
- ``neural-style --model NET --content PHOTOS|FOLDERS|VIDEOS``: apply one (``apply``);
- ``neural-style export NET -o DIR``: export one for model servers (``export``);
- ``neural-style serve``: serve networks over TF Serving's REST API, with a page (``serve``).

Imports run one way: ``options`` and ``sizes`` know no job; the jobs import them.
"""

from __future__ import annotations

import sys


def _names_a_network(arg) -> bool:
    """``--model NET``, ``--model=NET``, ``-m NET`` or ``-mNET``: the job that applies one."""
    return arg in ("--model", "-m") or arg.startswith("--model=") or (arg.startswith("-m") and not arg.startswith("--"))


# The jobs after the default one (``run``) and the one that applies a network, by the word
# that starts them: their module here and one line for the main --help.
JOBS = {
    "train": ("train", "trains a real-time style (or super-resolution) network"),
    "export": ("export", "exports a network for TF Serving, ONNX Runtime and LiteRT"),
    "serve": ("serve", "serves networks over TF Serving's REST API, with a page"),
}
APPLY = "`neural-style --model NET --content PHOTO|FOLDER|VIDEO` (or -m) applies a network"


def jobs_help() -> str:
    """The other jobs, one line each, for the main --help."""
    return "Other jobs, each with its own --help: " + ", ".join(
        [f"`neural-style {name}` {line}" for name, (_, line) in JOBS.items()] + [APPLY]) + "."  # fmt: skip


def main(argv=None) -> int:
    import importlib

    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] and argv[0] in JOBS:
        return importlib.import_module(f"neural_style.cli.{JOBS[argv[0]][0]}").main(argv[1:])
    if any(_names_a_network(a) for a in argv):
        from neural_style.cli import apply

        return apply.main(argv)
    from neural_style.cli import run

    return run.main(argv)
