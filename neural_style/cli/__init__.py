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

from neural_style.cli.jobs import JOBS, jobs_help  # noqa: F401 - the table the command dispatches by


def _names_a_network(arg) -> bool:
    """``--model NET``, ``--model=NET``, ``-m NET`` or ``-mNET``: the job that applies one."""
    return (
        arg in ("--model", "-m")
        or arg.startswith("--model=")
        or (arg.startswith("-m") and not arg.startswith("--"))
    )


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
